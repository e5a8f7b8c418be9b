"""Airwallex on DynamoDB (moto): the permutation property decided by the conditional writes, round trips per
delivery (counted with botocore event hooks), concurrent copies of one event, an erased subject."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bench.common import RoundTrips
from chalicelib.payloads.airwallex import PAYMENT_INTENT, AirwallexEvent
from chalicelib.payloads.woocommerce import OrderPayload
from chalicelib.services.record_airwallex import record_event
from chalicelib.services.record_woocommerce import record_order
from chalicelib.storage.airwallex_events import object_key
from chalicelib.storage.subject_keys import SUPPRESSED_SK, subject_pk
from tests.conftest import NOW
from tests.fakes.airwallex_permutations import EVENTS, OBJECTS, deliveries, prepare, state
from tests.fakes.webhooks import AW, WC, delivery_sets, load
from tests.helpers import race

INTENT_ID = "int_hkpdcpcvbgh8mwk1234"
TRANSACTION = "DynamoDB_20120810.TransactWriteItems"
GET = "DynamoDB_20120810.GetItem"


def clear(container: Any) -> None:
    for object_type, object_id in OBJECTS:
        container.table.delete(*object_key(object_type, object_id))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.data())
def test_any_permutation_with_duplicates_ends_in_the_same_state_on_dynamodb(container: Any, data: Any) -> None:
    ports = container.webhook_ports
    run = deliveries()
    chosen, permuted = data.draw(delivery_sets(len(run), max_size=12))
    outcomes = []
    for sequence in (chosen, permuted):
        clear(container)
        prepare(ports)
        for index in sequence:
            run[index](ports)
        outcomes.append(state(ports, container.vault))
    assert outcomes[0] == outcomes[1]


def intent(**changes: Any) -> AirwallexEvent:
    data = load(AW / "payment_intent.succeeded.json")
    data.update({k: v for k, v in changes.items() if k in ("id", "name", "created_at")})
    data["data"]["object"].update({k: v for k, v in changes.items() if k not in ("id", "name", "created_at")})
    return AirwallexEvent.model_validate(data)


def test_round_trips_per_delivery(container: Any) -> None:
    ports = container.webhook_ports
    record_order(OrderPayload.model_validate(load(WC / "order.created.payload.json")), ports)  # the key is warm
    trips = RoundTrips(container.table.client)
    for event, expected in [(intent(), "accepted"), (intent(), "duplicate"),
                            (intent(id="evt_older", created_at="2026-11-23T11:00:00+0000", status="PENDING"),
                             "stale")]:
        trips.reset()
        assert record_event(event, ports) == expected
        assert trips.operations == [TRANSACTION], (expected, trips.operations)  # customer e-mail: 1 round trip
    trips.reset()
    assert record_event(intent(id="evt_no_mail", customer=None, latest_payment_attempt=None,
                               created_at="2026-11-23T11:59:00+0000"), ports) == "accepted"
    assert trips.operations == [GET, TRANSACTION]  # the linked order's subject, then the write
    trips.reset()
    assert record_event(AirwallexEvent.model_validate(load(AW / "refund.succeeded.json")), ports) == "accepted"
    assert trips.operations == [GET, TRANSACTION]  # the payment intent's order and subject, then the write


def test_concurrent_copies_of_an_event_have_one_effect(container: Any, table_items: Any) -> None:
    ports = container.webhook_ports
    record_order(OrderPayload.model_validate(load(WC / "order.created.payload.json")), ports)
    event = intent()
    results = race(lambda _: record_event(event, ports))  # a conflict that survived the retries: 503, Airwallex retries
    assert set(results) <= {"accepted", "duplicate", "StorageUnavailableError"}
    assert results.count("accepted") <= 1
    assert record_event(event, ports) in ("duplicate", "accepted")
    assert record_event(event, ports) == "duplicate"
    pk, _ = object_key(PAYMENT_INTENT, INTENT_ID)
    assert len([item for item in table_items() if item["pk"] == pk]) == 1


def test_an_erased_subjects_event_is_stored_unlinked_and_without_a_key(container: Any, table_items: Any) -> None:
    ports = container.webhook_ports
    subject = container.subject_for_email("jana.mueller@example.org")
    container.keys_table.put({"pk": subject_pk(subject), "sk": SUPPRESSED_SK, "suppressed_at": NOW,
                              "expires_at": NOW + 86_400})
    assert record_event(EVENTS[2], ports) == "accepted"
    stored = ports.airwallex.get(PAYMENT_INTENT, INTENT_ID, now=NOW)
    assert stored is not None and stored.subject is None and stored.sealed == {}
    assert "payment_intent_id" not in stored.data and stored.data["status"] == "SUCCEEDED"
    assert not any(i["pk"] == subject_pk(subject) and i["sk"] == "KEY" for i in table_items())
