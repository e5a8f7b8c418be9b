"""`python -m chalicelib.cli marketing ...` against the emulated tables."""

from __future__ import annotations

import hashlib
import io
import re
from typing import Any

from chalicelib.cli import main
from chalicelib.services.marketing import set_marketing_preference
from tests.conftest import NOW


def run(*argv: str, container: Any = None) -> tuple[int, str]:
    out = io.StringIO()
    return main(list(argv), container=container, out=out), out.getvalue()


def test_api_key_prints_a_fresh_key_and_the_hash_to_configure() -> None:
    code, out = run("marketing", "api-key")
    key, digest = re.fullmatch(r"key:    (\S+)\nsha256: ([0-9a-f]{64})\n", out).groups()  # type: ignore[union-attr]
    assert code == 0 and len(key) >= 40 and hashlib.sha256(key.encode()).hexdigest() == digest
    assert run("marketing", "api-key")[1] != out


def test_check_answers_yes_or_no_and_prints_no_address(container: Any) -> None:
    email = "jana.mueller@example.org"
    assert run("marketing", "check", email, container=container) == (0, "no\n")
    set_marketing_preference(container, subject=container.subject_for_email(email), customer_id=None,
                             email_marketing=True, source="operator", at=NOW, email=email)
    assert run("marketing", "check", "Jana.Mueller@example.org", container=container) == (0, "yes\n")


def test_check_refuses_what_is_not_one_address(container: Any) -> None:
    code, out = run("marketing", "check", "a@b, c@d.example", container=container)
    assert code == 1 and out == "error: not one e-mail address\n"


def test_help_names_the_commands() -> None:
    code, out = run("marketing", "--help")
    assert code == 0 and "api-key" in out and "check" in out
