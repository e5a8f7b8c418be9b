"""One contract, two implementations each: RunStore and DueStore, in memory and on DynamoDB (moto)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from chalicelib.storage.runs import (
    Anonymise,
    Delete,
    DueKey,
    DueStore,
    DynamoDueStore,
    DynamoRunStore,
    RunReport,
    RunStore,
    iter_due,
)
from tests.fakes.runs import InMemoryDueStore, InMemoryRunStore
from tests.helpers import retention

NOW = 1_795_435_200
DAY = "20261123"


@pytest.fixture(params=["memory", "dynamodb"])
def runs(request: pytest.FixtureRequest) -> Iterator[RunStore]:
    if request.param == "memory":
        yield InMemoryRunStore()
    else:
        container: Any = request.getfixturevalue("container")
        yield DynamoRunStore(container.table, container.policy)


@pytest.fixture(params=["memory", "dynamodb"])
def due(request: pytest.FixtureRequest) -> Iterator[tuple[DueStore, Callable[[dict[str, Any]], None]]]:
    if request.param == "memory":
        store = InMemoryDueStore(retention())
        yield store, store.seed
    else:
        container: Any = request.getfixturevalue("container")
        yield DynamoDueStore(container.table, container.policy), container.table.put


def item(n: int, due_at: int, category: str = "analytics", **extra: Any) -> dict[str, Any]:
    pk, sk = f"I#{n:03d}", "D"
    return {"pk": pk, "sk": sk, "category": category, "due_pk": f"DUE#{category}",
            "due_sk": f"{due_at:010d}#{pk}#{sk}", "expires_at": due_at, "data": {"n": n, "customer_id": "7"},
            "sealed": {"x": "v1.y"}, "subject_pk": "SUBJ#s", "subject_sk": f"ORDER#{n}", **extra}


def key_of(data: dict[str, Any]) -> DueKey:
    return DueKey(data["pk"], data["sk"], data["due_pk"], data["due_sk"])


# -- RunStore -----------------------------------------------------------------------------------------------------
def test_lease_is_exclusive_until_it_expires(runs: RunStore) -> None:
    assert runs.acquire("job", "a", now=NOW, until=NOW + 60)
    assert not runs.acquire("job", "b", now=NOW + 59, until=NOW + 120)
    assert runs.acquire("job", "a", now=NOW + 1, until=NOW + 61)  # the holder may renew
    assert runs.acquire("job", "b", now=NOW + 61, until=NOW + 120)


def test_release_only_by_the_holder(runs: RunStore) -> None:
    runs.acquire("job", "a", now=NOW, until=NOW + 60)
    runs.release("job", "b")
    assert not runs.acquire("job", "b", now=NOW, until=NOW + 60)
    runs.release("job", "a")
    assert runs.acquire("job", "b", now=NOW, until=NOW + 60)


def test_reports_round_trip(runs: RunStore) -> None:
    report = RunReport("r1", NOW, NOW + 2, False, "completed", {"analytics": {"deleted": 3}},
                       [{"pk": "I#1", "error": "X"}], {"deletions": 1}, {"pending": 0}, None, 2000)
    runs.save_report(report)
    (stored,) = runs.reports(DAY, now=NOW)
    assert stored.as_dict() == report.as_dict()
    assert runs.reports("20261124", now=NOW) == []


def test_error_records(runs: RunStore) -> None:
    runs.record_error("r1", at=NOW, pk="I#1", sk="D", category="export", error="NoSuchBucket", attempts=2)
    assert runs.errors(DAY, now=NOW) == [{"run_id": "r1", "item_pk": "I#1", "item_sk": "D",
                                          "item_category": "export", "error": "NoSuchBucket", "attempts": 2}]


def test_alert_once_a_day(runs: RunStore) -> None:
    assert runs.first_alert("brake", now=NOW)
    assert not runs.first_alert("brake", now=NOW + 60)
    assert runs.first_alert("other", now=NOW)
    assert runs.first_alert("brake", now=NOW + 86_400)


# -- DueStore -----------------------------------------------------------------------------------------------------
def test_due_keys_are_those_due_by_now_in_due_order_and_paged(due: Any) -> None:
    store, put = due
    for n, at in enumerate([NOW - 10, NOW, NOW + 1, NOW - 5]):
        put(item(n, at))
    put(item(9, NOW - 100, category="order"))
    keys = list(iter_due(store, "analytics", now=NOW, page=1))
    assert [k.pk for k in keys] == ["I#000", "I#003", "I#001"]
    assert keys[0].category == "analytics"
    page, cursor = store.due_keys("analytics", now=NOW, limit=2)
    assert len(page) == 2 and cursor


def test_fetch_returns_items_even_past_their_ttl(due: Any) -> None:
    store, put = due
    put(item(1, NOW - 10, s3_key="exports/a"))
    records = store.fetch([key_of(item(1, NOW - 10)), DueKey("I#404", "D", "DUE#analytics", "x")])
    (record,) = records.values()
    assert record.pk == "I#001" and record.category == "analytics" and record.data["n"] == 1
    assert record.s3_objects == [(None, "exports/a")]


def test_apply_deletes_and_anonymises_only_what_is_unchanged(due: Any) -> None:
    store, put = due
    for n in range(3):
        put(item(n, NOW - 10))
    stale = key_of(item(2, NOW - 10))
    put(item(2, NOW + 500))  # refreshed after it was found
    outcomes = store.apply([Delete("I#000", "D", key_of(item(0, NOW - 10)).due_sk),
                            Anonymise("I#001", "D", key_of(item(1, NOW - 10)).due_sk, {"n": 1}, NOW, until=NOW + 100),
                            Delete("I#002", "D", stale.due_sk)])
    assert outcomes == ["done", "done", "skipped"]
    assert not store.fetch([key_of(item(0, NOW - 10))])
    (record,) = store.fetch([key_of(item(1, NOW - 10))]).values()
    assert record.category == "anonymised_record" and record.data == {"n": 1}
    assert record.due_pk == "DUE#anonymised_record"
    assert list(iter_due(store, "analytics", now=NOW, page=10)) == []
    assert [k.pk for k in iter_due(store, "anonymised_record", now=NOW + 100, page=10)] == ["I#001"]


def test_park_moves_the_due_key_later(due: Any) -> None:
    store, put = due
    put(item(1, NOW - 10))
    store.park(key_of(item(1, NOW - 10)), retry_at=NOW + 3600, attempts=1)
    assert list(iter_due(store, "analytics", now=NOW, page=10)) == []
    (key,) = iter_due(store, "analytics", now=NOW + 3600, page=10)
    (record,) = store.fetch([key]).values()
    assert record.attempts == 1


def test_approximate_size_counts_items(due: Any) -> None:
    store, put = due
    for n in range(3):
        put(item(n, NOW))
    assert store.approximate_size() == 3


# -- retention changes --------------------------------------------------------------------------------------------
def test_walk_finds_every_due_key_of_the_category_due_or_not(due: tuple[DueStore, Any]) -> None:
    store, put = due
    for n in range(5):
        put(item(n, NOW + n * 86_400 * 400))
    put(item(9, NOW, category="order"))
    found, cursor = [], None
    while True:
        keys, cursor = store.walk("analytics", limit=2, cursor=cursor)
        found += keys
        if not cursor:
            break
    assert [k.pk for k in found] == [f"I#{n:03d}" for n in range(5)]


def test_redue_moves_an_item_earlier_once_and_never_one_written_since(due: tuple[DueStore, Any]) -> None:
    store, put = due
    put(item(1, NOW + 1000, created_at=NOW - 50))
    put(item(2, NOW + 1000, updated_at=NOW))  # updated at the change: it has the new retention already
    one, two = (key_of(item(n, NOW + 1000)) for n in (1, 2))
    assert store.redue(one, shift=600, since=NOW, marker="m1") == "done"
    assert store.redue(two, shift=600, since=NOW, marker="m1") == "skipped"
    moved = next(k for k in store.walk("analytics", limit=10)[0] if k.pk == one.pk)
    assert moved.due_sk == f"{NOW + 400:010d}#I#001#D"
    assert store.redue(moved, shift=600, since=NOW, marker="m1") == "skipped"  # the same change: once
    assert store.redue(one, shift=600, since=NOW, marker="m2") == "skipped"  # stale due key
    fetched = store.fetch([moved])[(moved.pk, moved.sk)]
    assert fetched.due_sk == moved.due_sk


def test_the_retention_state_is_saved_and_read_back(runs: RunStore) -> None:
    assert runs.retention_state() is None
    state = {"order": {"days": 730, "from": 2555, "to": 730, "since": NOW, "cursor": {"pk": "x", "sk": "y"}}}
    runs.save_retention_state(state, now=NOW)
    assert runs.retention_state() == state
