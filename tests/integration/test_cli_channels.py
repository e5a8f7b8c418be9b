"""Operator channels (issue 13) through the CLI against the emulated table: requests by letter, telephone, in
person and from authorised agents; deduplication on the letter's reference; a child's request waits for the
guardian's confirmation before the child's data is erased."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from typing import Any

import pytest

from chalicelib.cli import main
from chalicelib.domain import privacy_requests as rules
from chalicelib.domain.privacy_requests import Regime
from chalicelib.domain.retention import DAY
from chalicelib.policy import ROOT, parse_policy
from tests.conftest import NOW
from tests.fakes.outgoing import FakeMailer
from tests.fakes.subjects import EMAIL, PERSONAL, seed_subject

ADDRESS = "maria.tamm@example.ee"
EVIDENCE = "Signed letter; name, postal address and order 1234 match the account (Maria Tamm)"
TODAY = datetime.fromtimestamp(NOW, tz=UTC).date().isoformat()  # 2026-11-23
LAST_WEEK = "2026-11-16"


@pytest.fixture(autouse=True)
def terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "100")


@pytest.fixture
def mailer(container: Any) -> FakeMailer:
    fake = FakeMailer()
    container.override(mailer=fake)
    return fake


def every_channel_policy() -> Any:
    """jetcards' policy accepting every operator channel, and not offering restriction (a type not offered)."""
    text = (ROOT / "policies" / "jetcards.toml").read_text(encoding="utf-8")
    text = text.replace('channels = ["account", "web", "email", "letter"]',
                        'channels = ["account", "web", "email", "letter", "phone", "in_person", "agent"]', 1)
    text = text.replace('"portability", "restriction", "objection"', '"portability", "objection"', 1)
    return parse_policy(text, "<every channel>")


@pytest.fixture
def every_channel(container: Any) -> Any:
    container.override(store_policy=every_channel_policy())
    return container


def run(container: Any, *argv: str) -> tuple[int, str]:
    out = io.StringIO()
    code = main(["--operator", "dpo", *argv], container=container, out=out)
    return code, out.getvalue()


def submit(container: Any, *extra: str, channel: str = "letter", kind: str = "correction",
           address: str = ADDRESS, evidence: str = EVIDENCE) -> tuple[int, str]:
    return run(container, "submit", "--channel", channel, "--type", kind, "--email", address,
               "--evidence", evidence, *extra)


def assert_erased(subject: str, items: list[dict[str, Any]]) -> None:
    """As the erasure tests check it: nothing personal in plain text, only the requests left, key shredded,
    suppressed."""
    dump = json.dumps(items, default=repr, ensure_ascii=False)
    assert not [value for value in PERSONAL[:-1] if value in dump]
    assert {i["kind"] for i in items if i.get("subject_pk") == f"SUBJ#{subject}"} == {"request", "request_audit"}
    assert not any(i["sk"] == "KEY" and i["pk"] == f"SUBJ#{subject}" for i in items)
    assert any(i["sk"] == "SUPPRESSED" and i["pk"] == f"SUBJ#{subject}" for i in items)


def request_id_of(out: str) -> str:
    return out.split()[0]


def stored_requests(table_items: Any) -> list[dict[str, Any]]:
    return [item for item in table_items() if item["pk"].startswith("REQ#") and item["sk"] == "REQUEST"]


