"""Record a verified Airwallex event: the newest state of its payment intent, refund or dispute, linked to its
WooCommerce order and to its subject.

- Recorded: `payment_intent.*`, `refund.*`, `payment_dispute.*`.  Any other event name is acknowledged
  (`ignored`, 200) and nothing is stored: a 4xx would make Airwallex retry a delivery that can never succeed.
- Order link (as the Airwallex WooCommerce plugin does it): `metadata.wp_order_id`, else `merchant_order_id` (the
  WooCommerce order id, digits); a refund or dispute without either takes the order of its stored payment intent.
- Subject: the customer's e-mail where the payment intent carries one, else the linked order's subject (and for a
  refund or dispute, the subject of its payment intent).  Without a subject, personal fields are dropped.
- Sealed per subject: customer (e-mail, names, phone, address), shipping and billing contacts, a refund's reason.
  Card data: brand and last four digits only.
- Order independence: `rev = "<event time, 12 digits>.<status rank>.<digest>"`: the event's `created_at` (else the
  object's `updated_at`/`created_at`), then how far the object's status is in its life cycle, then a keyed hash of
  the event's content, so that any arrival order ends in the same state and a retry is a duplicate.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from chalicelib.domain.clock import parse_iso
from chalicelib.domain.retention import Category
from chalicelib.domain.subjects import keyed_hash
from chalicelib.errors import InvalidInputError
from chalicelib.observability import count, logger, metric_name
from chalicelib.payloads.airwallex import (
    DISPUTE,
    PAYMENT_INTENT,
    RECORDED,
    REFUND,
    AirwallexEvent,
    Dispute,
    PaymentIntent,
    Refund,
)
from chalicelib.services.webhook_ports import WebhookPorts
from chalicelib.services.webhook_revision import canonical
from chalicelib.services.webhook_sealing import record_sealed
from chalicelib.storage.airwallex_events import AirwallexRecord
from chalicelib.storage.orders import ORDER, Outcome

M = TypeVar("M", bound=BaseModel)
_ORDER_ID = re.compile(r"^[0-9]{1,18}$")
DIGEST_CHARS = 16
PURPOSE = "airwallex-revision"

# How far a status is in its object's life cycle (same-second events: the later stage wins); unknown statuses 0.
RANKS: dict[str, dict[str, int]] = {
    PAYMENT_INTENT: {"REQUIRES_PAYMENT_METHOD": 1, "REQUIRES_CUSTOMER_ACTION": 2, "REQUIRES_CAPTURE": 3,
                     "PENDING": 4, "SUCCEEDED": 5, "CANCELLED": 5},
    REFUND: {"RECEIVED": 1, "ACCEPTED": 2, "PROCESSING": 2, "SETTLED": 3, "SUCCEEDED": 3, "FAILED": 3},
    DISPUTE: {"PENDING": 1, "REQUIRES_RESPONSE": 1, "NEEDS_RESPONSE": 1, "CHALLENGED": 2, "PENDING_DECISION": 2,
              "UNDER_REVIEW": 2, "ACCEPTED": 3, "WON": 3, "LOST": 3, "EXPIRED": 3, "REVERSED": 3, "CLOSED": 3},
}


@dataclass(frozen=True)
class Extract:
    object_type: str
    object_id: str
    kind: str
    category: Category
    status: str
    changed: str | None  # the object's own updated_at / created_at
    data: dict[str, Any]
    personal: dict[str, Any]
    email: str | None = None
    order_hint: Any = None  # metadata.wp_order_id, else merchant_order_id
    payment_intent_id: str | None = None


def _object(event: AirwallexEvent, model: type[M]) -> M:
    obj = event.data.get("object")
    if not isinstance(obj, dict):
        raise InvalidInputError("data.object: must be a JSON object", field="data.object")
    try:
        return model.model_validate(obj)
    except ValidationError as error:
        first = error.errors()[0]
        name = ".".join(["data", "object", *(str(part) for part in first["loc"])])
        raise InvalidInputError(f"{name}: {first['msg']}", field=name) from None


def _amount(value: float | int | None) -> str | None:
    return None if value is None else repr(value)


def _hint(metadata: dict[str, Any], merchant_order_id: str | None) -> Any:
    wp_order_id = metadata.get("wp_order_id")
    return wp_order_id if wp_order_id not in (None, "") else merchant_order_id


def _base(event: AirwallexEvent) -> dict[str, Any]:
    return {"source": "Airwallex", "event_id": event.id, "event_name": event.name, "event_time": event.created_at,
            "account_id": event.account_id}


def extract_intent(event: AirwallexEvent) -> Extract:
    intent = _object(event, PaymentIntent)
    attempt = intent.latest_payment_attempt
    method = attempt.payment_method if attempt else None
    card = method.card if method else None
    data = {**_base(event), "payment_intent_id": intent.id, "status": intent.status, "currency": intent.currency,
            "amount": _amount(intent.amount), "captured_amount": _amount(intent.captured_amount),
            "payment_method_type": method.type if method else None,
            "card": {k: v for k, v in (("brand", card.brand), ("last4", card.last4)) if v} if card else None}
    billing = (method.billing if method and method.billing else None) or (card.billing if card else None)
    personal = {"customer": intent.customer.personal() if intent.customer else {},
                "shipping": intent.shipping.personal() if intent.shipping else {},
                "order_shipping": intent.order.shipping.personal() if intent.order and intent.order.shipping
                else {},
                "billing": billing.personal() if billing else {}}
    email = (intent.customer.email if intent.customer else "") or (billing.email if billing else "")
    return Extract(PAYMENT_INTENT, intent.id, "payment", Category.PAYMENT, intent.status,
                   intent.updated_at or intent.created_at, data, personal, email=email or None,
                   order_hint=_hint(intent.metadata, intent.merchant_order_id), payment_intent_id=intent.id)


def extract_refund(event: AirwallexEvent) -> Extract:
    refund = _object(event, Refund)
    data = {**_base(event), "refund_id": refund.id, "payment_intent_id": refund.payment_intent_id,
            "status": refund.status, "currency": refund.currency, "amount": _amount(refund.amount)}
    return Extract(REFUND, refund.id, "payment", Category.PAYMENT, refund.status,
                   refund.updated_at or refund.created_at, data, {"reason": refund.reason},
                   order_hint=_hint(refund.metadata, None), payment_intent_id=refund.payment_intent_id)


def extract_dispute(event: AirwallexEvent) -> Extract:
    dispute = _object(event, Dispute)
    data = {**_base(event), "dispute_id": dispute.id, "payment_intent_id": dispute.payment_intent_id,
            "status": dispute.status, "stage": dispute.stage, "reason": dispute.reason.type if dispute.reason else None,
            "currency": dispute.currency, "amount": _amount(dispute.amount)}
    return Extract(DISPUTE, dispute.id, "dispute", Category.DISPUTE, dispute.status,
                   dispute.updated_at or dispute.created_at, data, {},
                   order_hint=_hint(dispute.metadata, dispute.merchant_order_id),
                   payment_intent_id=dispute.payment_intent_id)


EXTRACTORS = {PAYMENT_INTENT: extract_intent, REFUND: extract_refund, DISPUTE: extract_dispute}


def extract(event: AirwallexEvent) -> Extract | None:
    """What the store keeps of an event, or None for event names it does not record."""
    if event.object_type not in RECORDED:
        return None
    return EXTRACTORS[event.object_type](event)


def event_time(event: AirwallexEvent, extracted: Extract) -> int:
    for name, value in (("created_at", event.created_at), ("data.object.updated_at", extracted.changed)):
        if value:
            try:
                return int(parse_iso(value))
            except ValueError:
                raise InvalidInputError(f"{name}: not a timestamp", field=name) from None
    raise InvalidInputError("created_at: missing", field="created_at")


def revision(epoch: int, extracted: Extract, pepper: str) -> str:
    rank = RANKS[extracted.object_type].get(extracted.status.upper(), 0)
    content = canonical({"data": extracted.data, "personal": extracted.personal})
    return f"{max(0, epoch):012d}.{rank}.{keyed_hash(content, pepper, PURPOSE)[:DIGEST_CHARS]}"


def _order_id(hint: Any) -> int | None:
    if isinstance(hint, bool):
        return None
    if isinstance(hint, int) and 0 < hint < 2**53:
        return hint
    if isinstance(hint, str) and _ORDER_ID.fullmatch(hint.strip()) and int(hint.strip()) > 0:
        return int(hint.strip())
    return None


def link(extracted: Extract, ports: WebhookPorts, now: int) -> tuple[int | None, str | None]:
    """(WooCommerce order id, subject)."""
    order_id = _order_id(extracted.order_hint)
    subject = ports.subject_of_email(extracted.email)
    intent = None
    if extracted.object_type != PAYMENT_INTENT and extracted.payment_intent_id and (order_id is None
                                                                                     or subject is None):
        intent = ports.airwallex.get(PAYMENT_INTENT, extracted.payment_intent_id, now=now)
        if intent is not None:
            stored_order = intent.data.get("order_id")
            order_id = order_id if order_id is not None else (
                int(stored_order) if isinstance(stored_order, int) else None)
            subject = subject or intent.subject
    if subject is None and order_id is not None:
        stored = ports.records.get(ORDER, order_id, now=now)
        subject = stored.subject if stored else None
    return order_id, subject


def _store(record: AirwallexRecord, personal: dict[str, Any], subject: str | None, ports: WebhookPorts,
           now: int) -> tuple[Outcome, bool]:
    return record_sealed(ports, lambda stored: ports.airwallex.record(stored, now=now), record, personal, subject,
                         now=now)


def record_event(event: AirwallexEvent, ports: WebhookPorts) -> str:
    """'accepted' | 'duplicate' | 'stale' | 'ignored' | 'suppressed'."""
    extracted = extract(event)
    if extracted is None:
        count("AirwallexIgnored")
        logger.info("airwallex event ignored", extra={"event_name": event.name[:64]})
        return "ignored"
    when = event_time(event, extracted)
    rev = revision(when, extracted, ports.pepper)
    now = ports.now()
    order_id, subject = link(extracted, ports, now)
    data = {k: v for k, v in {**extracted.data, "order_id": order_id}.items() if v not in (None, "", {})}
    record = AirwallexRecord(extracted.object_type, extracted.object_id, event.id, rev, extracted.kind,
                             extracted.category, when, data)
    outcome, erased = _store(record, extracted.personal, subject, ports, now)
    count(metric_name("airwallex", extracted.kind, outcome.value))
    logger.info("airwallex event", extra={"event_name": event.name[:64], "kind": extracted.kind,
                                          "outcome": outcome.value, "linked_order": order_id is not None,
                                          "linked_subject": subject is not None and not erased})
    return outcome.value
