"""Property: no sequence of consent events ever loses a ledger entry or leaves the current state different from the
last effective event (in-memory twin; tests/integration/test_consent_ledger_property_dynamo.py runs it on moto)."""

from typing import Any

from hypothesis import given, settings

from tests.fakes.consent import InMemoryConsentRepository
from tests.fakes.consent_properties import events, run_and_check
from tests.helpers import retention

NOW = 1_795_435_200


@settings(max_examples=300, deadline=None)
@given(events)
def test_no_sequence_loses_an_entry_or_leaves_a_stale_state(sequence: list[dict[str, Any]]) -> None:
    run_and_check(InMemoryConsentRepository(retention()), sequence, NOW)
