"""The PayPal recording service on in-memory ports: links to orders and subjects, sealing, dedup, erasure."""

from __future__ import annotations

import json
from typing import Any

import pytest

from chalicelib.errors import InvalidInputError
from chalicelib.payloads.paypal import PaypalEvent
from chalicelib.payloads.woocommerce import OrderPayload
from chalicelib.services.record_paypal import record_event
from chalicelib.services.record_woocommerce import record_order
from tests.conftest import NOW
from tests.fakes.webhooks import PP, WC, load, memory

EMAIL = "jana.mueller@example.org"


def event(name: str, **resource: Any) -> PaypalEvent:
    data = load(PP / name)
    data["resource"] = {**data["resource"], **resource}
    return PaypalEvent.model_validate(data)


def with_order(world: Any) -> None:
    record_order(OrderPayload.model_validate(load(WC / "order.created.payload.json")), world.ports)


def test_capture_links_to_the_order_by_custom_id_and_to_the_orders_subject() -> None:
    world = memory()
    with_order(world)
    assert record_event(event("PAYMENT.CAPTURE.COMPLETED.json"), world.ports) == "accepted"
    stored = world.events.get("WH-58D329510W468432D-8HN650336L201105X", now=NOW)
    assert stored is not None and stored.kind == "payment" and stored.category == "payment"
    assert stored.data["order_id"] == 1234 and stored.subject == world.subject(EMAIL)
    assert stored.data["amount"] == {"currency": "EUR", "value": "54.90"}
    assert stored.data["transaction_id"] == "8MC585209K746392H" and stored.sealed == {}


def test_without_custom_id_the_paypal_order_id_pointer_finds_the_order() -> None:
    world = memory()
    with_order(world)
    record_event(event("PAYMENT.CAPTURE.COMPLETED.json", custom_id=None, invoice_id=None), world.ports)
    stored = world.events.get("WH-58D329510W468432D-8HN650336L201105X", now=NOW)
    assert stored is not None and stored.data["order_id"] == 1234 and stored.subject == world.subject(EMAIL)


def test_dispute_finds_the_order_through_the_capture_pointer() -> None:
    world = memory()
    with_order(world)
    data = load(PP / "CUSTOMER.DISPUTE.CREATED.json")
    transaction = {**data["resource"]["disputed_transactions"][0], "custom": None, "invoice_number": None}
    data["resource"]["disputed_transactions"] = [transaction]
    record_event(PaypalEvent.model_validate(data), world.ports)
    stored = world.events.get(data["id"], now=NOW)
    assert stored is not None and stored.kind == "dispute" and stored.data["order_id"] == 1234
    opened = world.opened(stored.sealed, world.subject(EMAIL))
    assert opened["messages"][0]["posted_by"] == "BUYER" and opened["buyer_transaction_ids"] == ["4RM85893A7845262J"]
    assert "Package" not in json.dumps(stored.data)


def test_invoice_digits_are_the_last_resort() -> None:
    world = memory()
    record_event(event("PAYMENT.CAPTURE.DENIED.json", custom_id="not-an-id"), world.ports)
    stored = world.events.get("WH-4SW78779LY2325805-07E03580SX1414828", now=NOW)
    assert stored is not None and stored.data["order_id"] == 1234
    assert stored.subject is None  # the order is not known (yet): no subject to link


def test_checkout_events_link_to_the_payer_email_even_before_the_order() -> None:
    world = memory()
    assert record_event(event("CHECKOUT.ORDER.APPROVED.json"), world.ports) == "accepted"
    stored = world.events.get("WH-COC11055RA711503B-4YM959094A144403T", now=NOW)
    assert stored is not None and stored.subject == world.subject(EMAIL)
    opened = world.opened(stored.sealed, stored.subject)
    assert opened["payer"]["email"] == EMAIL and opened["payer"]["name"] == {"given_name": "Jana",
                                                                            "surname": "Müller"}
    assert opened["shipping"][0]["address"]["address_line_1"] == "Hauptstraße 5"
    assert stored.data["paypal_order_id"] == "5O190127TN364715T" and "Jana" not in json.dumps(stored.data)


def test_refund_is_not_linked_to_the_merchant_in_its_payer_field() -> None:
    world = memory()
    with_order(world)
    record_event(event("PAYMENT.CAPTURE.REFUNDED.json"), world.ports)
    stored = world.events.get("WH-1GE84257G0350133W-6RW800890C634293G", now=NOW)
    assert stored is not None and stored.subject == world.subject(EMAIL)  # the order's subject, not payments@
    assert world.opened(stored.sealed, stored.subject) == {"note_to_payer": "Partial refund: tote bag returned"}


def test_dispute_without_a_known_order_drops_its_personal_fields() -> None:
    world = memory()
    data = load(PP / "CUSTOMER.DISPUTE.CREATED.json")
    data["resource"]["disputed_transactions"][0].update({"custom": None, "invoice_number": None})
    record_event(PaypalEvent.model_validate(data), world.ports)
    stored = world.events.get(data["id"], now=NOW)
    assert stored is not None and stored.subject is None and stored.sealed == {}
    assert "order_id" not in stored.data and stored.data["status"] == "OPEN"


def test_one_effect_per_event_id() -> None:
    world = memory()
    with_order(world)
    assert [record_event(event("PAYMENT.CAPTURE.COMPLETED.json"), world.ports) for _ in range(3)] == \
        ["accepted", "duplicate", "duplicate"]
    assert len(world.events.events) == 1


def test_other_event_types_are_ignored() -> None:
    world = memory()
    ignored = PaypalEvent.model_validate({"id": "WH-1", "event_type": "PAYMENT.SALE.COMPLETED", "resource": {}})
    assert record_event(ignored, world.ports) == "ignored"
    assert world.events.events == {}


def test_an_erased_payer_is_not_resurrected() -> None:
    world = memory()
    world.suppress(EMAIL)
    assert record_event(event("CHECKOUT.ORDER.COMPLETED.json"), world.ports) == "accepted"
    stored = world.events.get("WH-55TG7562XN2588878-8YH955435R661687G", now=NOW)
    assert stored is not None and stored.subject is None and stored.sealed == {}
    assert "paypal_order_id" not in stored.data and world.keys.get(world.subject(EMAIL), now=NOW) is None


def test_retention_starts_at_the_event_time() -> None:
    world = memory()
    with_order(world)
    record_event(event("CUSTOMER.DISPUTE.CREATED.json"), world.ports)
    stored = world.events.get("WH-4M0448861G563140B-9EX36365822141321", now=NOW)
    assert stored is not None and stored.category == "dispute"
    assert stored.expires_at == 1_732_090_293 + (2555 + 1095) * 86_400


def test_a_resource_missing_its_id_is_invalid_input() -> None:
    world = memory()
    bad = PaypalEvent.model_validate({"id": "WH-2", "event_type": "CUSTOMER.DISPUTE.UPDATED", "resource": {}})
    with pytest.raises(InvalidInputError) as error:
        record_event(bad, world.ports)
    assert error.value.field == "resource.dispute_id"
