"""SES inbound notifications (the "Received" notification SES publishes to SNS) and the SNS Lambda event around them.

Modelled here rather than with Powertools' `SesModel`, which is stricter than real notifications (it requires `To`
and `Subject` and ignores `dkimVerdict`).  Only what the ingest needs is modelled; unknown fields are ignored.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError


class _Lenient(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)


class SesVerdict(_Lenient):
    status: str = "PROCESSING_FAILED"

    @property
    def failed(self) -> bool:
        return self.status.upper() == "FAIL"


class SesAction(_Lenient):
    type: str
    topic_arn: str | None = Field(default=None, alias="topicArn")
    bucket_name: str | None = Field(default=None, alias="bucketName")
    object_key: str | None = Field(default=None, alias="objectKey")
    encoding: str | None = None


class SesReceipt(_Lenient):
    timestamp: str
    recipients: list[str] = Field(default_factory=list)
    spam_verdict: SesVerdict = Field(default_factory=SesVerdict, alias="spamVerdict")
    virus_verdict: SesVerdict = Field(default_factory=SesVerdict, alias="virusVerdict")
    spf_verdict: SesVerdict = Field(default_factory=SesVerdict, alias="spfVerdict")
    dkim_verdict: SesVerdict = Field(default_factory=SesVerdict, alias="dkimVerdict")
    dmarc_verdict: SesVerdict = Field(default_factory=SesVerdict, alias="dmarcVerdict")
    action: SesAction


class SesMail(_Lenient):
    timestamp: str
    source: str = ""
    message_id: str = Field(alias="messageId", min_length=1, max_length=200, pattern=r"^[A-Za-z0-9._+=-]+$")
    destination: list[str] = Field(default_factory=list)


class SesNotification(_Lenient):
    notification_type: str = Field(default="Received", alias="notificationType")
    mail: SesMail
    receipt: SesReceipt
    content: str | None = None  # base64 (or UTF-8) MIME when the action is SNS; absent for the S3 action


class InvalidNotificationError(ValueError):
    """An event that is not an SES receipt notification (the message names the problem, never the content)."""


def parse_notification(message: str | dict[str, Any]) -> SesNotification:
    try:
        data = json.loads(message) if isinstance(message, str) else message
        return SesNotification.model_validate(data)
    except (ValueError, ValidationError) as error:
        problem = "not JSON" if not isinstance(error, ValidationError) else _first_field(error)
        raise InvalidNotificationError(f"not an SES notification: {problem}") from None


def notifications_from_sns_event(event: dict[str, Any]) -> list[SesNotification | InvalidNotificationError]:
    """Each record of an SNS Lambda event, parsed (or the error that record gives)."""
    results: list[SesNotification | InvalidNotificationError] = []
    records = event.get("Records") if isinstance(event, dict) else None
    if not isinstance(records, list):
        return [InvalidNotificationError("not an SNS event: no Records")]
    for record in records:
        sns = record.get("Sns") if isinstance(record, dict) else None
        message = sns.get("Message") if isinstance(sns, dict) else None
        if not isinstance(message, str):
            results.append(InvalidNotificationError("not an SNS record: no Sns.Message"))
            continue
        try:
            results.append(parse_notification(message))
        except InvalidNotificationError as error:
            results.append(error)
    return results


def _first_field(error: ValidationError) -> str:
    first = error.errors()[0]
    return ".".join(str(part) for part in first["loc"]) or "body"
