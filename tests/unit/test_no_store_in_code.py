"""No store's name or promise stays in the code: everything store-specific comes from the policy file."""

from __future__ import annotations

import re

import pytest

from tests.conftest import ROOT
from tests.helpers import POLICIES, store_policy


def _store_words() -> set[str]:
    words: set[str] = set()
    for name in POLICIES:
        policy = store_policy(name)
        controller = policy.controller
        words |= {controller.legal_name, *(filter(None, [controller.trading_name, controller.registry_code]))}
        words |= {controller.contacts.privacy, *(filter(None, [controller.contacts.support, controller.contacts.dpo]))}
        parts = [part.strip() for part in controller.address.split(",")][:-1]  # the last: a country's name
        words |= {part for part in parts if len(part) >= 5 and not part.startswith("not ")}
        words |= {re.sub(r"^https://([^/]+).*$", r"\1", url) for url in
                  filter(None, [policy.policy.privacy_policy_url, policy.policy.cookie_policy_url])}
    return words


@pytest.mark.parametrize("path", sorted((ROOT / "chalicelib").rglob("*.py")), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_store_text_in_chalicelib(path: object) -> None:
    text = path.read_text(encoding="utf-8").lower()  # type: ignore[attr-defined]
    found = sorted(word for word in _store_words() if word.lower() in text)
    found += sorted(m for m in ("jetcs", "jetkrate", "jetrack", "jetcards", "estonian accounting") if m in text)
    assert not found, f"{path}: store-specific text {found} (move it into the store's policy file)"
