"""One contract for the request repository: the in-memory twin and DynamoDB (moto)."""

from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest

from chalicelib.crypto.keys import KeyRecord
from chalicelib.domain import privacy_requests as rules
from chalicelib.domain.privacy_requests import Channel, Regime, RequestType, Status
from chalicelib.storage.privacy_requests import (
    DuplicateSourceError,
    DynamoRequestRepository,
    InvalidLinkError,
    RequestRepository,
    StaleRequestError,
    Token,
    WorkItem,
)
from tests.fakes.privacy_requests import InMemoryRequestRepository
from tests.helpers import retention

NOW = 1_795_435_200
DAY = 86_400


@pytest.fixture(params=["memory", "dynamodb"])
def repo(request: pytest.FixtureRequest) -> Iterator[RequestRepository]:
    if request.param == "memory":
        yield InMemoryRequestRepository(retention())
    else:
        container: Any = request.getfixturevalue("container")
        for subject in ("s1", "s2"):  # requests carry sealed fields: their subjects have keys
            container.subject_keys.add_if_absent(KeyRecord(subject, b"wrapped", NOW, NOW + 3650 * DAY))
        yield DynamoRequestRepository(container.table, container.policy, container.sealed_writes, "test-source-key")


def new(request_id: str = "r1", subject: str = "s1", *, received: int = NOW, verify: bool = False,
        regime: Regime = Regime.GDPR, source_ref: str | None = None,
        channel: Channel = Channel.WEB) -> rules.PrivacyRequest:
    return rules.new_request(request_id=request_id, subject=subject, request_type=RequestType.ACCESS,
                             channel=channel, regime=regime, received_at=received, needs_verification=verify,
                             sealed={"email": "v1.sealed"}, source_ref=source_ref)


def add(repo: RequestRepository, request: rules.PrivacyRequest, **kwargs: Any) -> rules.PrivacyRequest:
    repo.add(request, rules.created_entry(request, actor="test"), **kwargs)
    return request


def test_added_request_reads_back_with_its_first_audit_entry(repo: RequestRepository) -> None:
    stored = add(repo, new())
    assert repo.get("r1", now=NOW) == stored
    assert [e.to_status for e in repo.audit("r1", now=NOW)] == ["pending"]
    assert repo.get("missing", now=NOW) is None


def test_adding_the_same_id_twice_is_refused(repo: RequestRepository) -> None:
    add(repo, new())
    with pytest.raises(StaleRequestError):
        add(repo, new())


def test_save_bumps_version_and_appends_audit(repo: RequestRepository) -> None:
    before = add(repo, new())
    after, entry = rules.transition(before, Status.IN_PROGRESS, at=NOW + 5, actor="system", reason="go")
    saved = repo.save(before, after, entry, now=NOW + 5)
    assert saved.version == before.version + 1
    assert repo.get("r1", now=NOW + 5) == saved
    assert [(e.from_status, e.to_status) for e in repo.audit("r1", now=NOW + 5)] == [
        (None, "pending"), ("pending", "in_progress")]


def test_a_stale_save_is_refused_and_changes_nothing(repo: RequestRepository) -> None:
    before = add(repo, new())
    first, entry = rules.transition(before, Status.IN_PROGRESS, at=NOW + 1, actor="a", reason="r")
    repo.save(before, first, entry, now=NOW + 1)
    second, entry2 = rules.transition(before, Status.CANCELLED, at=NOW + 2, actor="b", reason="r")
    with pytest.raises(StaleRequestError):
        repo.save(before, second, entry2, now=NOW + 2)
    current = repo.get("r1", now=NOW + 2)
    assert current is not None and current.status is Status.IN_PROGRESS
    assert len(repo.audit("r1", now=NOW + 2)) == 2


def test_for_subject_lists_only_that_subjects_requests_newest_first(repo: RequestRepository) -> None:
    add(repo, new("a", "s1", received=NOW))
    add(repo, new("b", "s1", received=NOW + 10))
    add(repo, new("c", "s2", received=NOW + 5))
    assert [r.request_id for r in repo.for_subject("s1", now=NOW + 20)] == ["b", "a"]
    assert [r.request_id for r in repo.for_subject("s3", now=NOW + 20)] == []


def test_open_requests_by_due_date_and_closed_ones_leave(repo: RequestRepository) -> None:
    late = add(repo, new("late", regime=Regime.CCPA))  # 45 days
    add(repo, new("soon", regime=Regime.GDPR))  # a month
    add(repo, new("unverified", verify=True))
    assert [r.request_id for r in repo.open_requests(now=NOW)] == ["soon", "late"]
    assert [r.request_id for r in repo.open_requests(now=NOW, due_before=NOW + 31 * DAY)] == ["soon"]
    done, entry = rules.transition(late, Status.COMPLETED, at=NOW + 1, actor="a", reason="r")
    repo.save(late, done, entry, now=NOW + 1)
    assert [r.request_id for r in repo.open_requests(now=NOW + 1)] == ["soon"]


def test_extension_reorders_the_open_list(repo: RequestRepository) -> None:
    first = add(repo, new("first", received=NOW))
    add(repo, new("second", received=NOW + DAY))
    extended, entry = rules.extend(first, reason="complex", at=NOW + 2, actor="op")
    repo.save(first, extended, entry, now=NOW + 2)
    assert [r.request_id for r in repo.open_requests(now=NOW + 2)] == ["second", "first"]


