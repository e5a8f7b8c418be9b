"""Ingesting privacy@ mail (moto): requests created, replies sent through SES exactly once, guards, correspondence.

Helpers here (`deliver`, `notification`, `sent_mail`, ...) are imported by the other mail tests.
"""

from __future__ import annotations

import json
import re
from email.message import EmailMessage
from typing import Any

import pytest

from tests.conftest import NOW, load_event
from tests.fakes.faults import refusing
from tests.fakes.inbound_mail import (
    MAIL,
    body_of,
    deliver,
    notification,
    requests_of,
    sent_mail,
    ses_headers,
    store_raw,
    with_message_id,
)

CORPUS: dict[str, dict[str, Any]] = json.loads((MAIL / "corpus.json").read_text())


# -- helpers ---------------------------------------------------------------------------------------------------------








# -- the corpus -----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", sorted(CORPUS))
def test_every_corpus_message_gets_its_outcome(container: Any, name: str) -> None:
    expected = CORPUS[name]
    verdicts = {"dmarc": "FAIL", "spf": "FAIL", "dkim": "FAIL"} if name.startswith("spoofed") else None
    result = deliver(container, name, f"corpus{abs(hash(name)) % 10**8:08d}", verdicts=verdicts)
    assert result.outcome == expected["outcome"]
    assert result.kind == expected["kind"] or expected["outcome"] != "answered"
    replies = sent_mail()
    if expected["outcome"] == "answered":
        assert len(replies) == 1
        assert replies[0]["To"] == expected["from"]
    else:
        assert replies == []


def test_deletion_request_is_created_on_the_email_channel_at_ses_receipt_time(container: Any) -> None:
    result = deliver(container, "plain-deletion-en.eml", "m0000000001")
    requests = requests_of(container, "jana.mueller@example.org")
    assert len(requests) == 1
    data = requests[0]["data"]
    assert data["request_id"] == result.request_id
    assert data["type"] == "deletion" and data["channel"] == "email" and data["status"] == "unverified"
    assert data["received_at"] == NOW - 60  # 2026-11-23T11:59:00Z, the SES receipt timestamp
    assert data["source_ref"] == "m0000000001"


def test_acknowledgement_threads_and_carries_id_link_and_next_steps(container: Any) -> None:
    result = deliver(container, "plain-deletion-en.eml", "m0000000002")
    (reply,) = sent_mail()
    text = body_of(reply)
    assert reply["From"] == container.settings.sender_email
    assert reply["Subject"] == "Re: Request to delete my personal data (order #1234)"
    assert reply["In-Reply-To"] == "<CAF8098FDD49A3442D9935F6112@mail.example.org>"
    assert "<CAF8098FDD49A3442D9935F6112@mail.example.org>" in reply["References"]
    assert result.request_id in text
    assert f"{container.settings.public_base_url}/privacy-requests/verify?token=" in text
    assert "grace period of 7 days" in text and "at the latest" in text
    assert reply["Auto-Submitted"] == "auto-replied"


def test_reply_reads_the_same_whether_or_not_the_address_has_an_account(container: Any) -> None:
    from chalicelib.storage.subject_items import subject_link

    # One sender is a customer with an order on file, the other is unknown to the store.  The billing country is
    # one of no regime the store serves, so both requests have the same regime (an EEA, UK or Californian billing
    # address gives its own law's deadline: test_acknowledgement_states_the_deadline_of_the_senders_regime).
    known = container.subject_for_email("jana.mueller@example.org")
    container.table.put({"pk": "ORDER#1234", "sk": "ORDER", **subject_link(known, "order", "1234"),
                         "data": {"billing_country": "BR"}, "category": "order", "expires_at": NOW + 10**8})
    deliver(container, "plain-deletion-en.eml", "m0000000003")
    other = (MAIL / "plain-deletion-en.eml").read_bytes().replace(b"jana.mueller@example.org",
                                                                  b"nobody.known@example.org")
    deliver(container, other, "m0000000004")
    first, second = sent_mail()

    def normalised(message: EmailMessage) -> str:
        text = body_of(message)
        text = re.sub(r"Request reference: \w+|viide \w+|Referenz \w+", "REF", text)
        text = re.sub(r"token=[\w-]+", "token=T", text)
        return text

    assert normalised(first) == normalised(second)
    assert not re.search(r"\b(?:your|an|no) account\b", normalised(first), re.IGNORECASE)


