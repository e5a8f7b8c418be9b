"""One contract, two implementations of the marketing preference repository: the in-memory twin and DynamoDB."""

from collections.abc import Iterator
from typing import Any

import pytest

from chalicelib.domain.retention import DAY
from chalicelib.errors import ConflictError, SubjectSuppressedError
from chalicelib.storage.marketing import DynamoMarketingRepository, MarketingChoice, MarketingRepository
from tests.conftest import NOW
from tests.fakes.marketing import InMemoryMarketingRepository
from tests.helpers import retention

SUBJECT = "a" * 64


class Harness:
    def __init__(self, repo: MarketingRepository, suppress: Any) -> None:
        self.repo = repo
        self.suppress = suppress


@pytest.fixture(params=["memory", "dynamodb"])
def harness(request: pytest.FixtureRequest) -> Iterator[Harness]:
    if request.param == "memory":
        repo = InMemoryMarketingRepository(retention())
        yield Harness(repo, repo.suppressed.add)
    else:
        container: Any = request.getfixturevalue("container")
        repo_d = DynamoMarketingRepository(container.table, container.policy, container.sealed_writes)

        def suppress(subject: str) -> None:
            container.subject_keys.suppress(subject, at=NOW, expires_at=NOW + 3650 * DAY)

        yield Harness(repo_d, suppress)


def choice(email_marketing: bool, at: int = NOW, event_id: str = "e1", **extra: Any) -> MarketingChoice:
    return MarketingChoice(SUBJECT, email_marketing, extra.pop("source", "account"), at, event_id, **extra)


def test_nothing_recorded_is_none(harness: Harness) -> None:
    assert harness.repo.current(SUBJECT, now=NOW) is None
    assert harness.repo.history(SUBJECT, now=NOW) == []


def test_choice_becomes_current_and_is_kept_with_its_proof(harness: Harness) -> None:
    proof = {"ip_prefix": "203.0.113.0", "user_agent_family": "Firefox"}
    harness.repo.record(choice(True, customer_id="57", proof=proof))
    state = harness.repo.current(SUBJECT, now=NOW)
    assert state is not None and state.email_marketing is True and state.source == "account"
    [event] = harness.repo.history(SUBJECT, now=NOW)
    assert event.proof == proof and event.customer_id == "57" and event.email_marketing is True


def test_every_choice_is_appended_and_the_last_one_is_current(harness: Harness) -> None:
    harness.repo.record(choice(True, NOW, "e1"))
    harness.repo.record(choice(False, NOW + 10, "e2", source="privacy_request"))
    harness.repo.record(choice(True, NOW + 20, "e3"))
    assert [e.event_id for e in harness.repo.history(SUBJECT, now=NOW + 30)] == ["e1", "e2", "e3"]
    state = harness.repo.current(SUBJECT, now=NOW + 30)
    assert state is not None and (state.email_marketing, state.event_id) == (True, "e3")


def test_a_late_older_event_is_appended_but_does_not_replace_a_newer_choice(harness: Harness) -> None:
    harness.repo.record(choice(False, NOW + 100, "newer"))
    harness.repo.record(choice(True, NOW, "older"))
    assert {e.event_id for e in harness.repo.history(SUBJECT, now=NOW + 200)} == {"newer", "older"}
    state = harness.repo.current(SUBJECT, now=NOW + 200)
    assert state is not None and (state.email_marketing, state.event_id) == (False, "newer")


def test_duplicate_event_is_refused(harness: Harness) -> None:
    harness.repo.record(choice(True, NOW, "same"))
    with pytest.raises(ConflictError):
        harness.repo.record(choice(True, NOW, "same"))
    assert len(harness.repo.history(SUBJECT, now=NOW)) == 1


def test_an_erased_subject_is_not_resurrected(harness: Harness) -> None:
    harness.suppress(SUBJECT)
    with pytest.raises(SubjectSuppressedError):
        harness.repo.record(choice(False))
    assert harness.repo.current(SUBJECT, now=NOW) is None
    assert harness.repo.history(SUBJECT, now=NOW) == []


def test_choices_expire_after_the_retention_period(harness: Harness) -> None:
    harness.repo.record(choice(False))
    later = NOW + 1095 * DAY
    assert harness.repo.current(SUBJECT, now=later - 1) is not None
    assert harness.repo.current(SUBJECT, now=later) is None
    assert harness.repo.history(SUBJECT, now=later) == []
