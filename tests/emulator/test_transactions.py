"""TransactWriteItems with the undo log: the same answers as moto's own (copy-the-table) implementation, a
cancellation restores exactly the prior state (items, indexes, stream), and a transaction costs what it touches."""

from __future__ import annotations

import contextlib
import gc
import sys
import tracemalloc
import uuid
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import emulator
from tests.emulator.conftest import ACCOUNT, create_table, ddb_client, scan_all

PKS = ("a", "b", "c")
SKS = ("1", "2")
KEYS = [(pk, sk) for pk in PKS for sk in SKS]
GROUPS = ("x", "y")


def key(pk: str, sk: str) -> dict[str, Any]:
    return {"pk": {"S": pk}, "sk": {"S": sk}}


def stored(pk: str, sk: str, n: int, g: str | None, l_value: str | None) -> dict[str, Any]:
    item = {**key(pk, sk), "n": {"N": str(n)}}
    if g:
        item["g"] = {"S": g}
    if l_value:
        item["l"] = {"S": l_value}
    return item


# -- strategies ---------------------------------------------------------------------------------------------------

items_st = st.dictionaries(
    st.sampled_from(KEYS),
    st.tuples(st.integers(0, 5), st.sampled_from((None, *GROUPS)), st.sampled_from((None, "p", "q"))),
    max_size=len(KEYS))

CONDITIONS = [
    None,
    ("attribute_exists(pk)", {}),
    ("attribute_not_exists(pk)", {}),
    ("n > :v", {":v": {"N": "2"}}),
    ("n = :v", {":v": {"N": "1"}}),
]


@st.composite
def operation(draw: st.DrawFn, pk: str, sk: str) -> dict[str, Any]:
    kind = draw(st.sampled_from(("Put", "Update", "Delete", "ConditionCheck")))
    condition = draw(st.sampled_from(CONDITIONS if kind != "ConditionCheck" else CONDITIONS[1:]))
    op: dict[str, Any] = {"TableName": "@"}
    if kind == "Put":
        op["Item"] = stored(pk, sk, draw(st.integers(0, 5)), draw(st.sampled_from((None, *GROUPS))),
                            draw(st.sampled_from((None, "p", "r"))))
    else:
        op["Key"] = key(pk, sk)
    values: dict[str, Any] = {}
    if kind == "Update":
        update = draw(st.sampled_from(("SET n = n + :one", "ADD n :one", "SET g = :g, l = :l", "REMOVE g")))
        op["UpdateExpression"] = update
        values.update({":one": {"N": "1"}} if ":one" in update else {})
        values.update({":g": {"S": draw(st.sampled_from(GROUPS))}, ":l": {"S": "u"}} if ":g" in update else {})
    if condition:
        op["ConditionExpression"] = condition[0]
        values.update(condition[1])
        if draw(st.booleans()):
            op["ReturnValuesOnConditionCheckFailure"] = "ALL_OLD"
    if values:
        op["ExpressionAttributeValues"] = values
    return {kind: op}


@st.composite
def transaction(draw: st.DrawFn) -> list[dict[str, Any]]:
    targets = draw(st.lists(st.sampled_from(KEYS), min_size=1, max_size=5, unique=True))
    ops = [draw(operation(pk, sk)) for pk, sk in targets]
    if draw(st.integers(0, 9)) == 0:  # sometimes two operations on one item (a ValidationException)
        ops.append(draw(operation(*targets[0])))
    return ops


def aimed(ops: list[dict[str, Any]], table: str) -> list[dict[str, Any]]:
    return [{kind: {**op, "TableName": table}} for entry in ops for kind, op in entry.items()]


# -- helpers ------------------------------------------------------------------------------------------------------

def outcome(client: Any, ops: list[dict[str, Any]]) -> Any:
    try:
        client.transact_write_items(TransactItems=ops)
    except ClientError as error:
        return (error.response["Error"]["Code"], error.response["Error"].get("Message"),
                error.response.get("CancellationReasons"))
    return "ok"


def state(client: Any, table: str) -> dict[str, Any]:
    def query(index: str, name: str, value: str) -> Any:
        return client.query(TableName=table, IndexName=index, KeyConditionExpression=f"{name} = :v",
                            ExpressionAttributeValues={":v": {"S": value}})["Items"]

    return {"items": scan_all(client, table), "gsi_scan": scan_all(client, table, "g_index"),
            "gsi": {g: query("g_index", "g", g) for g in GROUPS},
            "lsi": {pk: query("l_index", "pk", pk) for pk in PKS}}


def fill(client: Any, table: str, items: dict[tuple[str, str], tuple[int, str | None, str | None]]) -> None:
    for (pk, sk), (n, g, l_value) in items.items():
        client.put_item(TableName=table, Item=stored(pk, sk, n, g, l_value))


