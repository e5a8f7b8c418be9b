"""Outgoing mail through Amazon SES (SendRawEmail: raw MIME, so that threading headers can be set).

Mail goes from the configured sender.  Addresses, subject lines and bodies are never logged: only the SES message id
and a kind chosen by the caller.  The MIME is composed by `chalicelib.mail.compose` (the `email` package's header
API, never string joins).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from chalicelib.domain.email_address import parse_email
from chalicelib.errors import MailDeliveryError
from chalicelib.observability import count, logger

if TYPE_CHECKING:
    from mypy_boto3_ses import SESClient


@dataclass(frozen=True)
class OutgoingMail:
    to: str
    subject_line: str
    text: str
    kind: str = "mail"  # what the mail is, for logs and metrics (never its content)
    html: str | None = None
    in_reply_to: str | None = None
    references: Sequence[str] = field(default_factory=tuple)
    reply_to: str | None = None
    automatic: bool = True  # False: a person's answer (no Auto-Submitted header)


class Mailer(Protocol):
    def send(self, mail: OutgoingMail) -> str:
        """Send one message; returns its message id.  MailDeliveryError when it could not be sent."""
        ...


class SesMailer:
    def __init__(self, client: Callable[[], SESClient], sender: str, domain: str, now: Callable[[], int]) -> None:
        self._client = client
        self.sender = sender
        self.domain = domain
        self._now = now

    def send(self, mail: OutgoingMail) -> str:
        from botocore.exceptions import BotoCoreError, ClientError

        from chalicelib.mail.compose import build_message  # the `email` package loads with the first mail

        message = build_message(sender=self.sender, to=mail.to, subject_line=mail.subject_line, text=mail.text,
                                html=mail.html, in_reply_to=mail.in_reply_to, references=mail.references,
                                domain=self.domain, sent_at=self._now(), reply_to=mail.reply_to,
                                automatic=mail.automatic)
        try:
            response = self._client().send_raw_email(Source=self.sender, Destinations=[parse_email(mail.to)],
                                                     RawMessage={"Data": message.as_bytes()})
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code", "unknown")
            logger.warning("mail not sent", extra={"kind": mail.kind, "error": code})
            raise MailDeliveryError(f"mail not sent: {code}") from None
        except BotoCoreError as error:
            logger.warning("mail not sent", extra={"kind": mail.kind, "error": type(error).__name__})
            raise MailDeliveryError("mail service unreachable") from None
        message_id = str(response["MessageId"])
        logger.info("mail sent", extra={"kind": mail.kind, "message_id": message_id})
        count("MailSent")
        return message_id