def test_help_reply_lists_what_can_be_asked(container: Any) -> None:
    result = deliver(container, "other-question.eml", "m0000000005")
    assert result.outcome == "answered" and result.request_id is None
    (reply,) = sent_mail()
    text = body_of(reply)
    for what in ("Access / export", "Deletion", "Correction", "Marketing opt-out"):
        assert what in text
    assert requests_of(container, "lena.virtanen@example.fi") == []


def test_dmarc_failure_still_answered_but_always_needs_the_link(container: Any) -> None:
    fail = {"spf": "FAIL", "dkim": "FAIL", "dmarc": "FAIL"}
    deliver(container, "html-only-optout.eml", "m0000000006", verdicts=fail)
    (request,) = requests_of(container, "sam.okafor@example.co.uk")
    assert request["data"]["status"] == "unverified"
    assert "/privacy-requests/verify?token=" in body_of(sent_mail()[0])


def test_authenticated_opt_out_needs_no_link(container: Any) -> None:
    deliver(container, "html-only-optout.eml", "m0000000007")
    (request,) = requests_of(container, "sam.okafor@example.co.uk")
    assert request["data"]["status"] != "unverified"
    assert "verify?token=" not in body_of(sent_mail()[0])


def test_spoofed_mail_is_answered_to_the_from_address_never_to_reply_to(container: Any) -> None:
    deliver(container, "spoofed-deletion.eml", "m0000000008", verdicts={"dmarc": "FAIL"})
    (reply,) = sent_mail()
    assert reply["To"] == "jana.mueller@example.org"
    (request,) = requests_of(container, "jana.mueller@example.org")
    assert request["data"]["status"] == "unverified"


@pytest.mark.parametrize("verdict", ["spam", "virus"])
def test_spam_or_virus_is_quarantined_and_never_answered(container: Any, verdict: str) -> None:
    from chalicelib import aws

    result = deliver(container, "plain-deletion-en.eml", f"q{verdict}00000001", verdicts={verdict: "FAIL"})
    assert result.outcome == "quarantined"
    assert sent_mail() == []
    assert requests_of(container, "jana.mueller@example.org") == []
    keys = [o["Key"] for o in aws.s3().list_objects_v2(Bucket=container.settings.inbound_bucket).get("Contents", [])]
    assert keys == [f"quarantine/q{verdict}00000001"]


def test_spam_gray_is_not_quarantined(container: Any) -> None:
    assert deliver(container, "plain-deletion-en.eml", "gray00000001", verdicts={"spam": "GRAY"}).outcome == "answered"


def test_the_same_message_is_answered_once_however_often_it_is_seen(container: Any) -> None:
    from chalicelib.payloads.ses import parse_notification
    from chalicelib.services.ingest_mail import ingest_notification, ingest_pending

    first = deliver(container, "plain-deletion-en.eml", "dup000000001")
    note = parse_notification(notification("dup000000001", container.settings.inbound_bucket, "inbound/dup000000001"))
    again = [ingest_notification(container, note) for _ in range(3)]
    pending = ingest_pending(container, now=container.now(), dry_run=False)
    assert first.outcome == "answered"
    assert {r.outcome for r in again} == {"duplicate"}
    assert pending["ingested"] == 0
    assert len(sent_mail()) == 1
    assert len(requests_of(container, "jana.mueller@example.org")) == 1