# -- the same answers and states as moto's own implementation -----------------------------------------------------

@pytest.fixture
def two_regions(patched: None) -> Any:
    """In-process moto with a client in two regions: the patched implementation answers in one, moto's own in the
    other (each example uninstalls the patch around moto's run)."""
    from moto import mock_aws

    with mock_aws():
        yield ddb_client("eu-west-1"), ddb_client("eu-central-1")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(initial=items_st, ops=transaction())
def test_same_answers_and_states_as_moto_and_cancellation_restores_everything(
        two_regions: Any, initial: dict[Any, Any], ops: list[dict[str, Any]]) -> None:
    mine, theirs = two_regions
    name = f"t-{uuid.uuid4().hex[:12]}"
    for client in (mine, theirs):
        create_table(client, name)
        fill(client, name, initial)
    before = state(mine, name)

    emulator.uninstall()
    try:
        expected = outcome(theirs, aimed(ops, name))
    finally:
        emulator.install()
    got = outcome(mine, aimed(ops, name))

    assert got == expected
    after = state(mine, name)
    assert after == state(theirs, name)
    if got != "ok":
        assert after == before
    for client in (mine, theirs):
        client.delete_table(TableName=name)


# -- exactly the prior state --------------------------------------------------------------------------------------

def backend(region: str = "eu-west-1") -> Any:
    from moto.dynamodb.models import dynamodb_backends

    return dynamodb_backends[ACCOUNT][region]


def test_a_cancelled_transaction_leaves_the_table_object_and_its_buckets_as_they_were(in_process: Any) -> None:
    ddb = in_process
    name = create_table(ddb)
    ddb.put_item(TableName=name, Item=stored("a", "1", 1, "x", "p"))
    table = backend().tables[name]
    buckets = {repr(k): sorted(repr(r) for r in v) for k, v in table.items.items()}
    ops = [
        {"Put": {"TableName": name, "Item": stored("new", "1", 7, "x", None)}},  # a new hash key
        {"Put": {"TableName": name, "Item": stored("a", "9", 7, "y", None)}},  # a new item under a known one
        {"Update": {"TableName": name, "Key": key("a", "1"), "UpdateExpression": "SET n = n + :one, g = :g",
                    "ExpressionAttributeValues": {":one": {"N": "1"}, ":g": {"S": "y"}}}},
        {"ConditionCheck": {"TableName": name, "Key": key("zz", "1"), "ConditionExpression": "attribute_exists(pk)"}},
    ]
    with pytest.raises(ClientError) as failure:
        ddb.transact_write_items(TransactItems=ops)
    assert [r["Code"] for r in failure.value.response["CancellationReasons"]] == \
        ["None", "None", "None", "ConditionalCheckFailed"]
    assert backend().tables[name] is table  # not swapped for a copy
    assert {repr(k): sorted(repr(r) for r in v) for k, v in table.items.items()} == buckets
    assert scan_all(ddb, name) == [stored("a", "1", 1, "x", "p")]
    assert ddb.query(TableName=name, IndexName="g_index", KeyConditionExpression="g = :g",
                     ExpressionAttributeValues={":g": {"S": "y"}})["Items"] == []


def test_all_old_comes_back_with_the_stored_item(in_process: Any) -> None:
    ddb = in_process
    name = create_table(ddb)
    ddb.put_item(TableName=name, Item=stored("a", "1", 3, "x", None))
    with pytest.raises(ClientError) as failure:
        ddb.transact_write_items(TransactItems=[
            {"Put": {"TableName": name, "Item": stored("b", "1", 0, None, None)}},
            {"Put": {"TableName": name, "Item": stored("a", "1", 4, None, None),
                     "ConditionExpression": "n = :old", "ExpressionAttributeValues": {":old": {"N": "2"}},
                     "ReturnValuesOnConditionCheckFailure": "ALL_OLD"}}])
    error = failure.value.response
    assert error["Error"]["Code"] == "TransactionCanceledException"
    assert error["CancellationReasons"] == [
        {"Code": "None"},
        {"Code": "ConditionalCheckFailed", "Message": "The conditional request failed",
         "Item": stored("a", "1", 3, "x", None)}]
    assert scan_all(ddb, name) == [stored("a", "1", 3, "x", None)]


