"""One contract, two implementations of the consent repository: the in-memory twin and DynamoDB (moto)."""

from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest

from chalicelib.domain.consent import Choices, ConsentEvent
from chalicelib.domain.retention import DAY
from chalicelib.errors import ConflictError, SubjectSuppressedError
from chalicelib.storage.consent import ConsentRepository, DynamoConsentRepository
from tests.conftest import NOW
from tests.fakes.consent import InMemoryConsentRepository
from tests.helpers import retention

SUBJECT = "b" * 64
CATEGORIES = ("preferences", "analytics", "marketing")


class Harness:
    def __init__(self, repo: ConsentRepository, suppress: Any) -> None:
        self.repo = repo
        self.suppress = suppress


@pytest.fixture(params=["memory", "dynamodb"])
def harness(request: pytest.FixtureRequest) -> Iterator[Harness]:
    if request.param == "memory":
        repo = InMemoryConsentRepository(retention())
        yield Harness(repo, repo.suppressed.add)
    else:
        container: Any = request.getfixturevalue("container")

        def suppress(subject: str) -> None:
            container.subject_keys.suppress(subject, at=NOW, expires_at=NOW + 3650 * DAY)

        yield Harness(DynamoConsentRepository(container.table, container.policy, container.sealed_writes), suppress)


def event(consent_id: str = "c1", at: int = NOW, holder: str = "V.h1", **changes: Any) -> ConsentEvent:
    base = ConsentEvent(holder=holder, consent_id=consent_id, recorded_at=at, action="custom",
                        asked=Choices(preferences=True, analytics=False, marketing=True),
                        effective=Choices(preferences=True, analytics=False, marketing=False),
                        overrides={"marketing": "gpc"}, gpc=True, policy_version="2026-05", source="banner",
                        notice_hash="sha256:0123456789", locale="et", country="EE", ip_prefix="203.0.113.0",
                        user_agent_family="Firefox")
    return replace(base, **changes)


def test_nothing_recorded(harness: Harness) -> None:
    assert harness.repo.current("V.h1", now=NOW) is None
    assert harness.repo.ledger("V.h1", now=NOW) == []
    assert harness.repo.linked_holders(SUBJECT, now=NOW) == []


def test_an_event_is_kept_whole_and_becomes_current(harness: Harness) -> None:
    recorded = event()
    harness.repo.append(recorded)
    assert harness.repo.ledger("V.h1", now=NOW) == [recorded]
    state = harness.repo.current("V.h1", now=NOW)
    assert state is not None
    effective = Choices(preferences=True, analytics=False, marketing=False)
    assert (state.consent_id, state.effective, state.overrides, state.gpc) == ("c1", effective, {"marketing": "gpc"},
                                                                               True)


def test_an_event_of_a_customer_is_kept_whole_and_links_the_holder(harness: Harness) -> None:
    recorded = event(subject=SUBJECT, customer_id="57")
    harness.repo.append(recorded)
    assert harness.repo.ledger("V.h1", now=NOW) == [recorded]
    assert harness.repo.linked_holders(SUBJECT, now=NOW) == ["V.h1"]


def test_events_append_and_the_latest_is_current(harness: Harness) -> None:
    harness.repo.append(event("c1", NOW))
    harness.repo.append(event("c2", NOW + 1, action="withdraw", asked=Choices.all(CATEGORIES, False),
                              effective=Choices.all(CATEGORIES, False), overrides={}, gpc=False))
    assert [e.consent_id for e in harness.repo.ledger("V.h1", now=NOW + 2)] == ["c1", "c2"]
    state = harness.repo.current("V.h1", now=NOW + 2)
    assert state is not None and (state.consent_id, state.action) == ("c2", "withdraw")


def test_a_late_older_event_is_appended_but_the_newer_state_stays(harness: Harness) -> None:
    harness.repo.append(event("newer", NOW + 100))
    harness.repo.append(event("older", NOW, subject=SUBJECT))
    assert [e.consent_id for e in harness.repo.ledger("V.h1", now=NOW + 200)] == ["older", "newer"]
    state = harness.repo.current("V.h1", now=NOW + 200)
    assert state is not None and state.consent_id == "newer"
    assert harness.repo.linked_holders(SUBJECT, now=NOW + 200) == ["V.h1"]


def test_holders_are_separate(harness: Harness) -> None:
    harness.repo.append(event("c1", holder="V.h1"))
    harness.repo.append(event("c2", holder="V.h2"))
    assert [e.consent_id for e in harness.repo.ledger("V.h2", now=NOW)] == ["c2"]


def test_a_duplicate_consent_id_is_refused(harness: Harness) -> None:
    harness.repo.append(event())
    with pytest.raises(ConflictError):
        harness.repo.append(event())
    assert len(harness.repo.ledger("V.h1", now=NOW)) == 1


def test_an_erased_customer_is_not_resurrected(harness: Harness) -> None:
    harness.suppress(SUBJECT)
    with pytest.raises(SubjectSuppressedError):
        harness.repo.append(event(subject=SUBJECT, customer_id="57"))
    assert harness.repo.ledger("V.h1", now=NOW) == []
    assert harness.repo.current("V.h1", now=NOW) is None


def test_retention_state_13_months_ledger_3_years(harness: Harness) -> None:
    harness.repo.append(event(subject=SUBJECT))
    assert harness.repo.current("V.h1", now=NOW + 395 * DAY - 1) is not None
    assert harness.repo.current("V.h1", now=NOW + 395 * DAY) is None
    assert len(harness.repo.ledger("V.h1", now=NOW + 1095 * DAY - 1)) == 1
    assert harness.repo.ledger("V.h1", now=NOW + 1095 * DAY) == []
    assert harness.repo.linked_holders(SUBJECT, now=NOW + 1095 * DAY) == []
