"""Reads never return an expired item: moto (like DynamoDB for days) keeps expired items, so reads must filter."""

from typing import Any

import pytest

from chalicelib.storage.table import SUBJECT_INDEX


def test_ttl_is_enabled_on_the_table(aws: dict[str, str]) -> None:
    import boto3

    ttl = boto3.client("dynamodb").describe_time_to_live(TableName=aws["TableName"])["TimeToLiveDescription"]
    assert ttl == {"TimeToLiveStatus": "ENABLED", "AttributeName": "expires_at"}


def test_get_does_not_return_an_expired_item_that_is_still_stored(container: Any, table_items: Any) -> None:
    table = container.table
    table.put({"pk": "T#1", "sk": "A", "expires_at": 1_000})
    assert any(item["pk"] == "T#1" for item in table_items())  # still physically there (moto never deletes)
    assert table.get("T#1", "A", now=999) is not None
    assert table.get("T#1", "A", now=1_000) is None


def test_query_does_not_return_expired_items(container: Any) -> None:
    table = container.table
    for n, expiry in enumerate([500, 1_500, 2_500]):
        table.put({"pk": "T#2", "sk": f"I#{n}", "expires_at": expiry, "subject_pk": "S#x", "subject_sk": f"I#{n}"})
    live = list(table.query_all(key_condition="pk = :pk", values={":pk": "T#2"}, now=1_000))
    assert [item["sk"] for item in live] == ["I#1", "I#2"]
    by_subject = list(table.query_all(key_condition="subject_pk = :s", values={":s": "S#x"}, now=2_000,
                                      index=SUBJECT_INDEX))
    assert [item["sk"] for item in by_subject] == ["I#2"]


def test_query_pages_through_results(container: Any) -> None:
    table = container.table
    for n in range(25):
        table.put({"pk": "T#3", "sk": f"I#{n:03}", "expires_at": 10_000})
    page = table.query_page(key_condition="pk = :pk", values={":pk": "T#3"}, now=1, limit=10)
    assert len(page.items) == 10 and page.cursor
    assert len(list(table.query_all(key_condition="pk = :pk", values={":pk": "T#3"}, now=1, limit=10))) == 25


def test_every_write_needs_an_expiry(container: Any) -> None:
    with pytest.raises(ValueError, match="expires_at"):
        container.table.put({"pk": "T#4", "sk": "A"})