def test_stream_records_of_a_cancelled_transaction_are_dropped(in_process: Any) -> None:
    import boto3

    ddb = in_process
    name = create_table(ddb, stream=True)
    ddb.put_item(TableName=name, Item=stored("a", "1", 1, None, None))
    with pytest.raises(ClientError):
        ddb.transact_write_items(TransactItems=[
            {"Put": {"TableName": name, "Item": stored("b", "1", 1, None, None)}},
            {"Delete": {"TableName": name, "Key": key("a", "1"), "ConditionExpression": "n = :v",
                        "ExpressionAttributeValues": {":v": {"N": "5"}}}}])
    ddb.transact_write_items(TransactItems=[{"Put": {"TableName": name, "Item": stored("c", "1", 1, None, None)}}])

    streams = boto3.client("dynamodbstreams", region_name="eu-west-1", aws_access_key_id="testing",
                           aws_secret_access_key="testing")
    arn = ddb.describe_table(TableName=name)["Table"]["LatestStreamArn"]
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard,
                                          ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    records = streams.get_records(ShardIterator=iterator)["Records"]
    assert [(r["eventName"], r["dynamodb"]["Keys"]["pk"]["S"]) for r in records] == [("INSERT", "a"),
                                                                                     ("INSERT", "c")]


def test_a_validation_error_mid_transaction_undoes_the_operations_before_it(in_process: Any) -> None:
    ddb = in_process
    name = create_table(ddb)
    ddb.put_item(TableName=name, Item={**key("a", "1"), "s": {"S": "text"}})
    with pytest.raises(ClientError) as failure:
        ddb.transact_write_items(TransactItems=[
            {"Put": {"TableName": name, "Item": stored("b", "1", 1, None, None)}},
            {"Update": {"TableName": name, "Key": key("a", "1"), "UpdateExpression": "SET s = s + :one",
                        "ExpressionAttributeValues": {":one": {"N": "1"}}}}])
    assert failure.value.response["Error"]["Code"] == "ValidationException"
    assert scan_all(ddb, name) == [{**key("a", "1"), "s": {"S": "text"}}]


# -- cost: what the transaction touches, not the table ------------------------------------------------------------

def _fill_fast(ddb: Any, name: str, count: int) -> None:
    for start in range(0, count, 25):
        ddb.batch_write_item(RequestItems={name: [
            {"PutRequest": {"Item": {**stored(f"fill{i}", "1", i, "x", None), "pad": {"S": "p" * 200}}}}
            for i in range(start, min(count, start + 25))]})


def two_item_transaction(name: str, i: int) -> list[dict[str, Any]]:
    return [
        {"Put": {"TableName": name, "Item": stored(f"hot{i % 50}", "1", i, "x", None)}},
        {"Update": {"TableName": name, "Key": key("counter", "1"), "UpdateExpression": "ADD n :one",
                    "ExpressionAttributeValues": {":one": {"N": "1"}}}},
    ]


def test_a_transaction_allocates_what_it_touches_not_the_table(in_process: Any) -> None:
    ddb = in_process
    name = create_table(ddb)
    _fill_fast(ddb, name, 5_000)
    ddb.transact_write_items(TransactItems=two_item_transaction(name, 0))  # warm: parsers, models
    failing = [*two_item_transaction(name, 1), {"ConditionCheck": {
        "TableName": name, "Key": key("absent", "1"), "ConditionExpression": "attribute_exists(pk)"}}]
    gc.collect()
    tracemalloc.start()
    try:
        for ops in (two_item_transaction(name, 2), failing):
            tracemalloc.reset_peak()
            base = tracemalloc.get_traced_memory()[0]
            with pytest.raises(ClientError) if ops is failing else contextlib.nullcontext():
                ddb.transact_write_items(TransactItems=ops)
            peak = tracemalloc.get_traced_memory()[1] - base
            # moto's copy of 5 000 items allocates ~10 MB here; one request's parsing and answer, well under 1 MB.
            assert peak < 1024 * 1024, f"{peak / 1024:.0f} KiB for one transaction"
    finally:
        tracemalloc.stop()


def test_memory_stays_flat_across_2000_transactions(in_process: Any) -> None:
    """Counted in pymalloc blocks (`sys.getallocatedblocks`, exact and cheap): moto kept every Item it ever made
    (about 40 blocks a transaction); with the token cache full (bounded here at 500), nothing may grow."""
    ddb = in_process
    emulator.install(max_tokens=500)
    name = create_table(ddb)
    _fill_fast(ddb, name, 1_000)
    for i in range(600):  # warm up: the 50 hot items exist, the token cache is full, caches are filled
        ddb.transact_write_items(TransactItems=two_item_transaction(name, i))
    gc.collect()
    blocks, rss = sys.getallocatedblocks(), _rss_mib()
    for i in range(600, 2_600):
        ddb.transact_write_items(TransactItems=two_item_transaction(name, i))
    gc.collect()
    grown = sys.getallocatedblocks() - blocks
    assert grown < 2_000, f"{grown} more memory blocks after 2 000 transactions"
    assert _rss_mib() - rss < 10
    counter = ddb.get_item(TableName=name, Key=key("counter", "1"))["Item"]
    assert counter["n"] == {"N": "2600"}


def _rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0
