"""Order-independence, property-based: any permutation of a set of deliveries, with duplicates, ends in the same
stored state (in-memory ports here; tests/integration/test_webhook_permutations_dynamo.py runs it on DynamoDB)."""

from __future__ import annotations

from hypothesis import given, settings

from tests.fakes.webhook_permutations import EVENT_IDS, deliveries, state
from tests.fakes.webhooks import delivery_sets, memory

ALL = deliveries()


@settings(max_examples=300, deadline=None)
@given(delivery_sets(len(ALL)))
def test_any_permutation_with_duplicates_ends_in_the_same_state(pair: tuple[list[int], list[int]]) -> None:
    chosen, permuted = pair
    outcomes = []
    for sequence in (chosen, permuted, sorted(chosen)):
        world = memory()
        for index in sequence:
            ALL[index](world.ports)
        outcomes.append(state(world.ports, world.vault, event_ids=EVENT_IDS))
    assert outcomes[0] == outcomes[1] == outcomes[2]


def test_the_property_is_not_vacuous() -> None:
    """A sequence and its reverse that must differ if ordering were ignored: created then newer update."""
    world = memory()
    ALL[0](world.ports)
    ALL[1](world.ports)
    first = state(world.ports, world.vault)
    assert '"status": "completed"' in first or '"status": "on-hold"' in first
    world = memory()
    ALL[5](world.ports)  # the deletion alone
    assert '"deleted": true' in state(world.ports, world.vault)