# -- letters ---------------------------------------------------------------------------------------------------------
def test_a_letter_received_last_week_is_recorded_verified_and_due_from_then(container: Any, mailer: FakeMailer,
                                                                           table_items: Any) -> None:
    code, out = submit(container, "--received-at", LAST_WEEK, "--source-ref", "LTR-2026-0042")
    assert code == 0, out
    received = NOW - NOW % DAY - 7 * DAY
    due = rules.due_at(Regime.STRICTEST, received)  # no billing address known: the strictest
    request_id = request_id_of(out)
    assert f"due {datetime.fromtimestamp(due, tz=UTC).strftime('%Y-%m-%dT%H:%M:%SZ')}" in out
    assert "confirmation sent" in out
    (item,) = stored_requests(table_items)
    data = item["data"]
    assert (data["channel"], data["type"], data["received_at"], data["due_at"]) == (
        "letter", "correction", received, due)
    assert data["verified_at"] == received and data["status"] == "in_progress"  # handed to the operator
    assert set(item["sealed"]) == {"email", "evidence"}
    assert "Maria" not in json.dumps(table_items(), default=repr)  # the note is sealed, like the address
    (mail,) = mailer.to(ADDRESS)
    assert mail.kind == "confirmation" and mail.subject_line == "We received your privacy request"
    assert "the correction of your data by letter on 16 November 2026" in mail.text
    assert request_id in mail.text and "at the latest" in mail.text and "GDPR Art. 12(3)" in mail.text
    _, shown = run(container, "show", request_id)
    assert "letter" in shown and EVIDENCE in shown and "operator:dpo" in shown


def test_a_failed_confirmation_is_reported_and_the_request_stands(container: Any, table_items: Any) -> None:
    container.override(mailer=FakeMailer(refuse=1))
    code, out = submit(container)
    assert code == 0 and "confirmation not sent (MailDeliveryError): confirm to the person another way" in out
    assert len(stored_requests(table_items)) == 1


def test_received_today_counts_from_now(container: Any, mailer: FakeMailer, table_items: Any) -> None:
    code, _ = submit(container, "--received-at", TODAY)
    assert code == 0
    (item,) = stored_requests(table_items)
    assert item["data"]["received_at"] == NOW


def test_the_same_letter_reference_twice_records_and_mails_once(container: Any, mailer: FakeMailer,
                                                                 table_items: Any) -> None:
    code, first = submit(container, "--source-ref", "LTR-7")
    before = table_items()
    code2, second = submit(container, "--source-ref", "LTR-7", address="someone.else@example.com")
    assert code == code2 == 0
    assert request_id_of(second) == request_id_of(first) and "already recorded" in second
    assert table_items() == before and len(mailer.sent) == 1


def test_show_json_has_the_evidence_and_no_one_else_sees_it(container: Any, mailer: FakeMailer) -> None:
    request_id = request_id_of(submit(container)[1])
    code, out = run(container, "show", request_id, "--json")
    request = json.loads(out)["request"]
    assert code == 0 and request["evidence"] == EVIDENCE and request["channel"] == "letter"
    from chalicelib.services import privacy_requests as service

    public = service.describe(service.get_request(container, request_id, now=NOW), now=NOW)
    assert "evidence" not in public  # the account's and the export's view of a request carry no note


# -- other channels and agents ------------------------------------------------------------------------------------
@pytest.mark.parametrize("channel", ["phone", "in_person", "agent"])
def test_a_channel_the_policy_does_not_accept_is_refused_with_exit_2(container: Any, mailer: FakeMailer,
                                                                    table_items: Any, channel: str) -> None:
    before = table_items()
    code, out = submit(container, "--agent-name", "Agent", "--authorisation", "signed form 12", channel=channel) \
        if channel == "agent" else submit(container, channel=channel)
    assert code == 2 and f"does not accept requests by {channel}" in out and "rights.channels" in out
    assert table_items() == before and mailer.sent == []


@pytest.mark.parametrize("channel", ["phone", "in_person"])
def test_phone_and_in_person_where_the_policy_accepts_them(every_channel: Any, mailer: FakeMailer,
                                                          table_items: Any, channel: str) -> None:
    code, out = submit(every_channel, channel=channel, kind="deletion")
    assert code == 0 and " scheduled" in out
    (item,) = stored_requests(table_items)
    assert item["data"]["channel"] == channel
    (mail,) = mailer.sent
    assert {"phone": "by telephone", "in_person": "in person"}[channel] in mail.text


