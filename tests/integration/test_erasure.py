"""Erasure: generic over the subject_index, WooCommerce-style anonymisation of what the law keeps,
crypto-shredding, suppression, receipt; resumable after a failure at any write, and idempotent."""

from __future__ import annotations

import json
from typing import Any

import pytest

from chalicelib.domain.privacy import DELETED_EMAIL, DELETED_TEXT
from chalicelib.domain.retention import DAY
from chalicelib.errors import StorageUnavailableError
from tests.conftest import NOW
from tests.fakes.subjects import BILLING, EMAIL, PERSONAL, deletion_request, erase, mail_text, seed_subject, sent_mail

EXPECTED_DELETED = {"customer": 1, "order": 1, "consent_event": 1, "marketing": 1, "correspondence": 1}
EXPECTED_ANONYMISED = {"order": 2, "payment": 1, "dispute": 1}






def assert_erased(container: Any, subject: str, items: list[dict[str, Any]]) -> None:
    dump = json.dumps(items, default=repr, ensure_ascii=False)
    for value in PERSONAL[:-1]:  # names, address, phone, e-mail: nowhere in plain text
        assert value not in dump, value
    assert "203.0.113.77" not in dump  # the full IP is gone (the /24 network may stay, as WooCommerce does)
    linked = [i for i in items if i.get("subject_pk") == f"SUBJ#{subject}"]
    assert {i["kind"] for i in linked} == {"request", "request_audit"}
    assert not any(i["sk"] == "KEY" and i["pk"] == f"SUBJ#{subject}" for i in items)
    assert any(i["sk"] == "SUPPRESSED" and i["pk"] == f"SUBJ#{subject}" for i in items)


def test_erasure_deletes_anonymises_shreds_and_suppresses(container: Any, table_items: Any) -> None:
    subject = seed_subject(container)
    other = seed_subject(container, "other.person@example.net", customer_id="99")
    before_other = [i for i in table_items() if i.get("subject_pk") == f"SUBJ#{other}"]
    done = erase(container, deletion_request(container))
    items = table_items()
    assert_erased(container, subject, items)
    receipt = done.result["receipt"]
    assert receipt["deleted"] == EXPECTED_DELETED and receipt["anonymised"] == EXPECTED_ANONYMISED
    assert done.status.value == "completed"
    # the other subject is untouched
    assert [i for i in items if i.get("subject_pk") == f"SUBJ#{other}"] == before_other


def test_orders_are_anonymised_as_woocommerce_does_and_kept_until_their_legal_end(container: Any,
                                                                                   table_items: Any) -> None:
    seed_subject(container)
    erase(container, deletion_request(container))
    order = next(i for i in table_items() if i["pk"] == "ORDER#570000")
    billing = order["anonymised"]["billing"]
    assert billing["first_name"] == billing["address_1"] == DELETED_TEXT
    assert billing["email"] == DELETED_EMAIL and billing["phone"] == "+00 00 0000000"
    assert billing["country"] == "DE"
    assert order["anonymised"]["customer_ip_address"] == "203.0.113.0"
    assert "customer_id" not in order["data"] and "transaction_id" not in order["data"]
    assert order["data"]["total"] == "35.70"
    assert "sealed" not in order and "subject_pk" not in order
    legal_end = NOW - 30 * DAY + 2555 * DAY
    assert order["category"] == "anonymised_record" and order["expires_at"] == legal_end
    assert order["due_pk"] == "DUE#anonymised_record" and order["due_sk"].startswith(f"{legal_end:010d}#")
    assert not any(i["pk"] == "ORDER#57OLD" for i in table_items())  # past its legal period: deleted


def test_a_store_that_keeps_no_ip_keeps_none_in_what_erasure_anonymises(container: Any, table_items: Any) -> None:
    from tests.helpers import store_policy

    seed_subject(container)  # stored while the store kept truncated IPs
    container.override(store_policy=store_policy("jetrack"))  # now the promise is: no IP at all
    erase(container, deletion_request(container))
    order = next(i for i in table_items() if i["pk"] == "ORDER#570000")
    assert order["anonymised"]["customer_ip_address"] == ""
    assert "203.0.113" not in json.dumps(table_items(), default=repr)