def test_loop_guard_never_answers_our_own_mail(container: Any) -> None:
    assert deliver(container, "own-loop.eml", "loop00000001").outcome == "loop"
    with_marker = (MAIL / "plain-deletion-en.eml").read_bytes().replace(
        b"MIME-Version", b"X-Loop: privacy@store.example\r\nMIME-Version")
    assert deliver(container, with_marker, "loop00000002").outcome == "loop"
    assert deliver(container, "plain-deletion-en.eml", "loop00000003",
                   source="privacy@store.example").outcome == "loop"
    assert sent_mail() == []


@pytest.mark.parametrize("header", ["Auto-Submitted: auto-generated", "Precedence: junk", "Precedence: list",
                                    "List-Id: <x.lists.example.org>", "Return-Path: <>"])
def test_automatic_mail_is_never_answered(container: Any, header: str) -> None:
    raw = (MAIL / "plain-deletion-en.eml").read_bytes().replace(b"Return-Path: <jana.mueller@example.org>\r\n", b"")
    raw = header.encode() + b"\r\n" + raw
    assert deliver(container, raw, "auto00000001").outcome.startswith("ignored_")
    assert sent_mail() == []


def test_auto_submitted_no_is_answered(container: Any) -> None:
    raw = b"Auto-Submitted: no\r\n" + (MAIL / "plain-deletion-en.eml").read_bytes()
    assert deliver(container, raw, "autono000001").outcome == "answered"


def test_at_most_n_answers_per_sender_per_day(container: Any, clock: Any) -> None:
    limit = container.settings.mail_max_per_sender_per_day
    outcomes = [deliver(container, with_message_id("other-question.eml", f"<q{n}@example.fi>"),
                        f"rate{n:08d}").outcome for n in range(limit + 2)]
    assert outcomes == ["answered"] * limit + ["rate_limited"] * 2
    clock.advance(86_400)
    assert deliver(container, with_message_id("other-question.eml", "<q99@example.fi>"),
                   "rate99999999").outcome == "answered"
    assert len(sent_mail()) == limit + 1


def test_correspondence_is_kept_sealed_and_opens_for_the_subject(container: Any, table_items: Any) -> None:
    from chalicelib.crypto.vault import open_fields

    deliver(container, "latin1-correction-de.eml", "corr00000001")
    subject = container.subject_for_email("juergen.weiss@example.at")
    kept = container.mail_store.correspondence(subject, now=container.now())
    assert [c.direction for c in kept] == ["in", "out"]
    inbound = open_fields(container.vault.cipher_for_reading(subject), kept[0].sealed)
    assert "Müllerstraße 12" in inbound["body"]
    assert inbound["from"]["address"] == "juergen.weiss@example.at"
    outbound = open_fields(container.vault.cipher_for_reading(subject), kept[1].sealed)
    assert "verify?token=" not in outbound["body"] and "[verification link]" in outbound["body"]
    raw_items = [i for i in table_items() if i["sk"].startswith("CORR#")]
    assert len(raw_items) == 2
    for item in raw_items:
        assert item["kind"] == "correspondence" and item["category"] == "correspondence"
        assert item["subject_pk"] == f"SUBJ#{subject}" and item["due_pk"] == "DUE#correspondence"
        assert "weiss" not in json.dumps(item, default=str).lower()  # nothing personal in plain text


def test_correspondence_appears_in_the_subject_export(container: Any) -> None:
    deliver(container, "multipart-access-de.eml", "exp000000001")
    subject = container.subject_for_email("k.groessmann@example.de")
    kinds = [record.kind for record in container.subject_data.records(subject, now=container.now())]
    assert kinds.count("correspondence") == 2


def test_raw_mime_leaves_the_inbound_prefix_once_done(container: Any) -> None:
    from chalicelib import aws

    deliver(container, "plain-deletion-en.eml", "raw000000001")
    listed = aws.s3().list_objects_v2(Bucket=container.settings.inbound_bucket, Prefix="inbound/")
    assert listed.get("KeyCount", 0) == 0


