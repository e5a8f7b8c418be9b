"""privacy@ mail for issue 13 (moto): the same message answered once, replies in the sender's language with the
deadline of their regime, children's requests, never more destructive than asked, and the queue of mail for a
person with `cli mail list|show|answer` and the operator's digest."""

from __future__ import annotations

import io
import json
import re
import threading
from email.message import EmailMessage
from typing import Any

import pytest

from chalicelib.domain.retention import DAY
from tests.conftest import NOW
from tests.fakes.inbound_mail import body_of, deliver, requests_of, sent_mail
from tests.fakes.subjects import seed_subject
from tests.helpers import store_policy

PARENT = "eltern.teil@example.de"
RECEIVED = NOW - 60  # the SES receipt timestamp of `deliver`


def raw_mail(sender: str, subject: str, body: str, message_id: str = "<m1@example.org>", *,
             name: str | None = None) -> bytes:
    message = EmailMessage()
    message["From"] = f"{name} <{sender}>" if name else sender
    message["To"] = "privacy@store.example"
    message["Subject"] = subject
    message["Message-ID"] = message_id
    message["Date"] = "Sat, 21 Nov 2026 10:00:00 +0000"
    message.set_content(body)
    return message.as_bytes()


def cli(container: Any, *argv: str) -> tuple[int, str]:
    from chalicelib.cli.commands import main

    out = io.StringIO()
    code = main(["--operator", "dpo", *argv], container=container, out=out)
    return code, out.getvalue()


# -- the same message twice is answered once ------------------------------------------------------------------------
def test_an_mta_retry_under_a_new_ses_id_gets_no_second_reply_and_no_second_request(container: Any) -> None:
    first = deliver(container, "plain-deletion-en.eml", "retryA000001")
    again = deliver(container, "plain-deletion-en.eml", "retryB000002")
    assert (first.outcome, again.outcome) == ("answered", "duplicate_message")
    assert len(sent_mail()) == 1
    assert len(requests_of(container, "jana.mueller@example.org")) == 1


def test_the_message_id_is_compared_normalised_and_with_its_sender(container: Any) -> None:
    body = "Please send me a copy of my personal data."
    assert deliver(container, raw_mail("a@example.org", "Copy", body, "<Same-1@Example.org>"), "norm00000001"
                   ).outcome == "answered"
    assert deliver(container, raw_mail("a@example.org", "Copy", body, " <same-1@example.org> "), "norm00000002"
                   ).outcome == "duplicate_message"
    # the same Message-ID from someone else is another message
    assert deliver(container, raw_mail("b@example.org", "Copy", body, "<same-1@example.org>"), "norm00000003"
                   ).outcome == "answered"
    assert len(sent_mail()) == 2


def test_the_dedup_key_holds_no_personal_data(container: Any, table_items: Any) -> None:
    deliver(container, "plain-deletion-en.eml", "key000000001")
    (item,) = [i for i in table_items() if str(i["pk"]).startswith("INMAILID#")]
    dumped = json.dumps(item, default=str).lower()
    assert "jana" not in dumped and "mueller" not in dumped and "caf8098fdd49" not in dumped
    assert item["message_id"] == "key000000001" and len(item["pk"]) == len("INMAILID#") + 64


def test_two_copies_ingested_concurrently_give_one_reply_and_one_request(container: Any) -> None:
    deliver(container, raw_mail("warm@example.org", "Hi", "Hello there"), "warm00000001")  # build every port first
    before = len(sent_mail())
    barrier = threading.Barrier(2)
    results: list[Any] = []
    errors: list[BaseException] = []

    def ingest(ses_id: str) -> None:
        try:
            barrier.wait(timeout=10)
            results.append(deliver(container, "plain-deletion-en.eml", ses_id))
        except BaseException as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=ingest, args=(f"conc{n:08d}",)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors
    assert sorted(r.outcome for r in results) == ["answered", "duplicate_message"]
    assert len(sent_mail()) - before == 1
    assert len(requests_of(container, "jana.mueller@example.org")) == 1


