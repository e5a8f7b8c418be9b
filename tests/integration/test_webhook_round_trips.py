"""DynamoDB round trips per delivery (counted with botocore event hooks), concurrency of PayPal copies, and the
erasure race on DynamoDB."""

from __future__ import annotations

import json
from typing import Any

from bench.common import RoundTrips
from chalicelib.payloads.paypal import PaypalEvent
from chalicelib.payloads.woocommerce import OrderPayload
from chalicelib.services.record_paypal import record_event
from chalicelib.services.record_woocommerce import record_order
from chalicelib.storage.orders import ORDER, Outcome
from chalicelib.storage.subject_keys import SUPPRESSED_SK, subject_pk
from tests.conftest import EVENTS, NOW
from tests.helpers import race

ORDER_JSON = json.loads((EVENTS / "woocommerce" / "order.created.payload.json").read_text())


def order(**overrides: Any) -> OrderPayload:
    return OrderPayload.model_validate({**ORDER_JSON, **overrides})


def test_one_round_trip_per_new_newer_duplicate_or_stale_order_with_a_warm_key(container: Any) -> None:
    ports = container.webhook_ports
    trips = RoundTrips(container.table.client)
    assert record_order(order(), ports) is Outcome.ACCEPTED  # cold: key read, KMS, key put, extension, write
    cold = trips.count
    assert cold > 1
    for payload, expected in [(order(status="completed", date_modified_gmt="2024-11-06T00:00:00"), Outcome.ACCEPTED),
                              (order(status="completed", date_modified_gmt="2024-11-06T00:00:00"), Outcome.DUPLICATE),
                              (order(status="pending"), Outcome.STALE),
                              (order(id=1299, date_created_gmt="2024-11-20T00:00:00"), Outcome.ACCEPTED)]:
        trips.reset()
        assert record_order(payload, ports) is expected
        assert trips.count == 1, (expected, trips.operations)
        assert trips.operations == ["DynamoDB_20120810.TransactWriteItems"]


def test_concurrent_copies_of_a_paypal_event_have_one_effect(container: Any, table_items: Any) -> None:
    """Real threads on the emulator (moto, patched by emulator.install so that its DynamoDB backend takes
    concurrent calls as DynamoDB does: each conditional write atomic)."""
    ports = container.webhook_ports
    record_order(order(), ports)
    event = PaypalEvent.model_validate(json.loads((EVENTS / "paypal" / "PAYMENT.CAPTURE.COMPLETED.json").read_text()))
    results = race(lambda _: record_event(event, ports))  # a conflict that survived the retries: 503, PayPal retries
    assert set(results) <= {"accepted", "duplicate", "StorageUnavailableError"}
    # At most one copy reports the effect; a copy that lost a conflict answers 503 and PayPal retries it.
    assert results.count("accepted") <= 1
    again = record_event(event, ports)
    assert again == "duplicate" or (again == "accepted" and results.count("accepted") == 0)
    assert record_event(event, ports) == "duplicate"
    effects = [item for item in table_items() if item["pk"] == f"PAYPAL#{event.id}"]
    assert len(effects) == 1  # one effect, however many deliveries


def test_erasure_by_another_process_after_the_key_was_cached(container: Any, table_items: Any) -> None:
    ports = container.webhook_ports
    record_order(order(), ports)
    subject = container.subject_for_email("jana.mueller@example.org")
    assert container.vault.cached(subject)
    container.keys_table.put({"pk": subject_pk(subject), "sk": SUPPRESSED_SK, "suppressed_at": NOW,
                         "expires_at": NOW + 86_400})
    container.keys_table.delete(subject_pk(subject), "KEY")
    assert record_order(order(status="completed", date_modified_gmt="2024-11-09T00:00:00"), ports) \
        is Outcome.ACCEPTED
    stored = ports.records.get(ORDER, 1234, now=NOW)
    assert stored is not None and stored.subject is None and stored.sealed == {}
    assert stored.data["status"] == "completed" and "customer_id" not in stored.data
    assert not any(i["pk"] == subject_pk(subject) and i["sk"] == "KEY" for i in table_items())
