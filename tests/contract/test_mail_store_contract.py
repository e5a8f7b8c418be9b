"""One contract, two implementations of MailStore: the in-memory twin and DynamoDB (moto)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from chalicelib.errors import SubjectSuppressedError
from chalicelib.storage.mail import Correspondence, DynamoMailStore, MailStore
from tests.fakes.mail import InMemoryMailStore

NOW = 1_795_435_200


@pytest.fixture(params=["memory", "dynamodb"])
def store(request: pytest.FixtureRequest) -> Iterator[MailStore]:
    if request.param == "memory":
        yield InMemoryMailStore()
    else:
        container: Any = request.getfixturevalue("container")
        yield DynamoMailStore(container.table, container.policy, container.subject_keys)


def suppress(store: MailStore, subject: str, request: pytest.FixtureRequest) -> None:
    if isinstance(store, InMemoryMailStore):
        store.suppressed.add(subject)
    else:
        request.getfixturevalue("container").subject_keys.suppress(subject, at=NOW, expires_at=NOW + 10**6)


def test_first_claim_wins(store: MailStore) -> None:
    assert store.claim("m1", "a", now=NOW, lease_seconds=300).claimed
    second = store.claim("m1", "b", now=NOW + 1, lease_seconds=300)
    assert not second.claimed and second.state == "processing"


def test_done_is_never_claimed_again(store: MailStore) -> None:
    store.claim("m1", "a", now=NOW, lease_seconds=300)
    assert store.advance("m1", "a", from_state="processing", to_state="done", now=NOW, fields={"outcome": "loop"})
    later = store.claim("m1", "b", now=NOW + 10_000, lease_seconds=300)
    assert not later.claimed and later.state == "done" and later.outcome == "loop"


def test_an_expired_claim_is_taken_over_and_resumed_where_it_stopped(store: MailStore) -> None:
    store.claim("m1", "a", now=NOW, lease_seconds=300)
    store.advance("m1", "a", from_state="processing", to_state="replying", now=NOW,
                  fields={"reply": "v1.sealed", "request_id": "r1"})
    assert not store.claim("m1", "b", now=NOW + 299, lease_seconds=300).claimed
    taken = store.claim("m1", "b", now=NOW + 301, lease_seconds=300)
    assert taken.claimed and taken.state == "replying"
    assert taken.fields["reply"] == "v1.sealed" and taken.fields["request_id"] == "r1"
    assert not store.advance("m1", "a", from_state="replying", to_state="done", now=NOW + 302)  # not a's anymore
    assert store.advance("m1", "b", from_state="replying", to_state="done", now=NOW + 302, remove=("reply",))
    view = store.receipt("m1", now=NOW + 303)
    assert view is not None and view.state == "done" and "reply" not in view.fields


def test_release_lets_a_retry_claim_at_once(store: MailStore) -> None:
    store.claim("m1", "a", now=NOW, lease_seconds=300)
    store.release("m1", "a")
    assert store.claim("m1", "b", now=NOW + 1, lease_seconds=300).claimed


def test_advance_needs_the_expected_state(store: MailStore) -> None:
    store.claim("m1", "a", now=NOW, lease_seconds=300)
    assert not store.advance("m1", "a", from_state="replying", to_state="done", now=NOW)
    assert store.receipt("m1", now=NOW).state == "processing"  # type: ignore[union-attr]


def test_quota_per_sender_per_day(store: MailStore) -> None:
    assert [store.take_quota("s", now=NOW, limit=2) for _ in range(3)] == [True, True, False]
    assert store.take_quota("other", now=NOW, limit=2)
    assert store.take_quota("s", now=NOW + 86_400, limit=2)


def test_correspondence_is_kept_once(store: MailStore) -> None:
    record = Correspondence("s", "m1", NOW, "in", {"message_id": "m1", "direction": "in"}, {"body": "v1.x"})
    store.keep(record)
    store.keep(record)
    kept = store.correspondence("s", now=NOW)
    assert len(kept) == 1 and kept[0].sealed == {"body": "v1.x"}
    assert store.correspondence("other", now=NOW) == []


def test_correspondence_of_an_erased_subject_is_refused(store: MailStore, request: pytest.FixtureRequest) -> None:
    suppress(store, "s", request)
    with pytest.raises(SubjectSuppressedError):
        store.keep(Correspondence("s", "m1", NOW, "in", {"message_id": "m1", "direction": "in"}, {}))
    assert store.correspondence("s", now=NOW) == []


def test_the_first_ses_message_id_answers_a_message_and_keeps_answering_it(store: MailStore) -> None:
    assert store.claim_message("k1", "ses-a", now=NOW) == "ses-a"
    assert store.claim_message("k1", "ses-b", now=NOW + 1) == "ses-a"  # the MTA's retry: a duplicate
    assert store.claim_message("k1", "ses-a", now=NOW + 2) == "ses-a"  # the first one's own retry goes on
    assert store.claim_message("k2", "ses-b", now=NOW) == "ses-b"


def test_the_queue_lists_open_entries_by_due_date_and_closes_once(store: MailStore) -> None:
    from chalicelib.storage.mail import QueueEntry

    late = QueueEntry("m-late", "s1", NOW, NOW + 30 * 86_400, "other", "de")
    soon = QueueEntry("m-soon", "s2", NOW - 25 * 86_400, NOW + 5 * 86_400, "unclear", "en", reason="conflicting")
    for entry in (late, soon, late):
        store.enqueue(entry)
    assert [e.entry_id for e in store.queue(now=NOW)] == ["m-soon", "m-late"]
    assert [e.entry_id for e in store.queue(now=NOW, due_before=NOW + 7 * 86_400)] == ["m-soon"]
    assert store.queue_entry("m-soon", now=NOW) == soon
    assert not store.close_entry("m-soon", "t1", at=NOW + 1, by="operator:dpo", reply_message_id="x")  # unclaimed
    assert store.claim_entry("m-soon", "t1", now=NOW, lease_seconds=300)
    assert not store.claim_entry("m-soon", "t2", now=NOW + 1, lease_seconds=300)  # being answered
    store.release_entry("m-soon", "t2")  # not its claim: nothing changes
    assert not store.claim_entry("m-soon", "t2", now=NOW + 1, lease_seconds=300)
    store.release_entry("m-soon", "t1")  # the send failed: open again
    assert store.claim_entry("m-soon", "t2", now=NOW + 2, lease_seconds=300)
    assert store.claim_entry("m-soon", "t3", now=NOW + 400, lease_seconds=300)  # t2's lease ran out
    assert not store.close_entry("m-soon", "t2", at=NOW + 401, by="operator:x", reply_message_id=None)
    assert store.close_entry("m-soon", "t3", at=NOW + 1, by="operator:dpo", reply_message_id="ses-out")
    assert not store.claim_entry("m-soon", "t4", now=NOW + 10**6, lease_seconds=300)  # answered: final
    assert not store.claim_entry("nope", "t4", now=NOW, lease_seconds=300)
    closed = store.queue_entry("m-soon", now=NOW)
    assert closed is not None and (closed.status, closed.answered_by, closed.answered_at) == (
        "answered", "operator:dpo", NOW + 1)
    assert [e.entry_id for e in store.queue(now=NOW)] == ["m-late"]
