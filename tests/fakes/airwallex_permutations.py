"""Airwallex events of one payment (intent, refund, dispute) in every order and with duplicates, and the state they
must end in (the WooCommerce order and the intent's first event are delivered first: a refund or dispute that
arrives before its payment intent is stored unlinked, the documented late-link limit)."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

from chalicelib.crypto.vault import open_fields
from chalicelib.payloads.airwallex import DISPUTE, PAYMENT_INTENT, REFUND, AirwallexEvent
from chalicelib.payloads.woocommerce import OrderPayload
from chalicelib.services.record_airwallex import record_event
from chalicelib.services.record_woocommerce import record_order
from chalicelib.services.webhook_ports import WebhookPorts
from tests.fakes.webhooks import AW, WC, load

Delivery = Callable[[WebhookPorts], Any]
OBJECTS = ((PAYMENT_INTENT, "int_hkpdcpcvbgh8mwk1234"), (REFUND, "rfd_hkpdq7x2bgh8mw1234"),
           (DISPUTE, "dis_hkpdz8m3bgh8mw1234"))


def _event(name: str, event_id: str, when: str, **changes: Any) -> AirwallexEvent:
    data = copy.deepcopy(load(AW / name))
    data["id"], data["name"] = event_id, changes.pop("event_name", data["name"])
    data.pop("createdAt", None)
    data["created_at"] = when
    data["data"]["object"].update(changes)
    return AirwallexEvent.model_validate(data)


def events() -> list[AirwallexEvent]:
    intent = "payment_intent.succeeded.json"
    return [
        _event(intent, "evt_pi_created", "2026-11-23T11:55:00+0000", event_name="payment_intent.created",
               status="REQUIRES_PAYMENT_METHOD", captured_amount=0, latest_payment_attempt=None),
        _event(intent, "evt_pi_capture", "2026-11-23T11:58:00+0000", event_name="payment_intent.requires_capture",
               status="REQUIRES_CAPTURE", captured_amount=0),
        _event(intent, "evt_pi_succeeded", "2026-11-23T11:58:00+0000"),  # same second, later status
        _event(intent, "evt_pi_succeeded_b", "2026-11-23T11:58:00+0000", descriptor="B"),  # same second and status
        _event(intent, "evt_pi_cancelled", "2026-11-23T12:30:00+0000", event_name="payment_intent.cancelled",
               status="CANCELLED"),
        _event("refund.succeeded.json", "evt_rfd_received", "2026-11-23T11:59:00+0000",
               event_name="refund.received", status="RECEIVED"),
        _event("refund.succeeded.json", "evt_rfd_succeeded", "2026-11-23T11:59:00+0000"),
        _event("refund.succeeded.json", "evt_rfd_amount", "2026-11-23T12:01:00+0000", amount=12.5),
        _event("payment_dispute.requires_response.json", "evt_dis_open", "2026-11-23T11:59:30+0000"),
        _event("payment_dispute.requires_response.json", "evt_dis_won", "2026-11-23T12:10:00+0000",
               event_name="payment_dispute.won", status="WON"),
    ]


EVENTS = events()


def prepare(ports: WebhookPorts) -> None:
    record_order(OrderPayload.model_validate(load(WC / "order.created.payload.json")), ports)
    record_event(EVENTS[0], ports)


def deliveries() -> list[Delivery]:
    return [lambda p, e=e: record_event(e, p) for e in EVENTS]


def state(ports: WebhookPorts, vault: Any) -> str:
    """Every Airwallex object stored, with sealed fields opened (their ciphertexts are randomised)."""
    now = ports.now()
    snapshot: dict[str, Any] = {}
    for object_type, object_id in OBJECTS:
        stored = ports.airwallex.get(object_type, object_id, now=now)
        if stored is not None:
            opened = open_fields(vault.cipher_for_reading(stored.subject), stored.sealed) if stored.subject else {}
            snapshot[object_type] = {**stored.__dict__, "sealed": opened}
    return json.dumps(snapshot, sort_keys=True, default=str)