def test_a_failed_send_is_resent_by_its_own_ses_id_while_a_copy_stays_a_duplicate(container: Any) -> None:
    from chalicelib import aws
    from chalicelib.errors import MailDeliveryError
    from chalicelib.services.ingest_mail import ingest_pending
    from tests.fakes.faults import refusing

    with refusing(aws.ses(), "SendRawEmail"), pytest.raises(MailDeliveryError):
        deliver(container, "plain-deletion-en.eml", "fail00000001")
    assert deliver(container, "plain-deletion-en.eml", "fail00000002").outcome == "duplicate_message"
    assert ingest_pending(container, now=container.now(), dry_run=False)["answered"] == 1
    assert len(sent_mail()) == 1
    assert len(requests_of(container, "jana.mueller@example.org")) == 1


# -- languages and deadlines ----------------------------------------------------------------------------------------
ENGLISH_SENTENCES = ("we have received", "Once you confirm", "Request reference", "at the latest",
                     "This is an automatic reply", "The privacy team of")


def test_a_german_deletion_is_acknowledged_entirely_in_german(container: Any) -> None:
    raw = raw_mail("k.kunde@example.de", "Löschung", "Sehr geehrte Damen und Herren,\nbitte löschen Sie alle "
                   "meine Daten.\nMit freundlichen Grüßen")
    result = deliver(container, raw, "lang00000001")
    text = body_of(sent_mail()[0])
    assert result.kind == "deletion" and text.startswith("Wir haben Ihre Datenschutzanfrage erhalten")
    assert "Referenz der Anfrage" in text and "Das Datenschutzteam von" in text and "Dezember 2026" in text
    for sentence in ENGLISH_SENTENCES:
        assert sentence not in text


@pytest.mark.parametrize(("body", "expected", "kind"), [
    ("Tere, kui kaua te minu tellimuste andmeid säilitate? Lugupidamisega", "Meie andmekaitsemeeskonna liige",
     "other"),
    ("Ich habe eine Frage zu Ihrer Datenschutzerklärung: wie lange speichern Sie Rechnungen?",
     "Eine Person aus unserem Datenschutzteam", "other"),
    ("Bitte schränken Sie die Verarbeitung meiner Daten ein oder löschen Sie sie.", "Wir sind nicht sicher",
     "unclear"),
])
def test_help_and_unclear_replies_are_in_the_senders_language(container: Any, body: str, expected: str,
                                                              kind: str) -> None:
    result = deliver(container, raw_mail("x.y@example.ee", "Küsimus / Frage", body), "lang00000002")
    assert (result.outcome, result.kind, result.request_id) == ("answered", kind, None)
    text = body_of(sent_mail()[0])
    assert expected in text
    for sentence in ENGLISH_SENTENCES:
        assert sentence not in text
    assert requests_of(container, "x.y@example.ee") == []


@pytest.mark.parametrize(("country", "state", "language", "must", "must_not"), [
    ("DE", "", "en", ["(one month, GDPR Art. 12(3))", "two further months"], ["10 business days", "45 days"]),
    ("US", "CA", "en", ["10 business days", "(45 days, CCPA, Cal. Civ. Code § 1798.130(a)(2))",
                        "45 further days", "07 January 2027"], ["GDPR", "one month"]),
    ("DE", "", "de", ["(ein Monat, DSGVO Art. 12 Abs. 3)", "zwei weitere Monate"], ["10 Werktagen", "45 Tage"]),
    ("US", "CA", "de", ["10 Werktagen", "(45 Tage, CCPA, Cal. Civ. Code § 1798.130(a)(2))", "45 weitere Tage",
                        "7. Januar 2027"], ["DSGVO", "ein Monat"]),
    ("US", "CA", "et", ["10 tööpäeva", "(45 päeva, CCPA", "45 päeva võrra"], ["kuu"]),
])
def test_the_acknowledgement_states_the_deadline_of_the_senders_regime(container: Any, country: str, state: str,
                                                                       language: str, must: list[str],
                                                                       must_not: list[str]) -> None:
    container.override(store_policy=store_policy("jetkrate"))  # serves the GDPR and the CCPA; EN, DE, ET
    sender = "regime.kunde@example.org"
    seed_subject(container, sender, country=country, state=state, customer_id="77")
    body = {"en": "Please send me a copy of my personal data.", "de": "Bitte senden Sie mir eine Kopie meiner Daten.",
            "et": "Palun saatke mulle koopia minu andmetest."}[language]
    result = deliver(container, raw_mail(sender, "Data", body), "regime000001")
    assert result.kind == "access"
    text = body_of(sent_mail()[0])
    for phrase in must:
        assert phrase in text, phrase
    for phrase in must_not:
        assert phrase not in text, phrase


