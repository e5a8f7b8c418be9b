"""Inbound MIME parsing, automatic-mail detection, classification and reply composition (pure)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.mail.classify import classify, own_text
from chalicelib.mail.inbound import automated_reason, html_to_text, parse_message
from chalicelib.mail.replies import Acknowledgement, Thread, acknowledgement, reply_subject, thread_references
from chalicelib.mail.templates import Sender
from tests.conftest import EVENTS

MAIL = EVENTS / "mail"
CORPUS: dict[str, dict[str, Any]] = json.loads((MAIL / "corpus.json").read_text())


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_corpus_is_parsed_and_classified(name: str) -> None:
    expected = CORPUS[name]
    mail = parse_message((MAIL / name).read_bytes())
    assert mail.from_address == expected["from"]
    assert expected["contains"] in mail.body
    if expected["kind"]:
        result = classify(mail.subject, mail.body)
        assert (result.kind, result.language) == (expected["kind"], expected["language"])


def test_encoded_headers_are_decoded() -> None:
    mail = parse_message((MAIL / "latin1-correction-de.eml").read_bytes())
    assert mail.from_name == "Jürgen Weiß" and mail.subject == "Berichtigung meiner Adresse"


def test_html_only_body_becomes_text_without_style_or_markup() -> None:
    mail = parse_message((MAIL / "html-only-optout.eml").read_bytes())
    assert "<" not in mail.body and "color:red" not in mail.body
    assert "Please unsubscribe me from your marketing emails." in mail.body


def test_attachments_are_not_the_body() -> None:
    mail = parse_message((MAIL / "mixed-access-et.eml").read_bytes())
    assert "%PDF" not in mail.body


def test_threading_headers_are_collected() -> None:
    mail = parse_message((MAIL / "reply-quoted-access.eml").read_bytes())
    assert mail.message_id == "<reply-quoted-3@example.es>"
    assert mail.references == ["<prev-0@example.es>", "<prev-1@store.example>"]


@pytest.mark.parametrize(("headers", "reason"), [
    ("Auto-Submitted: auto-replied", "auto_submitted"),
    ("Auto-Submitted: no", None),
    ("Precedence: bulk", "precedence"),
    ("Precedence: first-class", None),
    ("List-Id: <a.b.example>", "list"),
    ("Return-Path: <>", "null_sender"),
    ("X-Autoreply: yes", "auto_reply"),
])
def test_automatic_mail_is_recognised(headers: str, reason: str | None) -> None:
    raw = f"{headers}\r\nFrom: a@example.org\r\nSubject: hi\r\n\r\nplease delete my data\r\n".encode()
    assert automated_reason(parse_message(raw), "a@example.org") == reason


def test_mailer_daemon_and_null_envelope_sender_are_automatic() -> None:
    raw = b"From: MAILER-DAEMON@mx.example.org\r\nSubject: x\r\n\r\nbody\r\n"
    assert automated_reason(parse_message(raw), None) == "automated_sender"
    ordinary = parse_message(b"From: a@example.org\r\nSubject: x\r\n\r\nbody\r\n")
    assert automated_reason(ordinary, "") == "null_sender"
    assert automated_reason(ordinary, None) is None


def test_header_injection_in_subject_cannot_add_headers() -> None:
    raw = b"From: a@example.org\r\nSubject: =?utf-8?q?hi=0D=0ABcc=3A_x=40evil.example?=\r\n\r\nbody\r\n"
    subject = parse_message(raw).subject
    assert "\n" not in subject and "\r" not in subject
    assert "\n" not in reply_subject(subject)


@pytest.mark.parametrize(("subject", "body", "kind"), [
    ("", "Please delete my account and all my data.", "deletion"),
    ("Auskunft", "Bitte senden Sie mir eine Kopie meiner Daten.", "access"),
    ("", "Palun kustutage minu andmed.", "deletion"),
    ("", "Palun loobun uudiskirjast.", "opt_out"),
    ("", "My address is wrong, please update my address.", "correction"),
    ("", "Do not sell or share my personal information.", "opt_out"),
    ("Hello", "When will my parcel arrive?", "other"),
    ("", "Please unsubscribe me and delete my data.", "deletion"),
])
def test_classification_phrases(subject: str, body: str, kind: str) -> None:
    assert classify(subject, body).kind == kind


def test_quoted_and_forwarded_text_does_not_count_when_the_sender_wrote_something() -> None:
    body = "Please send me a copy of my data.\n\nOn Mon, 1 Jan 2024, Shop <a@b.example> wrote:\n> delete delete"
    assert own_text(body) == "Please send me a copy of my data."
    assert classify("", body).kind == "access"
    assert classify("", "> please delete my data").kind == "deletion"  # nothing else there: the quote counts


def test_html_to_text_keeps_line_breaks() -> None:
    assert html_to_text("<p>a</p><p>b<br>c</p>").split() == ["a", "b", "c"]


def test_reply_subject_and_references() -> None:
    assert reply_subject("Delete me") == "Re: Delete me"
    assert reply_subject("AW: Löschung") == "AW: Löschung"
    assert reply_subject("") == "Re: Your message to our privacy team"
    assert thread_references("<c>", ["<a>", "<b>"]) == ["<a>", "<b>", "<c>"]
    assert len(thread_references("<z>", [f"<{n}>" for n in range(40)])) == 20


def test_acknowledgement_in_german_and_estonian_starts_in_that_language() -> None:
    ack = Acknowledgement("access", "req123", 1_798_000_000, "https://x.example/v?token=t", 7)
    thread = Thread("a@example.org", "Auskunft", "<m@x>", [])
    sender = Sender("Controller", "privacy@shop.example", site="s", languages=("en", "de", "et"))
    assert acknowledgement(ack, thread, language="de", sender=sender).text.startswith("Wir haben Ihre")
    assert acknowledgement(ack, thread, language="et", sender=sender).text.startswith("Saime teie")
    text = acknowledgement(ack, thread, language="en", sender=sender).text
    assert "req123" in text and "https://x.example/v?token=t" in text and "download link" in text


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=2000))
def test_any_bytes_parse_without_raising(raw: bytes) -> None:
    mail = parse_message(raw)
    classify(mail.subject, mail.body)
    automated_reason(mail, None)


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=300))
def test_reply_subject_is_always_one_safe_line(subject: str) -> None:
    result = reply_subject(subject)
    assert "\n" not in result and "\r" not in result and len(result) <= 184


def test_mail_states_the_deadline_and_reference_of_each_regime() -> None:
    from chalicelib.domain.privacy_requests import Regime
    from chalicelib.mail.templates import deadline_text, period_text

    due = 1_798_000_000  # 23 December 2026
    assert deadline_text(Regime.GDPR, due) == "23 December 2026 (one month, GDPR Art. 12(3))"
    assert deadline_text(Regime.UK_GDPR, due) == "23 December 2026 (one month, UK GDPR Art. 12(3))"
    assert deadline_text(Regime.CCPA, due) == "23 December 2026 (45 days, CCPA, Cal. Civ. Code § 1798.130(a)(2))"
    assert period_text(Regime.STRICTEST).startswith("the earlier of one month (GDPR Art. 12(3)) and 45 days")
    assert period_text(Regime.GDPR, extended=True) == "one month extended by two further months, GDPR Art. 12(3)"
    assert "90" not in period_text(Regime.CCPA, extended=True) and "45 further days" in period_text(
        Regime.CCPA, extended=True)


def test_signature_names_the_controller_its_contact_and_the_dpo_when_given() -> None:
    plain = Sender("Shop Ltd (Shop)", "privacy@shop.example", site="shop.example").signature()
    assert "Shop Ltd (Shop), shop.example" in plain and "privacy@shop.example" in plain and "protection" not in plain
    with_dpo = Sender("Shop Ltd", "privacy@shop.example", dpo="dpo@shop.example").signature()
    assert "Data protection officer: dpo@shop.example" in with_dpo


@pytest.mark.parametrize(("languages", "detected", "expected"), [
    (("en", "de", "et"), "de", "de"), (("en", "de", "et"), "et", "et"), (("en",), "de", "en"),
    (("en", "de"), "et", "en"), (("de",), "et", "de"), (("de",), "en", "de"),
])
def test_reply_language_is_one_the_store_lists(languages: tuple[str, ...], detected: Any, expected: str) -> None:
    from chalicelib.mail.replies import reply_language

    assert reply_language(detected, Sender("S", "p@s.example", languages=languages)) == expected
