"""ClientRequestToken on TransactWriteItems, as DynamoDB documents it: a repeat (same token, same parameters) within
10 minutes succeeds without applying again; the same token with other parameters is IdempotentParameterMismatch
(400); a cancelled transaction's token is not remembered; the cache is bounded."""

from __future__ import annotations

import time
from typing import Any

import pytest
from botocore.exceptions import ClientError

import emulator
from emulator.moto_dynamodb import TokenCache, parameters_digest
from tests.emulator.conftest import ACCOUNT, create_table


def key(pk: str) -> dict[str, Any]:
    return {"pk": {"S": pk}, "sk": {"S": "1"}}


def increment(table: str, by: int = 1, pk: str = "counter") -> list[dict[str, Any]]:
    return [{"Update": {"TableName": table, "Key": key(pk), "UpdateExpression": "ADD n :by",
                        "ExpressionAttributeValues": {":by": {"N": str(by)}}}}]


def count(ddb: Any, table: str, pk: str = "counter") -> int:
    item = ddb.get_item(TableName=table, Key=key(pk)).get("Item")
    return int(item["n"]["N"]) if item else 0


def test_a_repeat_with_the_same_token_succeeds_without_applying_again(in_process: Any) -> None:
    ddb = in_process
    table = create_table(ddb)
    ddb.transact_write_items(TransactItems=increment(table), ClientRequestToken="retry-1")
    again = ddb.transact_write_items(TransactItems=increment(table), ClientRequestToken="retry-1")
    assert again["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert count(ddb, table) == 1
    ddb.transact_write_items(TransactItems=increment(table), ClientRequestToken="retry-2")
    assert count(ddb, table) == 2


def test_a_committed_conditional_transaction_retried_with_its_token_is_not_a_conflict(in_process: Any) -> None:
    """What botocore does after a timeout: the same call, the same token.  Without the token it is cancelled."""
    ddb = in_process
    table = create_table(ddb)
    create = [{"Put": {"TableName": table, "Item": {**key("order"), "rev": {"S": "1"}},
                       "ConditionExpression": "attribute_not_exists(pk)"}}]
    ddb.transact_write_items(TransactItems=create, ClientRequestToken="lost-answer")
    ddb.transact_write_items(TransactItems=create, ClientRequestToken="lost-answer")
    with pytest.raises(ClientError) as fresh:
        ddb.transact_write_items(TransactItems=create, ClientRequestToken="another-call")
    assert fresh.value.response["Error"]["Code"] == "TransactionCanceledException"


def test_the_same_token_with_other_parameters_is_a_mismatch_and_applies_nothing(in_process: Any) -> None:
    ddb = in_process
    table = create_table(ddb)
    ddb.transact_write_items(TransactItems=increment(table, 1), ClientRequestToken="t")
    with pytest.raises(ddb.exceptions.IdempotentParameterMismatchException) as mismatch:
        ddb.transact_write_items(TransactItems=increment(table, 5), ClientRequestToken="t")
    assert mismatch.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert mismatch.value.response["Error"]["Code"] == "IdempotentParameterMismatchException"
    with pytest.raises(ddb.exceptions.IdempotentParameterMismatchException):
        ddb.transact_write_items(TransactItems=increment(table, 1), ClientRequestToken="t",
                                 ReturnConsumedCapacity="TOTAL")
    assert count(ddb, table) == 1


def test_a_cancelled_transactions_token_runs_again(in_process: Any) -> None:
    ddb = in_process
    table = create_table(ddb)
    guarded = [*increment(table), {"ConditionCheck": {"TableName": table, "Key": key("gate"),
                                                      "ConditionExpression": "attribute_exists(pk)"}}]
    with pytest.raises(ClientError):
        ddb.transact_write_items(TransactItems=guarded, ClientRequestToken="again")
    ddb.put_item(TableName=table, Item=key("gate"))
    ddb.transact_write_items(TransactItems=guarded, ClientRequestToken="again")
    assert count(ddb, table) == 1


def test_tokens_are_kept_per_region(in_process: Any) -> None:
    from tests.emulator.conftest import ddb_client

    ddb, other = in_process, ddb_client("eu-central-1")
    table = create_table(ddb)
    create_table(other, table)
    ddb.transact_write_items(TransactItems=increment(table, 1), ClientRequestToken="same")
    other.transact_write_items(TransactItems=increment(table, 3), ClientRequestToken="same")
    assert (count(ddb, table), count(other, table)) == (1, 3)


def test_a_token_is_forgotten_after_the_window(in_process: Any) -> None:
    ddb = in_process
    emulator.install(token_window=0.3)
    table = create_table(ddb)
    ddb.transact_write_items(TransactItems=increment(table), ClientRequestToken="w")
    ddb.transact_write_items(TransactItems=increment(table), ClientRequestToken="w")
    assert count(ddb, table) == 1
    time.sleep(0.4)
    ddb.transact_write_items(TransactItems=increment(table), ClientRequestToken="w")  # a new request now
    assert count(ddb, table) == 2


def test_the_token_cache_is_bounded(in_process: Any) -> None:
    from moto.dynamodb.models import dynamodb_backends

    ddb = in_process
    emulator.install(max_tokens=3)
    table = create_table(ddb)
    for i in range(10):
        ddb.transact_write_items(TransactItems=increment(table), ClientRequestToken=f"b{i}")
    cache = dynamodb_backends[ACCOUNT]["eu-west-1"].__dict__["_client_request_tokens"]
    assert len(cache) == 3
    ddb.transact_write_items(TransactItems=increment(table), ClientRequestToken="b9")  # still known
    assert count(ddb, table) == 10
    ddb.transact_write_items(TransactItems=increment(table), ClientRequestToken="b0")  # forgotten: applies
    assert count(ddb, table) == 11


def test_token_cache_expiry_and_bound_on_a_clock() -> None:
    now = [1000.0]
    cache = TokenCache(window=600, max_entries=2, clock=lambda: now[0])
    cache.add("a", b"1")
    now[0] += 300
    cache.add("b", b"2")
    assert (cache.get("a"), cache.get("b")) == (b"1", b"2")
    now[0] += 300  # "a" is 600 s old: gone; "b" is 300 s old: kept
    assert (cache.get("a"), cache.get("b")) == (None, b"2")
    cache.add("c", b"3")
    cache.add("d", b"4")  # over the bound: the oldest ("b") goes
    assert (cache.get("b"), cache.get("c"), cache.get("d"), len(cache)) == (None, b"3", b"4", 2)


def test_the_digest_ignores_the_token_and_key_order_but_not_values() -> None:
    one = {"ClientRequestToken": "x", "TransactItems": [{"Put": {"TableName": "t", "Item": {"a": {"B": b"\x00"}}}}]}
    assert parameters_digest(one) == parameters_digest({**one, "ClientRequestToken": "y"})
    assert parameters_digest(one) == parameters_digest(dict(reversed(list(one.items()))))
    other = {**one, "TransactItems": [{"Put": {"TableName": "t", "Item": {"a": {"B": b"\x01"}}}}]}
    assert parameters_digest(one) != parameters_digest(other)