def test_a_store_that_lists_one_language_answers_in_it(container: Any) -> None:
    container.override(store_policy=store_policy("jetrack"))  # English only
    deliver(container, raw_mail("k.kunde@example.de", "Löschung", "Bitte löschen Sie meine Daten."), "one000000001")
    text = body_of(sent_mail()[0])
    assert text.startswith("Hello,") and "we have received your request for deletion" in text


# -- never more destructive than asked ------------------------------------------------------------------------------
@pytest.mark.parametrize(("body", "kind"), [
    ("Please send me a copy of my data, don't delete anything.", "access"),
    ("Please restrict the processing of my data, do not erase it.", "restriction"),
    ("Bitte löschen Sie meine Daten nicht, sondern schränken Sie die Verarbeitung ein.", "restriction"),
    ("Palun saatke mulle koopia minu andmetest. Ärge kustutage midagi.", "access"),
    ("I object to the use of my data for analytics and profiling.", "objection"),
])
def test_a_message_that_does_not_ask_for_deletion_never_becomes_one(container: Any, body: str, kind: str) -> None:
    result = deliver(container, raw_mail("careful@example.org", "Privacy", body), "safe00000001")
    (request,) = requests_of(container, "careful@example.org")
    assert result.kind == kind and request["data"]["type"] == kind


def test_delete_after_a_copy_registers_the_copy_only_and_says_so(container: Any) -> None:
    body = "Please send me a copy of my data first. After that, delete my account."
    result = deliver(container, raw_mail("both@example.org", "Copy and delete", body), "both00000001")
    (request,) = requests_of(container, "both@example.org")
    assert result.kind == "access" and request["data"]["type"] == "access"
    assert "You also asked us to delete your data" in body_of(sent_mail()[0])


def test_an_unclear_message_registers_nothing_asks_and_goes_to_a_person(container: Any) -> None:
    body = "Either restrict the processing of my data or delete it, whichever you prefer."
    result = deliver(container, raw_mail("unsure@example.org", "Data", body), "unclear00001")
    assert (result.kind, result.request_id) == ("unclear", None)
    assert requests_of(container, "unsure@example.org") == []
    text = body_of(sent_mail()[0])
    assert "We are not sure what you would like us to do" in text and "- Restriction" in text
    (entry,) = container.mail_store.queue(now=container.now())
    assert (entry.entry_id, entry.kind, entry.reason) == ("unclear00001", "unclear", "conflicting")


# -- children -------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("subject", "body", "language", "phrase"), [
    ("My son's account", "Hello, my 12-year-old son created an account. Please delete his account and data.", "en",
     "parent or legal guardian"),
    ("Konto meines Sohnes", "Guten Tag, mein Sohn hat ein Konto angelegt. Bitte löschen Sie sein Konto und alle "
     "Daten.", "de", "Elternteil oder gesetzlicher Vormund"),
    ("Minu lapse konto", "Tere, minu poeg tegi teie poes konto. Palun kustutage tema konto ja andmed.", "et",
     "lapse vanem või seaduslik eestkostja"),
])
def test_a_childs_message_becomes_a_child_deletion_request_due_in_three_days(
        container: Any, subject: str, body: str, language: str, phrase: str) -> None:
    seed_subject(container, PARENT, customer_id="61")
    result = deliver(container, raw_mail(PARENT, subject, body), "child0000001")
    assert (result.outcome, result.kind) == ("answered", "child")
    (request,) = requests_of(container, PARENT)
    data = request["data"]
    assert (data["type"], data["child"], data["channel"]) == ("deletion", True, "email")
    assert data["params"] == {"source": "mail", "language": language}  # later mail is written in its language
    assert data["due_at"] == RECEIVED + 3 * DAY and data["request_id"] == result.request_id
    assert data["status"] == "pending"  # authenticated mail: acted on at once, the operator confirms the guardian
    text = body_of(sent_mail()[0])
    assert phrase in text and result.request_id in text and "verify?token=" not in text
    code, listed = cli(container, "list", "--json")
    assert code == 0
    (row,) = [r for r in json.loads(listed) if r["request_id"] == result.request_id]
    assert row["type"] == "deletion" and row["days_left"] <= 3


