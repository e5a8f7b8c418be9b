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
    assert acknowledgement(ack, thread, language="de", site="s").text.startswith("Wir haben Ihre")
    assert acknowledgement(ack, thread, language="et", site="s").text.startswith("Saime teie")
    text = acknowledgement(ack, thread, language="en", site="s").text
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
