"""The WooCommerce recording service on in-memory ports: minimisation, subjects, ordering, deletion, erasure."""

from __future__ import annotations

import json
from typing import Any

import pytest

from chalicelib.errors import InvalidInputError
from chalicelib.payloads.woocommerce import CustomerPayload, OrderPayload
from chalicelib.services.record_woocommerce import minimise_order, record_customer, record_deletion, record_order
from chalicelib.storage.orders import CUSTOMER, ORDER, Outcome
from tests.conftest import NOW
from tests.fakes.webhooks import WC, load, memory

EMAIL = "jana.mueller@example.org"
DAY = 86_400


def order(**overrides: Any) -> OrderPayload:
    return OrderPayload.model_validate(load(WC / "order.created.payload.json", **overrides))


def customer(**overrides: Any) -> CustomerPayload:
    return CustomerPayload.model_validate(load(WC / "customer.created.payload.json", **overrides))


def test_order_is_minimised_user_agent_dropped_ip_truncated() -> None:
    data, personal, references = minimise_order(order())
    text = json.dumps(data, ensure_ascii=False)
    for absent in ("Mozilla", "203.0.113", "wc_order_Xk3pQ9zL1mN0a", "cart_hash", "payment_url", "Hauptstraße",
                   EMAIL, "Bitte", "_links", "shop.example.com"):
        assert absent not in text, absent
    assert data["billing_country"] == "DE" and data["billing_state"] == ""
    assert [i["product_id"] for i in data["line_items"]] == [93, 22]
    assert data["line_items"][0]["quantity"] == 2 and data["line_items"][0]["name"].startswith("Organic")
    assert data["tax_lines"][0]["rate_percent"] == 19 and data["total_tax"] == "8.92"
    assert data["transaction_id"] == "8MC585209K746392H" and data["paypal_order_id"] == "5O190127TN364715T"
    assert data["customer_id"] == 57 and data["guest"] is False
    assert personal["customer_ip"] == "203.0.113.0"
    assert personal["billing"]["email"] == EMAIL and personal["paypal_payer"] == {"email": EMAIL}
    assert references == ("5O190127TN364715T", "8MC585209K746392H")


def test_ipv6_is_kept_to_its_64_prefix_and_garbage_not_at_all() -> None:
    assert minimise_order(order(customer_ip_address="2001:db8:85a3:8d3:1319:8a2e:370:7348"))[1]["customer_ip"] \
        == "2001:db8:85a3:8d3::"
    assert minimise_order(order(customer_ip_address="not-an-ip"))[1]["customer_ip"] is None


def test_a_store_that_keeps_no_ip_keeps_no_customer_ip_at_all() -> None:
    from chalicelib.domain.privacy import anonymise_value

    data, personal, _ = minimise_order(order(customer_ip_address="203.0.113.45"), store_ip=False)
    assert "customer_ip" not in personal and "203.0.113" not in repr((data, personal))
    assert anonymise_value("customer_ip_address", "203.0.113.45") == "203.0.113.0"
    assert anonymise_value("billing", {"customer_ip": "203.0.113.45"}, keep_ip=False) == {"customer_ip": ""}


def test_paypal_standard_payer_meta_is_sealed_not_plain() -> None:
    standard = OrderPayload.model_validate(load(WC / "order.paypal-standard.payload.json"))
    data, personal, references = minimise_order(standard)
    assert personal["paypal_payer"] == {"email": EMAIL, "first_name": "Jana", "last_name": "Müller"}
    assert "Payer" not in json.dumps(data) and data["guest"] is True and "customer_id" not in data
    assert references == ("7DW85331GX749735N",)


def test_new_order_is_sealed_for_the_billing_email_subject() -> None:
    world = memory()
    assert record_order(order(), world.ports) is Outcome.ACCEPTED
    stored = world.records.get(ORDER, 1234, now=NOW)
    assert stored is not None and stored.subject == world.subject(EMAIL)
    opened = world.opened(stored.sealed, stored.subject)
    assert opened["shipping"]["address_1"] == "Hauptstraße 5" and opened["customer_note"].startswith("Bitte")
    assert stored.category == "order" and stored.due_at == 1_730_811_802 + 2555 * DAY
    assert stored.expires_at == stored.due_at + 1095 * DAY  # anonymised, then kept as a record


def test_guest_orders_are_keyed_by_billing_email() -> None:
    world = memory()
    guest = OrderPayload.model_validate(load(WC / "order.paypal-standard.payload.json"))
    record_order(guest, world.ports)
    stored = world.records.get(ORDER, 1235, now=NOW)
    assert stored is not None and stored.subject == world.subject(EMAIL)


def test_order_without_billing_email_uses_its_customers_subject() -> None:
    world = memory()
    record_customer(customer(email="account@example.org"), world.ports)
    payload = load(WC / "order.created.payload.json")
    payload["billing"] = {**payload["billing"], "email": ""}
    record_order(OrderPayload.model_validate(payload), world.ports)
    stored = world.records.get(ORDER, 1234, now=NOW)
    assert stored is not None and stored.subject == world.subject("account@example.org")


def test_order_without_any_subject_keeps_no_personal_fields() -> None:
    world = memory()
    payload = load(WC / "order.paypal-standard.payload.json")
    payload["billing"] = {**payload["billing"], "email": ""}
    record_order(OrderPayload.model_validate(payload), world.ports)
    stored = world.records.get(ORDER, 1235, now=NOW)
    assert stored is not None and stored.subject is None and stored.sealed == {}
    assert stored.data["total"] == "54.90"