def test_a_childs_message_that_fails_authentication_needs_the_link_first(container: Any) -> None:
    from chalicelib.services.privacy_requests import verify_request

    seed_subject(container, PARENT, customer_id="63")
    body = "My son created an account on your shop. Please delete his account."
    result = deliver(container, raw_mail(PARENT, "Child", body), "child0000003",
                     verdicts={"spf": "FAIL", "dkim": "FAIL", "dmarc": "FAIL"})
    (request,) = requests_of(container, PARENT)
    assert (request["data"]["status"], request["data"]["child"]) == ("unverified", True)
    text = body_of(sent_mail()[0])
    token = re.search(r"verify\?token=([\w-]+)", text).group(1)  # type: ignore[union-attr]
    assert [r for r in json.loads(cli(container, "list", "--json")[1]) if r["request_id"] == result.request_id] == []
    verify_request(container, token=token, now=container.now())
    assert [r["type"] for r in json.loads(cli(container, "list", "--json")[1])
            if r["request_id"] == result.request_id] == ["deletion"]


@pytest.mark.parametrize(("body", "phrase"), [
    ("My daughter signed up on your shop without permission; please delete her account.",
     "e-mail address the child's account was registered with"),
    ("Mein Sohn hat bei Ihnen ein Konto. Bitte löschen Sie sein Konto.", "mit der das Konto des Kindes angelegt"),
    ("Minu tütar tegi konto. Palun kustutage tema konto.", "millega lapse konto registreeriti"),
])
def test_a_childs_message_from_an_address_with_nothing_on_file_asks_for_the_account(container: Any, body: str,
                                                                                   phrase: str) -> None:
    result = deliver(container, raw_mail("unknown.parent@example.org", "Child", body), "child0000002")
    assert (result.outcome, result.kind, result.request_id) == ("answered", "child", None)
    assert requests_of(container, "unknown.parent@example.org") == []
    assert phrase in body_of(sent_mail()[0])


# -- mail for a person ----------------------------------------------------------------------------------------------
def test_mail_for_a_person_is_queued_listed_shown_and_answered_in_its_thread(container: Any, clock: Any,
                                                                             table_items: Any) -> None:
    result = deliver(container, "other-question.eml", "person000001")
    assert (result.kind, result.request_id) == ("other", None)
    help_text = body_of(sent_mail()[0])
    assert "A member of our privacy team will read your message and answer you personally by 23 December 2026" \
        in help_text
    (stored,) = [i for i in table_items() if str(i["pk"]).startswith("MAILQ#")]
    dumped = json.dumps(stored, default=str)
    for personal in ("lena", "Virtanen", "Helsinki", "358"):
        assert personal not in dumped  # the entry is not personal; the message stays sealed correspondence
    assert stored["data"]["due_at"] == RECEIVED + 30 * DAY

    code, listed = cli(container, "mail", "list", "--json")
    (row,) = json.loads(listed)
    assert code == 0 and (row["id"], row["kind"], row["overdue"]) == ("person000001", "other", False)
    code, table = cli(container, "mail", "list")
    assert code == 0 and "person000001" in table and "lena" not in table
    code, shown = cli(container, "mail", "show", "person000001")
    assert code == 0 and "Lena Virtanen <lena.virtanen@example.fi>" in shown and "Mannerheimintie 1" in shown

    clock.advance(2 * DAY)
    code, out = cli(container, "mail", "answer", "person000001", "--text", "Yes, we ship to Finland.")
    assert (code, out.strip()) == (0, "person000001 answered")
    answer = sent_mail()[-1]
    assert answer["To"] == "lena.virtanen@example.fi" and answer["Subject"] == "Re: Shipping to Finland?"
    assert answer["In-Reply-To"] == "<other-1@example.fi>" and "<other-1@example.fi>" in answer["References"]
    assert body_of(answer).startswith("Yes, we ship to Finland.") and answer["Auto-Submitted"] is None
    entry = container.mail_store.queue_entry("person000001", now=container.now())
    assert (entry.status, entry.answered_by, entry.answered_at) == ("answered", "operator:dpo", container.now())
    assert container.mail_store.queue(now=container.now()) == []
    code, out = cli(container, "mail", "answer", "person000001", "--text", "again")
    assert code == 1 and "already answered" in out
    subject = container.subject_for_email("lena.virtanen@example.fi")
    kinds = [c.data.get("reply_kind") for c in container.mail_store.correspondence(subject, now=container.now())]
    assert "operator_answer" in kinds