def test_receipt_is_mailed_and_kept_in_the_audit(container: Any) -> None:
    from chalicelib.services.privacy_requests import audit_trail

    seed_subject(container)
    done = erase(container, deletion_request(container))
    receipt = done.result["receipt"]
    assert receipt["mail"] == "sent" and receipt["key_destroyed"] and receipt["suppressed"]
    assert receipt["kept"]["order"]["count"] == 2 and "Accounting Act" in receipt["kept"]["order"]["why"]
    processors = {p["key"]: p for p in receipt["processors"]}
    # jetcards (the local default): its shop, its hosting and PayPal; analytics was consented, but the store
    # names no analytics vendor, so none is told
    assert set(processors) == {"woocommerce", "aws", "paypal"}
    # the hosting recipient holds this backend's own storage, which the erasure itself erased; the others are
    # tracked from here on (operator tasks for manual channels)
    assert {k: p["status"] for k, p in processors.items()} == {"woocommerce": "pending", "aws": "acknowledged",
                                                               "paypal": "pending"}
    last = audit_trail(container, done.request_id, now=NOW)[-1]
    assert last.to_status == "completed" and last.details["receipt"] == receipt
    mails = [m for m in sent_mail() if m["To"] == EMAIL]
    assert len(mails) == 1 and mails[0]["Subject"] == "Your data has been erased"
    text = mail_text(mails[0])
    assert "PayPal" in text and "Accounting Act" in text and BILLING["last_name"] not in text


def test_running_twice_changes_nothing_more(container: Any, table_items: Any) -> None:
    from chalicelib.services.erase_subject import erase_subject

    seed_subject(container)
    done = erase(container, deletion_request(container))
    snapshot = table_items()
    again = erase_subject(container, request=done, email=None, now=NOW + 60)
    assert again == done.result["receipt"]
    assert table_items() == snapshot


def test_export_objects_are_deleted(container: Any) -> None:
    import boto3

    from chalicelib.services.export_subject import export_subject

    subject = seed_subject(container)
    export_subject(container, subject=subject, request_id="earlier", now=NOW)
    done = erase(container, deletion_request(container))
    s3 = boto3.client("s3", region_name="eu-west-1")
    assert s3.list_objects_v2(Bucket=container.settings.exports_bucket).get("KeyCount", 0) == 0
    assert done.result["receipt"]["exports_deleted"] == 2


def test_an_erased_subject_cannot_be_resurrected(container: Any) -> None:
    from chalicelib.errors import SubjectSuppressedError

    subject = seed_subject(container)
    erase(container, deletion_request(container))
    container.vault.forget_cache()
    with pytest.raises(SubjectSuppressedError):
        container.vault.cipher_for_writing(subject)


@pytest.mark.parametrize("after", [0, 2, 3, 5, 7, 8, 10])
def test_erasure_resumes_after_a_failure_after_n_writes(container: Any, table_items: Any,
                                                        monkeypatch: pytest.MonkeyPatch, after: int) -> None:
    from chalicelib import aws
    from chalicelib.services import erase_subject as module
    from chalicelib.services.privacy_requests import get_request, run_scheduled_request_work
    from tests.fakes.faults import writes_fail_after

    monkeypatch.setattr(module, "BATCH", 3)  # several batches, so that failures land between them
    subject = seed_subject(container)
    request = deletion_request(container)
    container.clock.advance(8 * DAY)
    with writes_fail_after(aws.dynamodb(), after), pytest.raises(StorageUnavailableError):
        erase(container, get_request(container, request.request_id, now=NOW + 8 * DAY))
    # the next scheduled run finishes the job
    counts = run_scheduled_request_work(container, now=NOW + 8 * DAY, dry_run=True)
    assert counts["deletions"] == 1
    run_scheduled_request_work(container, now=NOW + 8 * DAY, dry_run=False)
    done = get_request(container, request.request_id, now=NOW + 8 * DAY)
    assert done.status.value == "completed"
    receipt = done.result["receipt"]
    assert receipt["deleted"] == EXPECTED_DELETED and receipt["anonymised"] == EXPECTED_ANONYMISED
    assert_erased(container, subject, table_items())
    assert run_scheduled_request_work(container, now=NOW + 8 * DAY, dry_run=True)["deletions"] == 0
