"""Outbound mail through SES SendRawEmail (moto)."""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib.adapters.mailer import OutgoingMail, SesMailer
from chalicelib.errors import MailDeliveryError
from chalicelib.mail.compose import build_message
from tests.fakes.subjects import mail_text, sent_mail


def test_build_message_sets_threading_headers_and_alternatives() -> None:
    message = build_message(sender="privacy@store.example", to="a@example.com", subject_line="Re: hi", text="plain",
                            html="<p>rich</p>", in_reply_to="<m1@example.com>", references=["<m0@example.com>"],
                            sent_at=1_795_435_200)
    assert message["In-Reply-To"] == "<m1@example.com>"
    assert message["References"] == "<m0@example.com> <m1@example.com>"
    assert message["Auto-Submitted"] == "auto-replied" and message["Message-ID"].endswith("@store.example>")
    assert message["Date"] == "Mon, 23 Nov 2026 12:00:00 +0000"
    assert [part.get_content_type() for part in message.iter_parts()] == ["text/plain", "text/html"]


def test_send_email_goes_from_the_sender_through_ses_and_returns_its_id(container: Any, log_output: Any) -> None:
    message_id = container.mailer.send(OutgoingMail("jana.mueller@example.org", "Hello", "Body text",
                                                    in_reply_to="<abc@example.org>"))
    mails = sent_mail()
    assert message_id and len(mails) == 1
    assert mails[0]["From"] == container.settings.sender_email and mails[0]["To"] == "jana.mueller@example.org"
    assert mails[0]["In-Reply-To"] == "<abc@example.org>" and "Body text" in mail_text(mails[0])
    logs = log_output()
    assert message_id in logs and "jana.mueller" not in logs and "Hello" not in logs


def test_ses_refusal_is_a_mail_delivery_error(container: Any) -> None:
    from chalicelib import aws

    mailer = SesMailer(aws.ses, "unverified@nowhere.example", container.settings.site_domain, container.now)
    with pytest.raises(MailDeliveryError):
        mailer.send(OutgoingMail("a@example.com", "s", "t"))
