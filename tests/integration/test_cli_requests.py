"""The operator CLI (python -m chalicelib.cli) against the emulated table."""

from __future__ import annotations

import io
from typing import Any

from chalicelib.cli import main
from chalicelib.domain.retention import DAY
from chalicelib.services import privacy_requests as service
from tests.conftest import NOW


def run(container: Any, *argv: str) -> tuple[int, str]:
    out = io.StringIO()
    code = main(["--operator", "dpo", *argv], container=container, out=out)
    return code, out.getvalue()


def submit(container: Any, kind: str, address: str) -> str:
    submitted = service.submit_request(container, email=address, request_type=kind, channel="account",
                                       received_at=NOW, needs_verification=False)
    service.fulfil_safely(container, service.get_request(container, submitted.request_id, now=NOW), now=NOW)
    return submitted.request_id


def test_list_shows_open_requests_by_due_date_with_days_left(container: Any) -> None:
    correction = submit(container, "correction", "a@example.com")
    deletion = submit(container, "deletion", "b@example.com")
    extended = submit(container, "correction", "c@example.com")
    service.extend_request(container, request_id=extended, reason="complex", actor="operator:dpo", now=NOW)
    container.clock.advance(29 * DAY)
    code, out = run(container, "list")
    lines = out.splitlines()
    assert code == 0 and lines[0].startswith("REQUEST")
    assert [line.split()[0] for line in lines[1:]] in ([correction, deletion, extended],
                                                       [deletion, correction, extended])
    assert " 1" in lines[1] and "extended" in lines[3]
    assert "@" not in out


def test_show_prints_the_audit_trail(container: Any) -> None:
    request_id = submit(container, "correction", "a@example.com")
    code, out = run(container, "show", request_id)
    assert code == 0 and "correction" in out and "pending -> in_progress" in out and "@" not in out


def test_extend_complete_deny_cancel(container: Any) -> None:
    correction = submit(container, "correction", "a@example.com")
    code, out = run(container, "extend", correction, "--reason", "waiting for the store")
    assert code == 0 and "extended: due 2027-02-21" in out and "notice sent" in out
    code, out = run(container, "extend", correction, "--reason", "again")
    assert code == 2 and "already extended" in out
    code, out = run(container, "complete", correction, "--note", "name fixed in WooCommerce")
    assert code == 0 and out.strip().endswith("completed")
    _, shown = run(container, "show", correction)
    assert "operator:dpo" in shown and "name fixed in WooCommerce" in shown
    access = submit(container, "correction", "b@example.com")
    assert run(container, "deny", access, "--reason", "manifestly unfounded")[1].strip().endswith("denied")
    deletion = submit(container, "deletion", "c@example.com")
    assert run(container, "cancel", deletion, "--reason", "asked by phone")[1].strip().endswith("cancelled")
    code, out = run(container, "list")
    assert out.strip() == "no open requests"


def test_unknown_request_is_an_error(container: Any) -> None:
    code, out = run(container, "show", "nope")
    assert code == 2 and "no such request" in out


def test_run_once(container: Any) -> None:
    code, out = run(container, "run", "--dry-run")
    assert code == 0 and '"deletions": 0' in out
