"""Composing outgoing mail (pure): the MIME message, every header through the `email` package's header API.

Sending is the mailer's job (`chalicelib.adapters.mailer`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from chalicelib.domain.email_address import parse_email
from chalicelib.mail.inbound import clean_line

_MESSAGE_ID = re.compile(r"^<[\x21-\x3b\x3d\x3f-\x7e]{1,250}>$")  # <printable, no < or > inside>


def build_message(*, sender: str, to: str, subject_line: str, text: str, html: str | None = None,
                  in_reply_to: str | None = None, references: Sequence[str] | None = None,
                  domain: str | None = None, sent_at: float | None = None,
                  reply_to: str | None = None, automatic: bool = True) -> EmailMessage:
    """The MIME message (text, plus an HTML alternative when given).  `automatic=False`: a person's answer, without
    `Auto-Submitted` (RFC 3834)."""
    from datetime import UTC, datetime

    message = EmailMessage()
    # Addresses go in through the header API (one Address each): a value can never add a recipient or a header.
    message["From"] = Address(addr_spec=parse_email(sender))
    message["To"] = Address(addr_spec=parse_email(to))
    if reply_to:
        message["Reply-To"] = Address(addr_spec=parse_email(reply_to))
    message["Subject"] = clean_line(subject_line)
    message["Message-ID"] = make_msgid(domain=domain or sender.rpartition("@")[2])
    moment = datetime.fromtimestamp(sent_at, tz=UTC) if sent_at is not None else datetime.now(tz=UTC)
    message["Date"] = format_datetime(moment)
    if automatic:
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
