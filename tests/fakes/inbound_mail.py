"""SES inbound mail as SES delivers it (stored MIME + notification), for the mail tests."""

from __future__ import annotations

import copy
import json
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from tests.conftest import EVENTS, load_event

MAIL = EVENTS / "mail"


SES_TEMPLATE = load_event("ses/s3-action.sns-notification-message.json")


def ses_headers(message_id: str, *, spam: str = "PASS", virus: str = "PASS", auth: str = "pass") -> bytes:
    """What SES prepends to the MIME it stores."""
    return (f"Received: from mx.example.net by inbound-smtp.eu-west-1.amazonaws.com with SMTP id {message_id} "
            f"for privacy@store.example; Sat, 21 Nov 2026 11:00:00 +0000 (UTC)\r\n"
            f"X-SES-Spam-Verdict: {spam}\r\nX-SES-Virus-Verdict: {virus}\r\n"
            f"Authentication-Results: amazonses.com; spf={auth}; dkim={auth}; dmarc={auth};\r\n").encode()


def notification(message_id: str, bucket: str, key: str, *, source: str = "sender@example.org",
                 verdicts: dict[str, str] | None = None, timestamp: str = "2026-11-23T11:59:00.000Z") -> dict[str, Any]:
    data = copy.deepcopy(SES_TEMPLATE)
    data["mail"].update(messageId=message_id, source=source, timestamp=timestamp)
    data["receipt"].update(timestamp=timestamp)
    data["receipt"]["action"].update(bucketName=bucket, objectKey=key)
    for name, status in (verdicts or {}).items():
        data["receipt"][f"{name}Verdict"] = {"status": status}
    return data


def sns_event(*notifications: dict[str, Any]) -> dict[str, Any]:
    return {"Records": [{"EventSource": "aws:sns", "Sns": {"Type": "Notification", "Message": json.dumps(n),
                                                            "MessageId": f"sns-{i}"}}
                        for i, n in enumerate(notifications)]}


def store_raw(container: Any, message_id: str, raw: bytes, **verdicts: str) -> str:
    from chalicelib import aws

    key = f"{container.settings.inbound_prefix}{message_id}"
    aws.s3().put_object(Bucket=container.settings.inbound_bucket, Key=key, Body=ses_headers(message_id, **verdicts)
                        + raw)
    return key


def with_message_id(name_or_raw: str | bytes, message_id: str) -> bytes:
    """The message with another RFC 5322 Message-ID (a new message, not an MTA retry of the same one)."""
    import re

    raw = name_or_raw if isinstance(name_or_raw, bytes) else (MAIL / name_or_raw).read_bytes()
    return re.sub(rb"(?im)^Message-ID:[^\r\n]*", b"Message-ID: " + message_id.encode(), raw, count=1)


def sent_mail() -> list[EmailMessage]:
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.ses.models import ses_backends

    backend = ses_backends[DEFAULT_ACCOUNT_ID]["eu-west-1"]
    found = []
    for message in backend.sent_messages:
        raw = getattr(message, "raw_data", None)
        if raw is not None:
            found.append(message_from_bytes(raw.encode() if isinstance(raw, str) else raw, policy=policy.default))
    return found  # type: ignore[return-value]


def deliver(container: Any, name_or_raw: str | bytes, message_id: str, *, verdicts: dict[str, str] | None = None,
            source: str = "sender@example.org") -> Any:
    """Store the message as SES would and run the SNS-triggered ingest; returns the IngestResult."""
    from chalicelib.payloads.ses import parse_notification
    from chalicelib.services.ingest_mail import ingest_notification

    raw = name_or_raw if isinstance(name_or_raw, bytes) else (MAIL / name_or_raw).read_bytes()
    key = store_raw(container, message_id, raw)
    note = notification(message_id, container.settings.inbound_bucket, key, verdicts=verdicts, source=source)
    return ingest_notification(container, parse_notification(note))


def body_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())


def requests_of(container: Any, email: str) -> list[dict[str, Any]]:
    subject = container.subject_for_email(email)
    return [item for item in container.table.query_all(
        index="subject_index", key_condition="subject_pk = :p AND begins_with(subject_sk, :k)",
        values={":p": f"SUBJ#{subject}", ":k": "REQUEST#"}, now=container.now())]