def test_erased_sender_gets_a_neutral_reply_and_nothing_is_stored(container: Any, table_items: Any) -> None:
    subject = container.subject_for_email("jana.mueller@example.org")
    container.subject_keys.suppress(subject, at=NOW - 10, expires_at=NOW + 10**6)
    result = deliver(container, "plain-deletion-en.eml", "erased000001")
    assert result.outcome == "answered" and result.request_id is None
    assert "received your message" in body_of(sent_mail()[0])
    assert not [i for i in table_items() if i.get("subject_pk") == f"SUBJ#{subject}"]


def test_a_failed_send_is_retried_with_the_kept_reply_and_no_second_request(container: Any) -> None:
    from chalicelib import aws
    from chalicelib.errors import MailDeliveryError
    from chalicelib.services.ingest_mail import ingest_pending

    with refusing(aws.ses(), "SendRawEmail"), pytest.raises(MailDeliveryError):
        deliver(container, "plain-deletion-en.eml", "retry0000001")
    assert sent_mail() == []
    counts = ingest_pending(container, now=container.now(), dry_run=False)
    assert counts["answered"] == 1
    (reply,) = sent_mail()
    assert "/privacy-requests/verify?token=" in body_of(reply)
    assert len(requests_of(container, "jana.mueller@example.org")) == 1


def test_scheduled_pickup_ingests_mail_whose_notification_was_lost(container: Any) -> None:
    from chalicelib.services.ingest_mail import ingest_pending

    store_raw(container, "lost00000001", (MAIL / "mixed-access-et.eml").read_bytes())
    store_raw(container, "lost00000002", (MAIL / "plain-deletion-en.eml").read_bytes(), spam="FAIL")
    dry = ingest_pending(container, now=container.now(), dry_run=True)
    assert dry["pending"] == 2 and sent_mail() == []
    counts = ingest_pending(container, now=container.now(), dry_run=False)
    assert counts["ingested"] == 2 and counts["answered"] == 1
    (reply,) = sent_mail()
    assert reply["To"] == "mari.tamm@example.ee"
    assert "Saime teie andmekaitsepäringu kätte" in body_of(reply)
    assert ingest_pending(container, now=container.now(), dry_run=False)["pending"] == 0


def test_pickup_reads_verdicts_from_the_topmost_ses_headers_only(container: Any) -> None:
    from chalicelib.mail.inbound import envelope_from_raw

    forged = ses_headers("x1", spam="FAIL") + b"X-SES-Spam-Verdict: PASS\r\n" + (MAIL / "own-loop.eml").read_bytes()
    envelope = envelope_from_raw(forged, key="inbound/x1", bucket="b", stored_at=NOW)
    assert envelope.verdicts.quarantine and envelope.message_id == "x1"
    assert envelope.received_at == NOW - 2 * 86_400 - 3600  # the Received header's date (21 Nov, 11:00Z)


def test_sns_action_with_inline_content_is_ingested(container: Any) -> None:
    from chalicelib.payloads.ses import parse_notification
    from chalicelib.services.ingest_mail import ingest_notification

    note = parse_notification(load_event("ses/sns-action.notification-message.decoded.json"))
    result = ingest_notification(container, note)
    assert result.outcome == "answered" and result.kind == "deletion"
    assert sent_mail()[0]["To"] == "jana.mueller@example.org"


def test_missing_object_is_recorded_not_answered(container: Any) -> None:
    from chalicelib.payloads.ses import parse_notification
    from chalicelib.services.ingest_mail import ingest_notification

    note = parse_notification(notification("gone00000001", container.settings.inbound_bucket, "inbound/gone00000001"))
    assert ingest_notification(container, note).outcome == "missing"
    assert sent_mail() == []


def test_no_personal_data_from_the_corpus_reaches_the_logs(container: Any, log_output: Any) -> None:
    for n, name in enumerate(sorted(CORPUS)):
        verdicts = {"dmarc": "FAIL"} if name.startswith("spoofed") else None
        deliver(container, name, f"log{n:09d}", verdicts=verdicts)
    logs = log_output()
    assert "mail ingested" in logs
    for entry in CORPUS.values():
        for value in entry["personal"]:
            assert value not in logs, value
