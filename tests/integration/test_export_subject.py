"""Export: generic over the subject_index, decrypted for the export only, streamed to S3 with SSE-KMS.

Also home of the seeding helpers the other rights tests import (items written exactly as the subject-item
convention says, as the webhooks, consent, marketing and mail features write them)."""

from __future__ import annotations

import email
import json
from email.message import Message
from typing import Any

import pytest

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


# -- tests ---------------------------------------------------------------------------------------------------------
def test_export_contains_everything_about_the_subject_decrypted(container: Any) -> None:
    from chalicelib.services.export_subject import export_subject

    subject = seed_subject(container)
    seed_subject(container, "someone.else@example.net", customer_id="99")
    result = export_subject(container, subject=subject, request_id="req1", now=NOW)
    document = json.loads(read_object(container, result.json_key))
    assert document["schema"] == "privacy-export" and document["schema_version"] == "1.0"
    kinds = sorted(record["kind"] for record in document["records"])
    assert kinds == ["consent_event", "correspondence", "customer", "dispute", "marketing", "order", "order",
                     "order", "payment"]
    assert document["record_count"] == result.records == 9
    order = next(r for r in document["records"] if r["kind"] == "order" and r["data"].get("total"))
    assert order["personal"]["billing"]["first_name"] == BILLING["first_name"]
    assert order["personal"]["customer_ip_address"] == "203.0.113.77"
    assert order["retained_until"] and order["source"].startswith("the store")
    assert "someone.else" not in json.dumps(document)


def test_export_has_the_art15_information(container: Any) -> None:
    from chalicelib.services.export_subject import export_subject

    subject = seed_subject(container)
    result = export_subject(container, subject=subject, request_id="req1", now=NOW)
    info = json.loads(read_object(container, result.json_key))["information"]
    names = " ".join(r["name"] for r in info["recipients"])
    assert "PayPal" in names and "WooCommerce" in names
    assert "Google Analytics" in names  # consented to analytics
    assert "Meta Pixel" not in names  # not to marketing cookies
    retention = {r["category"]: r for r in info["retention"]}
    assert retention["order"]["days"] == 2555 and retention["order"]["then"] == "anonymise"
    assert "Accounting Act" in retention["order"]["legal_basis"]
    assert info["purposes"] and info["controller"]["name"] and "erasure" in info["rights"]
    assert info["sources"]["payment"].startswith("PayPal")


def test_export_html_is_readable_and_escaped(container: Any) -> None:
    from chalicelib.services.export_subject import export_subject

    subject = seed_subject(container)
    put_subject_item(container, subject, pk="X#1", sk="X", kind="correspondence", ident="x",
                     category=Category.CORRESPONDENCE, start=NOW, data={}, personal={"body": "<script>x</script>"})
    result = export_subject(container, subject=subject, request_id="req1", now=NOW)
    page = read_object(container, result.html_key).decode()
    assert page.startswith("<!doctype html>") and page.rstrip().endswith("</html>")
    assert BILLING["last_name"] in page and "GDPR Art. 15" in page
    assert "<script>x" not in page and "&lt;script&gt;" in page


def test_export_objects_are_kms_encrypted_and_expire_in_seven_days(container: Any) -> None:
    import boto3

    from chalicelib.services.export_subject import export_subject

    subject = seed_subject(container)
    result = export_subject(container, subject=subject, request_id="req1", now=NOW)
    s3 = boto3.client("s3", region_name="eu-west-1")
    for key in (result.json_key, result.html_key):
        head = s3.head_object(Bucket=container.settings.exports_bucket, Key=key)
        assert head["ServerSideEncryption"] == "aws:kms"
    assert result.expires_at == NOW + 7 * DAY


def test_large_export_is_streamed_in_parts(container: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from chalicelib.services import export_subject as module

    calls: dict[str, list[int]] = {}
    original = module.S3StreamWriter._upload_part

    def counting(self: Any) -> None:
        calls.setdefault(self.key, []).append(len(self.buffer))
        original(self)

    monkeypatch.setattr(module, "PART_BYTES", 5 * 1024 * 1024)
    monkeypatch.setattr(module.S3StreamWriter, "_upload_part", counting)
    subject = seed_subject(container, extra=0)
    big = "x" * 200_000
    for n in range(60):  # ~12 MB of sealed text: at least two parts
        put_subject_item(container, subject, pk=f"BIG#{n}", sk="B", kind="correspondence", ident=f"{n:04d}",
                         category=Category.CORRESPONDENCE, start=NOW, data={}, personal={"body": big})
    result = module.export_subject(container, subject=subject, request_id="big", now=NOW)
    assert sorted(calls) == sorted([result.json_key, result.html_key])
    for sizes in calls.values():
        assert len(sizes) >= 2 and all(size >= 5 * 1024 * 1024 for size in sizes[:-1])
    document = json.loads(read_object(container, result.json_key))
    assert document["record_count"] == 9 + 60


def test_export_of_an_unknown_subject_is_empty_but_valid(container: Any) -> None:
    from chalicelib.services.export_subject import export_subject

    result = export_subject(container, subject="nobody", request_id="r", now=NOW)
    document = json.loads(read_object(container, result.json_key))
    assert document["records"] == [] and document["record_count"] == 0


def test_failed_export_aborts_its_uploads(container: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    import boto3

    from chalicelib.services import export_subject as module

    subject = seed_subject(container)
    monkeypatch.setattr(module, "to_record", lambda item, cipher: (_ for _ in ()).throw(RuntimeError("boom")))
    with pytest.raises(RuntimeError):
        module.export_subject(container, subject=subject, request_id="r", now=NOW)
    s3 = boto3.client("s3", region_name="eu-west-1")
    assert s3.list_objects_v2(Bucket=container.settings.exports_bucket).get("KeyCount", 0) == 0
