"""A subject with data in every category (seeded through the services), and readers of what was sent and exported."""

from __future__ import annotations

import email
from email.message import Message
from typing import Any

from chalicelib.domain.retention import DAY, Category
from chalicelib.storage.subject_items import retention_attributes, subject_link
from tests.conftest import NOW, load_event

ORDER = load_event("woocommerce/order.created.payload.json")


BILLING = ORDER["billing"]


EMAIL = BILLING["email"]


PERSONAL = [BILLING["first_name"], BILLING["last_name"], BILLING["address_1"], BILLING["phone"], EMAIL,
            "203.0.113.77"]


def put_subject_item(container: Any, subject: str, *, pk: str, sk: str, kind: str, ident: str, category: Category,
                     start: int, data: dict[str, Any], personal: dict[str, Any] | None = None) -> dict[str, Any]:
    item: dict[str, Any] = {"pk": pk, "sk": sk, **subject_link(subject, kind, ident),
                            **retention_attributes(container.policy, category, start, pk, sk),
                            "data": data, "created_at": start, "updated_at": start}
    if personal:
        cipher = container.vault.cipher_for_writing(subject)
        item["sealed"] = {name: cipher.seal_json(name, value) for name, value in personal.items()}
    container.table.put(item)
    return item


def seed_subject(container: Any, address: str = EMAIL, *, orders: int = 2, country: str = "DE",
                 state: str = "", old_order: bool = True, extra: int = 0, customer_id: str = "57") -> str:
    """A customer with a profile, orders, a payment, a dispute, consent, marketing and correspondence."""
    subject = container.subject_for_email(address)
    billing = {**BILLING, "email": address, "country": country, "state": state}
    put_subject_item(container, subject, pk=f"CUSTOMER#{customer_id}", sk="PROFILE", kind="customer",
                     ident=customer_id, category=Category.CUSTOMER_PROFILE, start=NOW - 100 * DAY,
                     data={"customer_id": customer_id, "billing_country": country, "billing_state": state},
                     personal={"profile": {"first_name": billing["first_name"], "last_name": billing["last_name"],
                                           "email": address, "billing": billing}})
    for n in range(orders):
        order_id = f"{customer_id}{n:04d}"
        put_subject_item(container, subject, pk=f"ORDER#{order_id}", sk="ORDER", kind="order", ident=order_id,
                         category=Category.ORDER, start=NOW - (30 + n) * DAY,
                         data={"order_id": order_id, "total": "35.70", "currency": "EUR",
                               "payment_method": "ppcp-gateway", "customer_id": customer_id,
                               "transaction_id": f"TX{order_id}", "billing_country": country,
                               "billing_state": state},
                         personal={"billing": billing, "customer_ip_address": "203.0.113.77"})
    if old_order:  # older than the legal period: deleted, not kept
        put_subject_item(container, subject, pk=f"ORDER#{customer_id}OLD", sk="ORDER", kind="order",
                         ident=f"{customer_id}OLD", category=Category.ORDER, start=NOW - 2600 * DAY,
                         data={"order_id": "old", "billing_country": country}, personal={"billing": billing})
    put_subject_item(container, subject, pk=f"PAYMENT#CAP{customer_id}", sk="PAYMENT", kind="payment",
                     ident=f"CAP{customer_id}", category=Category.PAYMENT, start=NOW - 30 * DAY,
                     data={"capture_id": f"CAP{customer_id}", "amount": "35.70", "payer_id": "PAYER1"},
                     personal={"payer": {"email": address, "name": billing["first_name"]}})
    put_subject_item(container, subject, pk=f"DISPUTE#PP-D-{customer_id}", sk="DISPUTE", kind="dispute",
                     ident=f"PP-D-{customer_id}", category=Category.DISPUTE, start=NOW - 10 * DAY,
                     data={"dispute_id": f"PP-D-{customer_id}", "reason": "MERCHANDISE_OR_SERVICE_NOT_RECEIVED"},
                     personal={"messages": [f"Hello, this is {billing['first_name']} {billing['last_name']}"]})
    put_subject_item(container, subject, pk=f"CONSENT#A.{subject}", sk=f"LEDGER#{NOW - DAY:010d}#c1",
                     kind="consent_event", ident=f"{NOW - DAY:010d}#c1", category=Category.CONSENT_LEDGER,
                     start=NOW - DAY, data={"action": "custom", "effective": {"essential": True,
                                                                                "analytics": True,
                                                                                "marketing": False}},
                     personal={"proof": {"ip_prefix": "203.0.113.0"}})
    put_subject_item(container, subject, pk=f"MKT#{subject}", sk="CURRENT", kind="marketing", ident="CURRENT",
                     category=Category.MARKETING_PREFERENCE, start=NOW - 5 * DAY,
                     data={"email_marketing": True, "source": "checkout"})
    put_subject_item(container, subject, pk=f"SUBJ#{subject}", sk=f"CORR#{NOW - 3 * DAY}#m1#in",
                     kind="correspondence", ident=f"{NOW - 3 * DAY}#m1#in", category=Category.CORRESPONDENCE,
                     start=NOW - 3 * DAY, data={"direction": "in"},
                     personal={"from": address, "body": f"Hi, I am {billing['first_name']}, please help"})
    for n in range(extra):
        put_subject_item(container, subject, pk=f"NOTE#{subject[:8]}{n}", sk="NOTE", kind="analytics_event",
                         ident=f"{n:06d}", category=Category.ANALYTICS, start=NOW - DAY, data={"n": n},
                         personal={"page": f"/p/{n}"})
    return subject


def sent_mail() -> list[Message]:
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.ses.models import ses_backends

    backend = ses_backends[DEFAULT_ACCOUNT_ID]["eu-west-1"]
    messages = []
    for sent in backend.sent_messages:
        raw = getattr(sent, "raw_data", None)
        if raw is not None:
            messages.append(email.message_from_string(raw))
    return messages


def mail_text(message: Message) -> str:
    parts = [message] if not message.is_multipart() else [p for p in message.walk() if not p.is_multipart()]
    return "".join(str(p.get_payload(decode=True).decode()) for p in parts)  # type: ignore[union-attr]


def read_object(container: Any, key: str) -> bytes:
    import boto3

    s3 = boto3.client("s3", region_name="eu-west-1")
    return bytes(s3.get_object(Bucket=container.settings.exports_bucket, Key=key)["Body"].read())


def deletion_request(container: Any, address: str = EMAIL) -> Any:
    from chalicelib.services import privacy_requests as service

    submitted = service.submit_request(container, email=address, request_type="deletion", channel="account",
                                       received_at=NOW, needs_verification=False, customer_id="57")
    request = service.get_request(container, submitted.request_id, now=NOW)
    scheduled = service.fulfil(container, request, now=NOW, inline=True)
    assert scheduled.status.value == "scheduled" and scheduled.execute_after == NOW + 7 * DAY
    return scheduled


def erase(container: Any, request: Any) -> Any:
    from chalicelib.services.privacy_requests import execute_deletion

    return execute_deletion(container, request, now=NOW)
