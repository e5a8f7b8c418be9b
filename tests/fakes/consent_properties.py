"""The consent ledger property (hypothesis), run against the in-memory twin and DynamoDB."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from chalicelib.domain.consent import Choices, ProofContext
from chalicelib.services.record_consent import ConsentCommand, ConsentRules, Owner, consent_scheme, record_consent
from chalicelib.storage.consent import ConsentRepository
from tests.helpers import store_policy

RULES = ConsentRules("2026-05", 365, consent_scheme(store_policy()))


choices = st.builds(Choices, preferences=st.booleans(), analytics=st.booleans(), marketing=st.booleans())


events = st.lists(
    st.fixed_dictionaries({
        "holder": st.sampled_from(["V.a", "V.b", "A.subj"]),
        "action": st.sampled_from(["accept_all", "reject_all", "custom", "withdraw"]),
        "choices": choices,
        "gpc": st.booleans(),
        "step": st.integers(min_value=0, max_value=3),  # seconds since the previous event (0: same second)
        "policy": st.sampled_from(["2026-05", "2025-01"]),
        "owned": st.booleans(),
    }),
    min_size=1, max_size=12,
)


def run_and_check(repo: ConsentRepository, sequence: list[dict[str, Any]], start: int, tag: str = "") -> None:
    """Record the sequence (holders and the subject suffixed with `tag`, to isolate examples in one table)."""
    now = start
    subject = "subj" + tag
    recorded: dict[str, list[str]] = {}
    last: dict[str, Any] = {}
    for event in sequence:
        now += event["step"]
        asked = event["choices"] if event["action"] == "custom" else None
        holder = event["holder"] + tag
        owner = Owner(subject, "57") if event["owned"] or holder == "A." + subject else None
        receipt = record_consent(repo, ConsentCommand(event["action"], asked, event["policy"], "banner"),
                                 ProofContext(gpc=event["gpc"]), holder=holder, now=now, rules=RULES,
                                 owner=owner)
        recorded.setdefault(holder, []).append(receipt.consent_id)
        last[holder] = receipt
    for holder, ids in recorded.items():
        ledger = repo.ledger(holder, now=now)
        assert sorted(e.consent_id for e in ledger) == sorted(ids)  # nothing lost, nothing invented
        assert [e.recorded_at for e in ledger] == sorted(e.recorded_at for e in ledger)
        state = repo.current(holder, now=now)
        receipt = last[holder]
        assert state is not None
        assert state.consent_id == receipt.consent_id
        assert state.effective == receipt.effective.choices
        assert state.overrides == receipt.effective.overrides
        assert not (state.gpc and state.effective.granted("marketing"))

