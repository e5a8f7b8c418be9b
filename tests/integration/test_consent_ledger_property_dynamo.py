"""The ledger property on DynamoDB (moto): the real conditional transaction, not only the twin."""

import uuid
from typing import Any

from hypothesis import HealthCheck, given, settings

from chalicelib.storage.consent import DynamoConsentRepository
from tests.conftest import NOW
from tests.fakes.consent_properties import events, run_and_check


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(sequence=events)
def test_no_sequence_loses_an_entry_or_leaves_a_stale_state_on_dynamodb(container: Any,
                                                                        sequence: list[dict[str, Any]]) -> None:
    repo = DynamoConsentRepository(container.table, container.policy, container.sealed_writes)
    run_and_check(repo, sequence, NOW, tag=uuid.uuid4().hex[:8])
