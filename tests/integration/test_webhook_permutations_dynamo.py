"""The permutation property on DynamoDB (moto): conditional writes, not the in-memory twin, decide the state."""

from __future__ import annotations

import itertools
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.fakes.webhook_permutations import EVENT_IDS, deliveries, state
from tests.fakes.webhooks import delivery_sets

_ids = itertools.count(10_000, 10)
REFERENCES = ("5O190127TN364715T", "8MC585209K746392H")


def clear(container: Any, order_id: int, customer_id: int, event_ids: tuple[str, ...]) -> None:
    keys = [(f"ORDER#{order_id}", "ORDER"), (f"CUSTOMER#{customer_id}", "PROFILE")]
    keys += [(f"PAYPAL#{e}", "EVENT") for e in event_ids] + [(f"PAYPALREF#{r}", "REF") for r in REFERENCES]
    for pk, sk in keys:
        container.table.delete(pk, sk)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.data())
def test_any_permutation_with_duplicates_ends_in_the_same_state_on_dynamodb(container: Any, data: Any) -> None:
    ports = container.webhook_ports
    size = len(deliveries())
    chosen, permuted = data.draw(delivery_sets(size, max_size=12))
    order_id = next(_ids)
    prefix = f"E{order_id}-"
    event_ids = tuple(prefix + e for e in EVENT_IDS)
    run = deliveries(order_id=order_id, customer_id=order_id + 1, event_prefix=prefix)
    outcomes = []
    for sequence in (chosen, permuted):
        clear(container, order_id, order_id + 1, event_ids)
        for index in sequence:
            run[index](ports)
        outcomes.append(state(ports, container.vault, order_id=order_id, customer_id=order_id + 1,
                              event_ids=event_ids))
    assert outcomes[0] == outcomes[1]
