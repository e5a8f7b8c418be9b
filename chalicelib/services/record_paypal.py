"""Record a verified PayPal event: once per event id, linked to its WooCommerce order and to its subject.

- Order link: `custom_id` (the WooCommerce order id), else a PayPal reference the order carried (PayPal order id,
  capture/transaction id: `PAYPALREF#` pointers written with the order), else the digits of `invoice_id`.
- Subject: the payer's e-mail where the event carries one (checkout orders, some disputes), else the linked order's
  subject.  Without a subject, personal fields cannot be sealed and are dropped (the event is still recorded).
- Payer name, e-mail, phone, address, payer/account ids, shipping and dispute messages are sealed per subject; an
  erased subject's events are stored without them and without the link.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from chalicelib.domain.clock import parse_iso
from chalicelib.domain.retention import Category
from chalicelib.errors import InvalidInputError
from chalicelib.observability import count, logger, metric_name
from chalicelib.payloads.paypal import (
    CHECKOUT_EVENTS,
    DISPUTE_EVENTS,
    PAYMENT_EVENTS,
    REFUND_EVENTS,
    Capture,
    CheckoutOrder,
    Dispute,
    Name,
    Payer,
    PaypalEvent,
)
from chalicelib.services.webhook_ports import WebhookPorts
from chalicelib.services.webhook_sealing import record_sealed
from chalicelib.storage.orders import ORDER, Outcome
from chalicelib.storage.paypal_events import PaypalRecord

M = TypeVar("M", bound=BaseModel)
_ORDER_ID = re.compile(r"^\d{1,18}$")
_TRAILING_DIGITS = re.compile(r"(\d{1,18})$")


@dataclass(frozen=True)
class Extract:
    kind: str
    category: Category
    data: dict[str, Any]
    personal: dict[str, Any]
    payer_email: str | None = None
    custom_id: str | None = None
    invoice_id: str | None = None
    references: tuple[str, ...] = field(default_factory=tuple)


def resource(event: PaypalEvent, model: type[M]) -> M:
    try:
        return model.model_validate(event.resource)
    except ValidationError as error:
        first = error.errors()[0]
        name = ".".join(["resource", *(str(part) for part in first["loc"])])
        raise InvalidInputError(f"{name}: {first['msg']}", field=name) from None


def _name(name: Name | None) -> dict[str, str]:
    if name is None:
        return {}
    return {k: v for k, v in name.model_dump().items() if v}


def _payer(payer: Payer | None) -> dict[str, Any]:
    if payer is None:
        return {}
    fields = {"email": payer.email_address, "payer_id": payer.payer_id, "account_id": payer.account_id,
              "name": _name(payer.name), "phone": payer.phone, "address": payer.address}
    return {k: v for k, v in fields.items() if v}


def _base(event: PaypalEvent) -> dict[str, Any]:
    return {"event_id": event.id, "event_type": event.event_type, "resource_type": event.resource_type,
            "create_time": event.create_time}


def extract_capture(event: PaypalEvent) -> Extract:
    capture = resource(event, Capture)
    refund = event.event_type in REFUND_EVENTS
    data = {**_base(event), "transaction_id": capture.id, "status": capture.status,
            "amount": capture.amount.plain() if capture.amount else None, "invoice_id": capture.invoice_id,
            "paypal_order_id": capture.supplementary_data.related_ids.order_id}
    references = [capture.supplementary_data.related_ids.order_id, capture.linked_capture() if refund else capture.id]
    personal = {"note_to_payer": capture.note_to_payer} if refund else {}
    return Extract("payment", Category.PAYMENT, data, personal, custom_id=capture.custom_id,
                   invoice_id=capture.invoice_id, references=tuple(r for r in references if r))


def extract_checkout(event: PaypalEvent) -> Extract:
    order = resource(event, CheckoutOrder)
    unit = order.purchase_units[0] if order.purchase_units else None
    paypal_source = order.payment_source.paypal if order.payment_source else None
    payer = _payer(order.payer) or _payer(paypal_source)
    shipping = [{k: v for k, v in (("name", _name(u.shipping.name)), ("address", u.shipping.address)) if v}
                for u in order.purchase_units if u.shipping]
    data = {**_base(event), "paypal_order_id": order.id, "status": order.status, "intent": order.intent,
            "amount": unit.amount.plain() if unit and unit.amount else None,
            "invoice_id": unit.invoice_id if unit else None}
    personal = {"payer": payer, "payment_source": _payer(paypal_source), "shipping": [s for s in shipping if s]}
    email = (order.payer.email_address if order.payer else "") or (paypal_source.email_address if paypal_source
                                                                     else "")
    return Extract("payment", Category.PAYMENT, data, personal, payer_email=email or None,
                   custom_id=unit.custom_id if unit else None, invoice_id=unit.invoice_id if unit else None,
                   references=(order.id,))


def extract_dispute(event: PaypalEvent) -> Extract:
    dispute = resource(event, Dispute)
    first = dispute.disputed_transactions[0] if dispute.disputed_transactions else None
    data = {**_base(event), "dispute_id": dispute.dispute_id, "status": dispute.status, "reason": dispute.reason,
            "life_cycle_stage": dispute.dispute_life_cycle_stage,
            "amount": dispute.dispute_amount.plain() if dispute.dispute_amount else None,
            "outcome": dispute.dispute_outcome.outcome_code if dispute.dispute_outcome else None,
            "transaction_id": first.seller_transaction_id if first else None,
            "invoice_id": first.invoice_number if first else None}
    buyers = [t.buyer.model_dump() for t in dispute.disputed_transactions if t.buyer]
    personal = {
        "buyer": [{k: v for k, v in b.items() if v} for b in buyers],
        "buyer_transaction_ids": [t.buyer_transaction_id for t in dispute.disputed_transactions
                                  if t.buyer_transaction_id],
        "messages": [m.model_dump() for m in dispute.messages],
    }
    email = next((t.buyer.email for t in dispute.disputed_transactions if t.buyer and t.buyer.email), None)
    references = tuple(t.seller_transaction_id for t in dispute.disputed_transactions if t.seller_transaction_id)
    return Extract("dispute", Category.DISPUTE, data, personal, payer_email=email,
                   custom_id=first.custom if first else None, invoice_id=first.invoice_number if first else None,
                   references=references)


def extract(event: PaypalEvent) -> Extract | None:
    """What the store keeps of an event, or None for event types it does not record."""
    if event.event_type in DISPUTE_EVENTS:
        return extract_dispute(event)
    if event.event_type in CHECKOUT_EVENTS:
        return extract_checkout(event)
    if event.event_type in PAYMENT_EVENTS:
        return extract_capture(event)
    return None


def linked_order(extracted: Extract, ports: WebhookPorts, now: int) -> int | None:
    if extracted.custom_id and _ORDER_ID.match(extracted.custom_id.strip()):
        return int(extracted.custom_id.strip())
    for reference in extracted.references:
        found = ports.records.order_for_reference(reference, now=now)
        if found is not None:
            return found
    match = _TRAILING_DIGITS.search((extracted.invoice_id or "").strip())
    return int(match.group(1)) if match else None


def _start(event: PaypalEvent, now: int) -> int:
    try:
        return int(parse_iso(event.create_time)) if event.create_time else now
    except ValueError:
        return now


def _record(record: PaypalRecord, personal: dict[str, Any], subject: str | None, ports: WebhookPorts,
            now: int) -> tuple[Outcome, bool]:
    return record_sealed(ports, lambda stored: ports.events.record(stored, now=now), record, personal, subject,
                         now=now)


def record_event(event: PaypalEvent, ports: WebhookPorts) -> str:
    """'accepted' | 'duplicate' | 'ignored'."""
    extracted = extract(event)
    if extracted is None:
        count("PayPalIgnored")
        logger.info("paypal event ignored", extra={"event_type": event.event_type[:64]})
        return "ignored"
    now = ports.now()
    order_id = linked_order(extracted, ports, now)
    subject = ports.subject_of_email(extracted.payer_email)
    if subject is None and order_id is not None:
        stored = ports.records.get(ORDER, order_id, now=now)
        subject = stored.subject if stored else None
    data = {k: v for k, v in {**extracted.data, "order_id": order_id}.items() if v is not None}
    start = _start(event, now)
    record = PaypalRecord(event.id, extracted.kind, extracted.category, start, data)
    outcome, erased = _record(record, extracted.personal, subject, ports, now)
    count(metric_name("paypal", extracted.kind, outcome.value))
    logger.info("paypal event", extra={"event_type": event.event_type, "kind": extracted.kind,
                                       "outcome": outcome.value, "linked_order": order_id is not None,
                                       "linked_subject": subject is not None and not erased})
    return outcome.value