def test_work_queue_is_due_by_time_and_removed_when_done(repo: RequestRepository) -> None:
    request = add(repo, new(), work=[WorkItem("deletion", "r1", NOW + 100)])
    assert repo.due_work("deletion", until=NOW + 99, now=NOW) == []
    assert repo.due_work("deletion", until=NOW + 100, now=NOW) == [WorkItem("deletion", "r1", NOW + 100)]
    after, entry = rules.transition(request, Status.IN_PROGRESS, at=NOW + 100, actor="a", reason="r")
    repo.save(request, after, entry, now=NOW + 100, done_work=["deletion"],
              add_work=[WorkItem("fulfil", "r1", NOW - 7)])
    assert repo.due_work("deletion", until=NOW + 200, now=NOW) == []
    assert repo.due_work("fulfil", until=NOW, now=NOW) == [WorkItem("fulfil", "r1", NOW - 7)]
    repo.drop_work("r1", "fulfil")
    assert repo.due_work("fulfil", until=NOW, now=NOW) == []


def test_token_is_single_use(repo: RequestRepository) -> None:
    token = Token("h1", "VERIFY", "r1", NOW + DAY)
    request = add(repo, new(verify=True), tokens=[token])
    assert repo.token("h1", "VERIFY", now=NOW) == token
    after, entry = rules.transition(request, Status.PENDING, at=NOW + 1, actor="s", reason="verified")
    saved = repo.save(request, after, entry, now=NOW + 1, consume=token)
    assert repo.token("h1", "VERIFY", now=NOW + 1) is None
    again, entry2 = rules.transition(saved, Status.IN_PROGRESS, at=NOW + 2, actor="s", reason="r")
    with pytest.raises(InvalidLinkError):
        repo.save(saved, again, entry2, now=NOW + 2, consume=token)


def test_expired_token_is_refused(repo: RequestRepository) -> None:
    token = Token("h1", "VERIFY", "r1", NOW + DAY)
    request = add(repo, new(verify=True), tokens=[token])
    assert repo.token("h1", "VERIFY", now=NOW + DAY) is None
    after, entry = rules.transition(request, Status.PENDING, at=NOW + DAY, actor="s", reason="late")
    with pytest.raises(InvalidLinkError):
        repo.save(request, after, entry, now=NOW + DAY, consume=token)
    current = repo.get("r1", now=NOW + DAY)
    assert current is not None and current.status is Status.UNVERIFIED


def test_request_retention_hides_it_after_three_years(repo: RequestRepository) -> None:
    add(repo, new())
    assert repo.get("r1", now=NOW + 1094 * DAY) is not None
    assert repo.get("r1", now=NOW + 1095 * DAY) is None


def test_sealed_email_is_kept_opaque(repo: RequestRepository) -> None:
    add(repo, replace(new(), sealed={"email": "v1.opaque"}))
    got = repo.get("r1", now=NOW)
    assert got is not None and got.sealed == {"email": "v1.opaque"}


# -- deduplication on the source reference ---------------------------------------------------------------------------
def test_a_second_request_from_the_same_source_is_refused_atomically_naming_the_first(
        repo: RequestRepository) -> None:
    first = add(repo, new("first", source_ref="<m1@example.com>"), work=[WorkItem("fulfil", "first", NOW)])
    with pytest.raises(DuplicateSourceError) as raised:
        add(repo, new("second", "s2", received=NOW + 5, source_ref="<m1@example.com>"),
            tokens=[Token("h2", "VERIFY", "second", NOW + DAY)], work=[WorkItem("fulfil", "second", NOW + 5)])
    assert raised.value.request_id == "first"
    assert isinstance(raised.value, StaleRequestError)  # callers that handle a redelivery handle this too
    assert repo.get("second", now=NOW + 5) is None and repo.audit("second", now=NOW + 5) == []
    assert repo.token("h2", "VERIFY", now=NOW + 5) is None
    assert repo.due_work("fulfil", until=NOW + 10, now=NOW + 5) == [WorkItem("fulfil", "first", NOW)]
    assert [r.request_id for r in repo.for_subject("s2", now=NOW + 5)] == []
    assert repo.get("first", now=NOW + 5) == first


def test_sources_are_told_apart_by_reference_and_channel(repo: RequestRepository) -> None:
    add(repo, new("a", source_ref="REF-1", channel=Channel.LETTER))
    add(repo, new("b", source_ref="REF-2", channel=Channel.LETTER))
    add(repo, new("c", source_ref="REF-1", channel=Channel.PHONE))  # another channel's numbering
    add(repo, new("d"))
    add(repo, new("e"))  # no source reference: never a duplicate
    assert [r.request_id for r in repo.for_subject("s1", now=NOW)] == ["e", "d", "c", "b", "a"]
    with pytest.raises(DuplicateSourceError) as raised:
        add(repo, new("f", source_ref="REF-2", channel=Channel.LETTER))
    assert raised.value.request_id == "b"


def test_the_same_id_and_source_again_is_a_duplicate_of_itself(repo: RequestRepository) -> None:
    add(repo, new("r1", source_ref="queue-message-1"))
    with pytest.raises(DuplicateSourceError) as raised:
        add(repo, new("r1", source_ref="queue-message-1"))
    assert raised.value.request_id == "r1"


def test_a_source_is_free_again_once_its_request_expired(repo: RequestRepository) -> None:
    add(repo, new("old", source_ref="REF-9"))
    later = NOW + 3 * 366 * DAY  # past the privacy_request period: the request and its marker are gone
    assert repo.get("old", now=later) is None
    add(repo, new("new", source_ref="REF-9", received=later))
    assert repo.get("new", now=later) is not None
