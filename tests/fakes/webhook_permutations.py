"""Deliveries of one order in every order and with duplicates, and the state they must end in."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from chalicelib.crypto.vault import open_fields
from chalicelib.payloads.paypal import PaypalEvent
from chalicelib.payloads.woocommerce import CustomerPayload, OrderPayload
from chalicelib.services.record_paypal import record_event
from chalicelib.services.record_woocommerce import record_customer, record_deletion, record_order
from chalicelib.services.webhook_ports import WebhookPorts
from chalicelib.storage.orders import CUSTOMER, ORDER
from tests.fakes.webhooks import PP, WC, load

Delivery = Callable[[WebhookPorts], Any]


def deliveries(order_id: int = 1234, customer_id: int = 57, event_prefix: str = "") -> list[Delivery]:
    """Deliveries of one order, one customer and two PayPal events, as WooCommerce/PayPal could send them: updates
    in the same second with different content, a deletion, a restore after it, an e-mail change."""
    base_order = load(WC / "order.created.payload.json", id=order_id)
    orders = [
        {**base_order},
        {**base_order, "status": "completed", "date_modified_gmt": "2024-11-06T10:00:00"},
        {**base_order, "status": "on-hold", "date_modified_gmt": "2024-11-06T10:00:00"},  # same second
        {**base_order, "status": "processing", "customer_note": "", "date_modified_gmt": "2024-11-07T08:00:00",
         "billing": {**base_order["billing"], "email": "jana.new@example.org"}},
    ]
    restored = {**base_order, "status": "processing", "date_modified_gmt": "2026-11-23T12:30:00"}
    base_customer = load(WC / "customer.created.payload.json", id=customer_id)
    customers = [
        {**base_customer},
        {**base_customer, "email": "jana.new@example.org", "date_modified_gmt": "2024-12-01T00:00:00"},
    ]
    events = []
    for name in ("CHECKOUT.ORDER.APPROVED.json", "CHECKOUT.ORDER.COMPLETED.json"):
        data = load(PP / name)
        data["id"] = event_prefix + data["id"]
        data["resource"]["purchase_units"][0]["custom_id"] = str(order_id)
        events.append(PaypalEvent.model_validate(data))

    result: list[Delivery] = [lambda p, o=o: record_order(OrderPayload.model_validate(o), p) for o in orders]
    result.append(lambda p: record_order(OrderPayload.model_validate(restored), p))
    result.append(lambda p: record_deletion(ORDER, order_id, p))
    result += [lambda p, c=c: record_customer(CustomerPayload.model_validate(c), p) for c in customers]
    result.append(lambda p: record_deletion(CUSTOMER, customer_id, p))
    result += [lambda p, e=e: record_event(e, p) for e in events]
    return result


def state(ports: WebhookPorts, vault: Any, order_id: int = 1234, customer_id: int = 57,
          event_ids: tuple[str, ...] = ()) -> str:
    """Everything stored about the records, with sealed fields opened (their ciphertexts are randomised)."""
    now = ports.now()
    snapshot: dict[str, Any] = {}
    for kind, ident in ((ORDER, order_id), (CUSTOMER, customer_id)):
        record = ports.records.get(kind, ident, now=now)
        if record is not None:
            opened = open_fields(vault.cipher_for_reading(record.subject), record.sealed) if record.subject else {}
            snapshot[kind] = {**record.__dict__, "sealed": opened}
    live_order = snapshot.get(ORDER, {}).get("deleted") is False
    for reference in ("5O190127TN364715T", "8MC585209K746392H"):
        # PayPal reference pointers are additive and only name the order: compared while the order is live (once it
        # is a tombstone, whether a pointer to it was written before the deletion depends on arrival order).
        snapshot[reference] = ports.records.order_for_reference(reference, now=now) if live_order else "n/a"
    for event_id in event_ids:
        event = ports.events.get(event_id, now=now)
        if event is not None:
            opened = open_fields(vault.cipher_for_reading(event.subject), event.sealed) if event.subject else {}
            snapshot[event_id] = {**event.__dict__, "sealed": opened}
    return json.dumps(snapshot, sort_keys=True, default=str)


EVENT_IDS = ("WH-COC11055RA711503B-4YM959094A144403T", "WH-55TG7562XN2588878-8YH955435R661687G")

