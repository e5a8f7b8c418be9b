"""Outbound mail through SES SendRawEmail (raw MIME, so that threading headers can be set).

Mail goes from settings.sender_email.  Addresses, subjects and bodies are never logged: only the message id and
a kind chosen by the caller.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Any

from chalicelib.domain.email_address import parse_email
from chalicelib.errors import DomainError
from chalicelib.mail.inbound import clean_line
from chalicelib.observability import count, logger

_MESSAGE_ID = re.compile(r"^<[\x21-\x3b\x3d\x3f-\x7e]{1,250}>$")  # <printable, no < or > inside>


class MailDeliveryError(DomainError):
    """SES refused or could not be reached; the caller decides whether to retry."""

    status = 503
    code = "mail_unavailable"


def build_message(*, sender: str, to: str, subject: str, text: str, html: str | None = None,
                  in_reply_to: str | None = None, references: Sequence[str] | None = None,
                  domain: str | None = None, sent_at: float | None = None) -> EmailMessage:
    """The MIME message (text, plus an HTML alternative when given)."""
    from datetime import UTC, datetime

    message = EmailMessage()
    # Addresses go in through the header API (one Address each): a value can never add a recipient or a header.
    message["From"] = Address(addr_spec=parse_email(sender))
    message["To"] = Address(addr_spec=parse_email(to))
    message["Subject"] = clean_line(subject)
    message["Message-ID"] = make_msgid(domain=domain or sender.rpartition("@")[2])
    moment = datetime.fromtimestamp(sent_at, tz=UTC) if sent_at is not None else datetime.now(tz=UTC)
    message["Date"] = format_datetime(moment)
    message["Auto-Submitted"] = "auto-generated" if in_reply_to is None else "auto-replied"
    if in_reply_to and _MESSAGE_ID.match(in_reply_to):
        message["In-Reply-To"] = in_reply_to
    refs = [ref for ref in references or [] if _MESSAGE_ID.match(ref)]
    if in_reply_to and _MESSAGE_ID.match(in_reply_to) and in_reply_to not in refs:
        refs.append(in_reply_to)
    if refs:  # a list of msg-ids, each checked to be one printable token: the header's own syntax
        message["References"] = " ".join(refs)
    message.set_content(text)
    if html is not None:
        message.add_alternative(html, subtype="html")
    return message


def send_email(container: Any, *, to: str, subject: str, text: str, html: str | None = None,
               in_reply_to: str | None = None, references: list[str] | None = None, kind: str = "mail") -> str:
    """Send one message; returns the SES message id.  Raises MailDeliveryError when SES fails."""
    from botocore.exceptions import BotoCoreError, ClientError

    from chalicelib import aws

    settings = container.settings
    message = build_message(sender=settings.sender_email, to=to, subject=subject, text=text, html=html,
                            in_reply_to=in_reply_to, references=references, domain=settings.site_domain,
                            sent_at=container.now())
    try:
        response = aws.ses().send_raw_email(Source=settings.sender_email, Destinations=[parse_email(to)],
                                            RawMessage={"Data": message.as_bytes()})
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code", "unknown")
        logger.warning("mail not sent", extra={"kind": kind, "error": code})
        raise MailDeliveryError(f"mail not sent: {code}") from None
    except BotoCoreError as error:
        logger.warning("mail not sent", extra={"kind": kind, "error": type(error).__name__})
        raise MailDeliveryError("mail service unreachable") from None
    message_id = str(response["MessageId"])
    logger.info("mail sent", extra={"kind": kind, "message_id": message_id})
    count("MailSent")
    return message_id
