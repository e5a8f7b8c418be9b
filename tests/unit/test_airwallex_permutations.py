"""Airwallex order-independence, property-based: any permutation of a payment's events, with duplicates, ends in the
same stored state (in-memory ports; tests/integration/test_airwallex_permutations_dynamo.py runs it on DynamoDB)."""

from __future__ import annotations

from hypothesis import given, settings

from tests.fakes.airwallex_permutations import deliveries, prepare, state
from tests.fakes.webhooks import delivery_sets, memory

ALL = deliveries()


@settings(max_examples=300, deadline=None)
@given(delivery_sets(len(ALL)))
def test_any_permutation_with_duplicates_ends_in_the_same_state(pair: tuple[list[int], list[int]]) -> None:
    chosen, permuted = pair
    outcomes = []
    for sequence in (chosen, permuted, sorted(chosen)):
        world = memory()
        prepare(world.ports)
        for index in sequence:
            ALL[index](world.ports)
        outcomes.append(state(world.ports, world.vault))
    assert outcomes[0] == outcomes[1] == outcomes[2]


def test_the_property_is_not_vacuous() -> None:
    """The newest states win whatever came first: cancelled intent, the later refund, the won dispute."""
    world = memory()
    prepare(world.ports)
    for index in reversed(range(len(ALL))):
        ALL[index](world.ports)
    final = state(world.ports, world.vault)
    assert '"status": "CANCELLED"' in final and '"status": "WON"' in final and '"amount": "12.5"' in final
    world = memory()
    prepare(world.ports)
    ALL[1](world.ports)
    assert '"status": "REQUIRES_CAPTURE"' in state(world.ports, world.vault)
