"""Throttling and 5xx on every AWS call (DynamoDB, KMS, S3, SES) that the ingest of a deletion request by e-mail makes,
each call failed in turn: whatever the notification's attempt left, the scheduled pickup (`ingest_pending`) ends in
exactly what one clean ingest gives -- one request for the sender, one reply (with its verification link), the
raw message removed from the inbound bucket."""

from __future__ import annotations

import re
from typing import Any

from chalicelib.services.ingest_mail import ingest_pending
from tests.conftest import EVENTS
from tests.fakes.inbound_mail import notification, sent_mail, store_raw, with_message_id
from tests.faults import harness

RAW = (EVENTS / "mail" / "plain-deletion-en.eml").read_bytes()


def message(n: int) -> tuple[bytes, str]:
    address = f"mail.fault.{n}@example.org"
    raw = with_message_id(RAW, f"<fault-{n}@mail.example.org>")
    return re.sub(rb"jana\.mueller@example\.org", address.encode(), raw), address


def received(container: Any, raw: bytes, message_id: str) -> Any:
    """SES stores the message (not a call of the code under test); returns the ingest of its notification."""
    from chalicelib.payloads.ses import parse_notification
    from chalicelib.services.ingest_mail import ingest_notification

    key = store_raw(container, message_id, raw)
    note = parse_notification(notification(message_id, container.settings.inbound_bucket, key))
    return lambda: ingest_notification(container, note)


def requests_of(container: Any, table_items: Any, email: str) -> list[dict[str, Any]]:
    subject = container.subject_for_email(email)
    return [i for i in table_items() if i.get("subject_pk") == f"SUBJ#{subject}" and i.get("kind") == "request"]


def replies_to(address: str) -> list[Any]:
    return [m for m in sent_mail() if address in str(m["To"])]


def inbound_left(container: Any) -> list[str]:
    from chalicelib import aws

    listed = aws.s3().list_objects_v2(Bucket=container.settings.inbound_bucket,
                                      Prefix=container.settings.inbound_prefix)
    return [o["Key"] for o in listed.get("Contents", [])]


def test_every_failing_call_of_a_mail_ingest_ends_as_one_clean_ingest(container: Any, table_items: Any) -> None:
    raw, address = message(0)
    ingest = received(container, raw, f"sesfault{0:06d}")
    with harness.recording() as recorded:
        assert ingest().outcome == "answered"
    calls = harness.call_positions(recorded)
    assert {service for service, _, _ in calls} >= {"dynamodb", "s3", "ses", "kms"}
    clean = (len(requests_of(container, table_items, address)), len(replies_to(address)))
    assert clean == (1, 1) and inbound_left(container) == []
    cases = [(*call, code) for call in calls for code in (harness.THROTTLING[call[0]], harness.SERVER_ERROR[call[0]])]
    for n, (service, operation, nth, code) in enumerate(cases, start=1):
        raw, address = message(n)
        where = f"{service}.{operation} #{nth} {code}"
        ingest = received(container, raw, f"sesfault{n:06d}")
        with harness.failing(service, operation, nth, code) as refused:
            try:
                ingest()
            except Exception as error:  # the Lambda fails: SNS retries, the scheduled pickup finds the message
                assert type(error).__name__ in ("MailDeliveryError", "StorageUnavailableError",
                                                "KeyServiceUnavailableError", "ClientError"), (where, error)
        assert refused, where
        ingest_pending(container, now=container.now(), dry_run=False)
        assert (len(requests_of(container, table_items, address)), len(replies_to(address))) == clean, where
        assert inbound_left(container) == [], where
