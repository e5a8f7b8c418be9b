"""One contract for everything held about a subject: the in-memory twin and DynamoDB (moto)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from chalicelib.domain.retention import Category
from chalicelib.storage.subject_data import Anonymisation, ErasureProgress, SubjectDataRepository
from chalicelib.storage.subject_items import retention_attributes, subject_link
from chalicelib.storage.table import ConditionFailed
from tests.fakes.subject_data import InMemorySubjectData
from tests.helpers import retention

NOW = 1_795_435_200
DAY = 86_400
POLICY = retention()
Put = Callable[[dict[str, Any]], None]


@pytest.fixture(params=["memory", "dynamodb"])
def repo(request: pytest.FixtureRequest) -> Iterator[tuple[SubjectDataRepository, Put]]:
    if request.param == "memory":
        twin = InMemorySubjectData()
        yield twin, twin.put
    else:
        container: Any = request.getfixturevalue("container")
        yield container.subject_data, container.table.put


def item(subject: str, kind: str, ident: str, category: Category, *, start: int = NOW - DAY,
         data: dict[str, Any] | None = None) -> dict[str, Any]:
    pk, sk = f"{kind.upper()}#{ident}", "X"
    return {"pk": pk, "sk": sk, **subject_link(subject, kind, ident), **retention_attributes(POLICY, category, start,
                                                                                           pk, sk),
            "data": data or {}, "sealed": {"p": "v1.x"}, "created_at": start, "updated_at": start}


def test_records_page_everything_of_the_subject_only(repo: Any) -> None:
    data, put = repo
    for n in range(7):
        put(item("s1", "order", f"{n:03d}", Category.ORDER))
    put(item("s2", "order", "900", Category.ORDER))
    records = list(data.records("s1", now=NOW))
    assert [r.ident for r in records] == [f"ORDER#{n:03d}" for n in range(7)]
    assert records[0].kind == "order" and records[0].category == "order" and records[0].sealed == {"p": "v1.x"}
    assert records[0].due_at == POLICY.rule(Category.ORDER).expires_at(NOW - DAY)
    assert data.categories("s1", now=NOW) == {"order": 7}
    assert data.has_more_than("s1", 6, now=NOW) and not data.has_more_than("s1", 7, now=NOW)


def test_expired_records_are_not_held(repo: Any) -> None:
    data, put = repo
    put(item("s1", "analytics", "old", Category.ANALYTICS, start=NOW - 200 * DAY))
    assert list(data.records("s1", now=NOW)) == [] and data.categories("s1", now=NOW) == {}


def test_billing_region_prefers_the_profile_then_the_latest_order(repo: Any) -> None:
    data, put = repo
    assert data.billing_region("s1", now=NOW) is None
    put(item("s1", "order", "001", Category.ORDER, data={"billing_country": "US", "billing_state": "CA"}))
    assert data.billing_region("s1", now=NOW) == ("US", "CA")
    put(item("s1", "customer", "57", Category.CUSTOMER_PROFILE, data={"billing_country": "DE"}))
    assert data.billing_region("s1", now=NOW) == ("DE", None)


def test_erase_deletes_and_anonymises_and_is_idempotent(repo: Any) -> None:
    data, put = repo
    put(item("s1", "order", "001", Category.ORDER))
    put(item("s1", "consent_event", "002", Category.CONSENT_LEDGER))
    order, consent = sorted(data.records("s1", now=NOW), key=lambda r: r.kind, reverse=True)
    legal_end = NOW + 100 * DAY
    anonymise = Anonymisation(order, {"total": "1.00"}, {"p": "[deleted]"}, legal_end, NOW)
    for _ in range(2):  # a rerun after a failure writes the same again
        assert data.erase(deletions=[consent], anonymisations=[anonymise]) == 2
    assert list(data.records("s1", now=NOW)) == []  # the anonymised order is no longer the subject's


def test_erasure_progress_is_saved_with_optimistic_locking(repo: Any) -> None:
    data, _ = repo
    progress = data.load_progress("r1", now=NOW)
    assert progress == ErasureProgress("r1")
    progress.steps.append("suppress")
    data.save_progress(progress, expires_at=NOW + DAY)
    stale = ErasureProgress("r1", ["suppress"], version=0)
    with pytest.raises(ConditionFailed):
        data.save_progress(stale, expires_at=NOW + DAY)
    again = data.load_progress("r1", now=NOW)
    assert again.steps == ["suppress"] and again.version == 1