def test_mail_answer_reads_the_text_from_a_file_and_refuses_bad_input(container: Any, tmp_path: Any) -> None:
    deliver(container, "other-question.eml", "person000002")
    assert cli(container, "mail", "answer", "person000002")[0] == 2  # neither --text nor --file
    assert cli(container, "mail", "answer", "nope", "--text", "x")[0] == 1
    assert cli(container, "mail", "show", "nope")[0] == 1
    assert cli(container, "mail", "answer", "person000002", "--text", "   ")[0] == 1
    assert len(sent_mail()) == 1
    path = tmp_path / "answer.txt"
    path.write_text("Grüße aus dem Datenschutzteam.\n", encoding="utf-8")
    assert cli(container, "mail", "answer", "person000002", "--file", str(path))[0] == 0
    assert "Grüße aus dem Datenschutzteam." in body_of(sent_mail()[-1])


def test_the_digest_lists_mail_for_a_person_when_near_due_or_overdue(container: Any, clock: Any) -> None:
    from chalicelib.services.privacy_requests import run_scheduled_request_work

    deliver(container, "other-question.eml", "digest000001")
    before = len(sent_mail())
    assert run_scheduled_request_work(container, now=container.now(), dry_run=False)["digest"] == 0  # not yet due
    clock.advance(28 * DAY)
    assert run_scheduled_request_work(container, now=container.now(), dry_run=False)["digest"] == 1
    digest = sent_mail()[before]
    assert digest["To"] == container.settings.operator_email
    assert "mail for a person: 1 (0 overdue)" in digest["Subject"]
    text = body_of(digest)
    assert "digest000001" in text and "mail answer" in text and "lena" not in text.lower()


def test_nothing_personal_from_the_new_paths_reaches_the_logs(container: Any, log_output: Any) -> None:
    seed_subject(container, PARENT, customer_id="62")
    messages = [
        (raw_mail(PARENT, "Konto meines Sohnes", "Mein Sohn Maximilian hat ein Konto. Bitte löschen Sie sein Konto.",
                  "<c1@example.de>", name="Erika Elternteil"), "logs00000001"),
        (raw_mail("nobody.parent@example.org", "Child", "My daughter Sophie made an account, please delete it.",
                  "<c2@example.org>", name="Paul Parent"), "logs00000002"),
        (raw_mail("unsure.sender@example.org", "Data", "Restrict my data or delete it, Flat 3 Baker Street.",
                  "<c3@example.org>", name="Una Unsure"), "logs00000003"),
        (raw_mail("unsure.sender@example.org", "Data", "Restrict my data or delete it, Flat 3 Baker Street.",
                  "<c3@example.org>", name="Una Unsure"), "logs00000004"),  # the MTA's retry
    ]
    for raw, ses_id in messages:
        deliver(container, raw, ses_id)
    deliver(container, "other-question.eml", "logs00000005")
    assert cli(container, "mail", "show", "logs00000005")[0] == 0
    assert cli(container, "mail", "answer", "logs00000005", "--text", "Dear Lena, yes.")[0] == 0
    logs = log_output()
    assert "mail ingested" in logs and "duplicate_message" in logs and "queued mail answered" in logs
    for value in (PARENT, "Erika", "Maximilian", "nobody.parent", "Sophie", "Paul Parent", "unsure.sender",
                  "Una Unsure", "Baker Street", "lena.virtanen", "Virtanen", "Mannerheimintie", "Dear Lena",
                  "c3@example.org", "other-1@example.fi"):
        assert value not in logs, value


def test_an_answer_that_could_not_be_sent_leaves_the_entry_open_to_answer_again(container: Any) -> None:
    from chalicelib import aws
    from tests.fakes.faults import refusing

    deliver(container, "other-question.eml", "person000003")
    with refusing(aws.ses(), "SendRawEmail"):
        code, out = cli(container, "mail", "answer", "person000003", "--text", "Yes.")
    assert code == 1 and "mail not sent" in out
    entry = container.mail_store.queue_entry("person000003", now=container.now())
    assert entry.status == "open" and entry.answered_at is None
    assert cli(container, "mail", "answer", "person000003", "--text", "Yes.")[0] == 0
    assert [body_of(m).startswith("Yes.") for m in sent_mail()] == [False, True]