def test_newer_applies_older_and_equal_change_nothing() -> None:
    world = memory()
    assert record_order(order(status="processing"), world.ports) is Outcome.ACCEPTED
    newer = order(status="completed", date_modified_gmt="2024-11-06T09:00:00")
    assert record_order(newer, world.ports) is Outcome.ACCEPTED
    assert record_order(newer, world.ports) is Outcome.DUPLICATE
    assert record_order(order(status="processing"), world.ports) is Outcome.STALE
    stored = world.records.get(ORDER, 1234, now=NOW)
    assert stored is not None and stored.data["status"] == "completed"


def test_same_second_different_content_has_one_winner_whatever_the_order() -> None:
    first = order(status="on-hold")
    second = order(status="cancelled")
    outcomes = []
    for sequence in ((first, second), (second, first)):
        world = memory()
        for payload in sequence:
            record_order(payload, world.ports)
        stored = world.records.get(ORDER, 1234, now=NOW)
        assert stored is not None
        outcomes.append(stored.data["status"])
    assert outcomes[0] == outcomes[1]


def test_deleted_wins_over_older_updates_and_a_newer_restore_wins_over_it() -> None:
    world = memory()
    record_order(order(), world.ports)
    assert record_deletion(ORDER, 1234, world.ports) is Outcome.ACCEPTED
    assert record_order(order(status="completed", date_modified_gmt="2024-11-07T00:00:00"), world.ports) \
        is Outcome.STALE
    assert record_deletion(ORDER, 1234, world.ports) is Outcome.DUPLICATE
    stored = world.records.get(ORDER, 1234, now=NOW)
    assert stored is not None and stored.deleted and stored.sealed == {} and stored.subject is None
    assert stored.category == "webhook_receipt" and stored.due_at is None
    restored = order(status="processing", date_modified_gmt="2026-11-23T12:05:00")  # restored after the trash
    assert record_order(restored, world.ports) is Outcome.ACCEPTED
    again = world.records.get(ORDER, 1234, now=NOW)
    assert again is not None and not again.deleted and again.subject == world.subject(EMAIL)


def test_deletion_of_an_unknown_record_leaves_a_tombstone() -> None:
    world = memory()
    assert record_deletion(CUSTOMER, 99, world.ports) is Outcome.ACCEPTED
    assert record_customer(customer(id=99), world.ports) is Outcome.STALE
    stored = world.records.get(CUSTOMER, 99, now=NOW)
    assert stored is not None and stored.deleted and stored.category == "deleted_account"
    assert stored.due_at == NOW + 30 * DAY and stored.expires_at == NOW + 30 * DAY


def test_customer_profile_is_sealed_and_refreshed_by_each_update() -> None:
    world = memory()
    record_customer(customer(), world.ports)
    stored = world.records.get(CUSTOMER, 57, now=NOW)
    assert stored is not None and stored.category == "customer_profile" and stored.expires_at == NOW + 1095 * DAY
    assert set(stored.sealed) == {"email", "name", "username", "billing", "shipping"}
    assert "avatar_url" not in stored.data and "Jana" not in json.dumps(stored.data)
    world.clock.advance(10 * DAY)
    record_customer(customer(date_modified_gmt="2025-01-01T00:00:00"), world.ports)
    refreshed = world.records.get(CUSTOMER, 57, now=NOW)
    assert refreshed is not None and refreshed.expires_at == NOW + 1105 * DAY


def test_missing_modified_date_is_invalid_input() -> None:
    world = memory()
    with pytest.raises(InvalidInputError):
        record_customer(customer(date_modified_gmt=None, date_created_gmt=None), world.ports)


def test_an_erased_subject_is_stored_without_personal_fields_or_link() -> None:
    world = memory()
    world.suppress(EMAIL)
    assert record_order(order(), world.ports) is Outcome.ACCEPTED
    stored = world.records.get(ORDER, 1234, now=NOW)
    assert stored is not None and stored.subject is None and stored.sealed == {}
    assert "customer_id" not in stored.data and "transaction_id" not in stored.data
    assert "paypal_order_id" not in stored.data and world.records.references == {}
    assert world.keys.get(world.subject(EMAIL), now=NOW) is None  # no key was created again


def test_erasure_after_the_key_was_cached_is_caught_by_the_write() -> None:
    world = memory()
    record_order(order(), world.ports)  # the key is now cached in this process
    world.suppress(EMAIL)  # another process erases the subject
    assert record_order(order(status="completed", date_modified_gmt="2024-11-08T00:00:00"), world.ports) \
        is Outcome.ACCEPTED
    stored = world.records.get(ORDER, 1234, now=NOW)
    assert stored is not None and stored.subject is None and stored.sealed == {}
    assert not world.vault.cached(world.subject(EMAIL))


def test_the_subject_key_outlives_every_record_and_is_extended_only_when_one_needs_it() -> None:
    world = memory()
    record_order(order(), world.ports)  # the new key is made to outlive its first record: no extension
    record_order(order(status="completed", date_modified_gmt="2024-11-06T00:00:00"), world.ports)
    assert world.keys.extensions == 0
    record_order(order(id=1300, date_created_gmt="2027-06-01T00:00:00", date_modified_gmt="2027-06-01T00:00:00"),
                 world.ports)  # kept until 2034: longer than the key
    assert world.keys.extensions == 1
    record_order(order(id=1301, date_created_gmt="2027-08-01T00:00:00", date_modified_gmt="2027-08-01T00:00:00"),
                 world.ports)  # within the extension's slack
    assert world.keys.extensions == 1
    key = world.keys.get(world.subject(EMAIL), now=NOW)
    for ident in (1234, 1300, 1301):
        stored = world.records.get(ORDER, ident, now=NOW)
        assert key is not None and stored is not None and stored.due_at is not None
        assert key.expires_at >= stored.due_at
