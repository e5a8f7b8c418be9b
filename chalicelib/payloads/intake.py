"""Messages of the privacy-request intake queue (written by `POST /privacy-requests`, read by `privacy_intake`)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from chalicelib.payloads.corrections import CorrectionChanges, OrderIds
from chalicelib.payloads.fields import EmailAddress

RequestKind = Literal["access", "deletion", "correction", "opt_out", "restriction", "objection"]


class IntakeMessage(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    v: Literal[1] = 1
    email: EmailAddress
    type: RequestKind
    received_at: int = Field(ge=0)
    changes: CorrectionChanges | None = None  # a correction's changes (personal data: the queue is encrypted)
    order_ids: OrderIds | None = None
    language: Literal["en", "de", "et"] | None = None  # of the verification mail


class IntakeRecord(BaseModel):
    """One SQS record of the Lambda event (only what the consumer needs)."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    message_id: str = Field(alias="messageId", min_length=1, max_length=128)
    body: str


def records_of(event: dict[str, Any]) -> list[IntakeRecord | str]:
    """The event's records; an unreadable one is given as its message id (or "?") to be reported failed."""
    found: list[IntakeRecord | str] = []
    for raw in event.get("Records") or []:
        try:
            found.append(IntakeRecord.model_validate(raw))
        except ValidationError:
            found.append(str(raw.get("messageId", "?")) if isinstance(raw, dict) else "?")
    return found