def test_an_agent_request_needs_the_authorisation_which_is_sealed(every_channel: Any, mailer: FakeMailer,
                                                                 table_items: Any) -> None:
    before = table_items()
    code, out = submit(every_channel, "--agent-name", "Privacy Helpers LLC", channel="agent", kind="access")
    assert code == 2 and "authorisation is required" in out
    assert table_items() == before and mailer.sent == []
    code, out = submit(every_channel, "--agent-name", "Privacy Helpers LLC", "--authorisation",
                       "signed permission form PH-991, dated 2026-11-20", channel="agent", kind="access")
    assert code == 0, out
    request_id = request_id_of(out)
    (item,) = stored_requests(table_items)
    assert set(item["sealed"]) == {"email", "evidence", "agent"}
    assert "Privacy Helpers" not in json.dumps(table_items(), default=repr)
    _, shown = run(every_channel, "show", request_id)
    assert "Privacy Helpers LLC" in shown and "PH-991" in shown and "agent" in shown
    assert any("through your authorised agent" in mail.text for mail in mailer.to(ADDRESS))


# -- bad input: a clear message, nothing stored, nothing sent -------------------------------------------------------
BAD = {
    "unknown type": (["--type", "nope"], "type must be one of"),
    "type not offered": (["--type", "restriction"], "does not offer restriction"),
    "not an address": (["--email", "not-an-address"], "email"),
    "empty evidence": (["--evidence", "  "], "evidence is required"),
    "evidence too long": (["--evidence", "x" * 1001], "at most 1000"),
    "control characters": (["--evidence", "seen\x07"], "control"),
    "future date": (["--received-at", "2026-11-24"], "in the future"),
    "date too old": (["--received-at", "2025-11-01"], "more than 365 days"),
    "not a date": (["--received-at", "23.11.2026"], "--received-at"),
    "agent fields on a letter": (["--agent-name", "X"], "channel agent only"),
    "empty source reference": (["--source-ref", " "], "source_ref is empty"),
    "unknown channel": (["--channel", "fax"], "--channel"),
    "source reference too long": (["--source-ref", "R" * 201], "at most 200"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_input_is_a_usage_error_and_changes_nothing(every_channel: Any, mailer: FakeMailer, table_items: Any,
                                                        case: str) -> None:
    args, message = BAD[case]
    options = {"--channel": "letter", "--type": "correction", "--email": ADDRESS, "--evidence": EVIDENCE}
    extra: list[str] = []
    for name, value in zip(args[::2], args[1::2], strict=True):
        if name in options:
            options[name] = value
        else:
            extra += [name, value]
    before = table_items()
    code, out = run(every_channel, "submit", *[part for pair in options.items() for part in pair], *extra)
    assert code == 2 and message in out, out
    assert table_items() == before and mailer.sent == []


def test_nothing_personal_reaches_the_logs(every_channel: Any, mailer: FakeMailer, log_output: Any) -> None:
    submit(every_channel, "--agent-name", "Privacy Helpers LLC", "--authorisation", "form PH-991",
           channel="agent", kind="deletion")
    request_id = request_id_of(submit(every_channel, "--child", kind="deletion", address=EMAIL)[1])
    run(every_channel, "guardian", "confirm", request_id, "--note", "Birth certificate seen by Jaan Tamm")
    logs = log_output()
    assert "privacy request submitted" in logs
    for value in (ADDRESS, EMAIL, "Maria", "Privacy Helpers", "PH-991", "Jaan", "Birth certificate"):
        assert value not in logs, value


def test_help_says_a_note_never_a_copy_of_a_document() -> None:
    out = io.StringIO()
    assert main(["submit", "--help"], out=out) == 0
    text = " ".join(out.getvalue().split())
    assert "Never copy an ID document" in text and "--authorisation" in text and "YYYY-MM-DD" in text
    out = io.StringIO()
    assert main(["guardian", "confirm", "--help"], out=out) == 0 and "REQUEST_ID" in out.getvalue()


# -- children ----------------------------------------------------------------------------------------------------------
def test_list_marks_a_childs_request_and_puts_it_first(container: Any, mailer: FakeMailer) -> None:
    adult = request_id_of(submit(container, "--received-at", LAST_WEEK)[1])  # due earlier than the child's
    child = request_id_of(submit(container, "--child", kind="deletion", address="parent@example.com")[1])
    code, out = run(container, "list")
    lines = out.splitlines()
    assert code == 0 and lines[1].startswith(child) and "CHILD" in lines[1]
    assert lines[2].startswith(adult) and "CHILD" not in lines[2]
    rows = json.loads(run(container, "list", "--json")[1])
    assert [(row["request_id"], row["child"]) for row in rows] == [(child, True), (adult, False)]
    assert rows[0]["days_left"] == 3
    _, shown = run(container, "show", child)
    assert "child: True" in shown and "guardian_confirmed: False" in shown
    assert "acted on at once" in mailer.to("parent@example.com")[0].text


def test_a_childs_deletion_waits_for_the_guardian_then_the_data_is_erased(container: Any, mailer: FakeMailer,
                                                                         table_items: Any) -> None:
    subject = seed_subject(container)
    code, out = submit(container, "--child", kind="deletion", address=EMAIL)
    assert code == 0 and " pending" in out
    request_id = request_id_of(out)
    for _ in range(2):  # the scheduled job leaves it alone, day after day
        container.clock.advance(4 * DAY)
        code, counts = run(container, "run")
        assert code == 0 and json.loads(counts)["deletions"] == 0
        assert json.loads(run(container, "show", request_id, "--json")[1])["request"]["status"] == "pending"
    assert not any(item["sk"] == "ERASURE" for item in table_items())
    assert any(item.get("subject_pk") == f"SUBJ#{subject}" and item["kind"] == "order" for item in table_items())
    assert run(container, "guardian", "confirm", request_id, "--note", "")[0] == 2  # a note is required
    code, out = run(container, "guardian", "confirm", request_id, "--note", "called the parent back; ID seen")
    assert code == 0 and out.strip().endswith("scheduled")
    assert run(container, "guardian", "confirm", request_id, "--note", "again")[0] == 1  # already confirmed
    container.clock.advance(8 * DAY)  # past the grace period
    code, counts = run(container, "run")
    assert code == 0 and json.loads(counts)["deletions"] == 1
    shown = json.loads(run(container, "show", request_id, "--json")[1])
    assert shown["request"]["status"] == "completed" and shown["request"]["evidence"] == "(erased)"
    assert any(entry["reason"] == "parent's or guardian's authority confirmed" for entry in shown["audit"])
    assert_erased(subject, table_items())


def test_a_childs_request_can_be_denied_and_only_a_childs_needs_a_guardian(container: Any, mailer: FakeMailer,
                                                                           table_items: Any) -> None:
    child = request_id_of(submit(container, "--child", kind="deletion")[1])
    waiting = request_id_of(submit(container, "--child", kind="deletion", address="parent@example.com")[1])
    assert run(container, "deny", child, "--reason", "no authority shown")[1].strip().endswith("denied")
    adult = request_id_of(submit(container, kind="correction", address="adult@example.com")[1])
    before = table_items()
    code, out = run(container, "guardian", "confirm", adult, "--note", "n/a")
    assert code == 1 and "not about a child's data" in out
    code, out = run(container, "guardian", "confirm", child, "--note", "too late")
    assert code == 1 and "denied request can no longer be confirmed" in out
    assert run(container, "guardian", "confirm", "nope", "--note", "n/a")[0] == 1
    for note in ("", "x" * 1001, "bell\x07"):
        code, out = run(container, "guardian", "confirm", waiting, "--note", note)
        assert code == 2 and "--note" in out
    assert table_items() == before
