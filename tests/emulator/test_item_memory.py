"""Smaller items (emulator.moto_dynamodb, point 7): a stored order item takes at most ITEM_BYTES of Python memory,
and neither the slotted DynamoType nor the shared values change an answer moto gives (each request runs on
unpatched moto and on the patched one, in lockstep, and the answers must be equal)."""

from __future__ import annotations

import base64
import gc
import hashlib
import sys
import tracemalloc
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import emulator
from emulator import moto_dynamodb
from tests.emulator.conftest import ACCOUNT, create_table, ddb_client

# Bound on the Python memory (tracemalloc) of one stored ~1.2 KB order item whose values are unique where a
# store's are (keys, revision, links, three sealed fields of 180 characters).  Why 3 600 bytes: the goal is
# under 500 MB (476 MiB) of emulator RSS at 100 000 items; the served emulator starts at about 100 MiB, which
# leaves 3.9 KB of RSS per item, and RSS runs about 6% above what tracemalloc counts.  Measured on CPython 3.11
# with moto 5.2.5: moto 5 240 bytes, with the patch 3 260 (the slotted DynamoType alone saves about 560, the
# shared values about 1 420 of items like the benchmark's).
ITEM_BYTES = 3_600


def order(n: int) -> dict[str, Any]:
    """An order as the app stores it (see bench/rows_05_emulator.order_item), sealed fields unique per order."""
    def sealed(name: str) -> dict[str, str]:
        return {"S": "v1." + base64.b64encode(hashlib.sha512(f"{name}{n}".encode()).digest() * 2).decode()[:180]}

    return {
        "pk": {"S": f"ORDER#{n}"}, "sk": {"S": "ORDER"}, "kind": {"S": "order"},
        "rev": {"S": f"{1_795_000_000 + n:012d}.1.{n:016x}"},
        "data": {"M": {"status": {"S": "completed"}, "currency": {"S": "EUR"}, "total": {"S": f"{n % 997}.90"},
                       "payment_method": {"S": "ppcp-gateway"}, "customer_id": {"N": str(n % 5000)},
                       "created_via": {"S": "checkout"}, "items": {"N": "3"}}},
        "sealed": {"M": {name: sealed(name) for name in ("billing", "shipping", "customer_ip")}},
        "subject_pk": {"S": f"SUBJ#{n % 5000:064x}"}, "subject_sk": {"S": f"order#{n:012d}"},
        "due_pk": {"S": "DUE#order"}, "due_sk": {"S": f"{1_900_000_000 + n:012d}#ORDER#{n}"},
        "expires_at": {"N": str(1_900_000_000 + n)}, "created_at": {"N": "1795000000"},
        "updated_at": {"N": "1795000000"},
    }


def _write(ddb: Any, table: str, numbers: range) -> None:
    for start in range(numbers.start, numbers.stop, 25):
        ddb.batch_write_item(RequestItems={table: [
            {"PutRequest": {"Item": order(n)}} for n in range(start, min(numbers.stop, start + 25))]})


def test_a_stored_order_item_takes_at_most_ITEM_BYTES(in_process: Any) -> None:
    ddb = in_process
    table = create_table(ddb)
    _write(ddb, table, range(0, 200))  # warm: parsers, botocore, the shared values
    count = 1_000
    gc.collect()
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        _write(ddb, table, range(200, 200 + count))
        gc.collect()
        per_item = (tracemalloc.get_traced_memory()[0] - base) / count
    finally:
        tracemalloc.stop()
    assert per_item < ITEM_BYTES, f"{per_item:.0f} bytes per stored item"
    stored = ddb.get_item(TableName=table, Key={"pk": {"S": "ORDER#700"}, "sk": {"S": "ORDER"}})["Item"]
    assert stored == order(700)


def test_stored_values_are_slotted_and_shared(in_process: Any) -> None:
    from moto.dynamodb.models import dynamo_type, dynamodb_backends

    ddb = in_process
    table = create_table(ddb)
    _write(ddb, table, range(2))
    items = dynamodb_backends[ACCOUNT]["eu-west-1"].tables[table].items
    first, second = (items[key][next(iter(items[key]))] for key in items)
    assert not hasattr(first.attrs["kind"], "__dict__")
    assert type(first.attrs["kind"]) is dynamo_type.DynamoType
    assert first.attrs["kind"] is second.attrs["kind"]  # one "order" for both
    assert first.attrs["data"].value["currency"] is second.attrs["data"].value["currency"]
    assert first.attrs["data"] is not second.attrs["data"]  # maps are never shared
    assert first.attrs["pk"] is first.hash_key and first.attrs["sk"] is first.range_key
    assert first.attrs["rev"] is not second.attrs["rev"]


def test_the_swap_reaches_every_module_and_uninstall_restores_it() -> None:
    was = emulator.installed()
    emulator.uninstall()
    try:
        from moto.dynamodb.models import dynamo_type

        original = dynamo_type.DynamoType
        holders = [module for name, module in sys.modules.items()
                   if name.startswith("moto.") and getattr(module, "DynamoType", None) is original]
        assert len(holders) >= 5  # dynamo_type, models, table, executors, validators, ast_nodes
        emulator.install()
        slotted = dynamo_type.DynamoType
        assert slotted is not original and "__dict__" not in dir(slotted(dict(S="x")))
        assert all(module.DynamoType is slotted for module in holders)
        emulator.install()  # idempotent: the same class
        assert dynamo_type.DynamoType is slotted
        emulator.uninstall()
        assert all(module.DynamoType is original for module in holders)
        emulator.install()
        assert dynamo_type.DynamoType is slotted  # made once
    finally:
        if not was:
            emulator.uninstall()


def test_the_shared_values_stay_bounded() -> None:
    cache = moto_dynamodb.SharedScalars(per_name=4, max_names=3, max_length=10)
    slotted = moto_dynamodb.slotted_copy(_original_dynamo_type())

    class Item:
        def __init__(self, attrs: dict[str, Any]) -> None:
            self.hash_key = self.range_key = None
            self.attrs = {name: slotted(value) for name, value in attrs.items()}

    for n in range(100):
        cache.share_item(Item({f"name{n % 5}": {"S": str(n)}, "long": {"S": "x" * 11}}), slotted)
    assert len(cache) <= 3 * 4
    one, two = Item({"a": {"S": "same"}}), Item({"a": {"S": "same"}})
    cache.share_item(one, slotted)
    cache.share_item(two, slotted)
    assert one.attrs["a"] is two.attrs["a"]
    long_one, long_two = Item({"a": {"S": "y" * 11}}), Item({"a": {"S": "y" * 11}})
    cache.share_item(long_one, slotted)
    cache.share_item(long_two, slotted)
    assert long_one.attrs["a"] is not long_two.attrs["a"]
    number, string = Item({"a": {"N": "1"}}), Item({"a": {"S": "1"}})
    cache.share_item(number, slotted)
    cache.share_item(string, slotted)
    assert string.attrs["a"].type == "S" and number.attrs["a"].type == "N"


def _original_dynamo_type() -> Any:
    from moto.dynamodb.models import dynamo_type

    current = dynamo_type.DynamoType
    return next((old for old, new in moto_dynamodb._slotted_classes.items() if new is current), current)


# -- the same answers as moto -------------------------------------------------------------------------------------

@pytest.fixture
def lockstep(patched: None) -> Iterator[Any]:
    """`call(method, **params)`: the request on unpatched moto (eu-central-1, the patch uninstalled around it) and
    on the patched one (eu-west-1); asserts that both answer the same and returns the answer."""
    from moto import mock_aws

    with mock_aws():
        mine, theirs = ddb_client("eu-west-1"), ddb_client("eu-central-1")
        name = f"t-{uuid.uuid4().hex[:12]}"
        for client in (mine, theirs):
            create_table(client, name)

        def call(method: str, **params: Any) -> Any:
            params = _aimed(params, name)
            emulator.uninstall()
            try:
                expected = _answer(theirs, method, params)
            finally:
                emulator.install()
            got = _answer(mine, method, params)
            assert got == expected, f"{method}({params})"
            return got

        yield call


def _aimed(value: Any, table: str) -> Any:
    if isinstance(value, str):
        return value.replace('"@"', f'"{table}"')
    if isinstance(value, dict):
        return {(table if k == "@" else k): (table if v == "@" else _aimed(v, table)) for k, v in value.items()}
    if isinstance(value, list):
        return [_aimed(v, table) for v in value]
    return value


def _answer(client: Any, method: str, params: dict[str, Any]) -> Any:
    try:
        answer = getattr(client, method)(**params)
    except ClientError as error:
        answer = error.response
    except Exception as error:  # moto's own bugs (e.g. REMOVE a.b on a list) must match too
        return {"raised": type(error).__name__, "message": str(error)}
    return {k: v for k, v in answer.items() if k != "ResponseMetadata"}


def _key(pk: str, sk: str = "1") -> dict[str, Any]:
    return {"pk": {"S": pk}, "sk": {"S": sk}}


RICH = {
    "g": {"S": "x"}, "l": {"S": "lsi-1"}, "s": {"S": "same"}, "n": {"N": "1.50"}, "b": {"B": b"\x00\x01"},
    "t": {"BOOL": True}, "nothing": {"NULL": True}, "ss": {"SS": ["same", "y"]}, "ns": {"NS": ["1", "2"]},
    "bs": {"BS": [b"a"]},
    "lst": {"L": [{"S": "same"}, {"N": "1"}, {"M": {"x": {"S": "same"}}}, {"L": [{"S": "same"}]}]},
    "m": {"M": {"x": {"S": "same"}, "y": {"N": "1"}, "z": {"M": {"deep": {"S": "same"}}},
                "tags": {"SS": ["same"]}}},
}


def test_every_kind_of_request_answers_as_moto_does(lockstep: Any) -> None:
    call = lockstep
    for pk, sk in (("a", "1"), ("b", "1"), ("a", "2")):  # equal values in three items: shared
        call("put_item", TableName="@", Item={**_key(pk, sk), **RICH})
    call("get_item", TableName="@", Key=_key("a"), ProjectionExpression="m.x, lst[0], ss")
    # Changes to one item's values must not show in the items that shared them.
    call("update_item", TableName="@", Key=_key("a"), ReturnValues="ALL_NEW",
         UpdateExpression="SET m.x = :new, #l[0] = :new, m.z.deep = :new, n = n + :one, s = :new "
                          "ADD ss :more, ns :ns, m.tags :more DELETE bs :b REMOVE m.y",
         ExpressionAttributeNames={"#l": "lst"},
         ExpressionAttributeValues={":new": {"S": "new"}, ":one": {"N": "1"}, ":more": {"SS": ["z"]},
                                    ":ns": {"NS": ["3"]}, ":b": {"BS": [b"a"]}})
    call("get_item", TableName="@", Key=_key("b"))
    call("update_item", TableName="@", Key=_key("b"), ReturnValues="UPDATED_OLD",
         UpdateExpression="SET #l = list_append(#l, :more), c = if_not_exists(c, :zero), #l[3][0] = :new",
         ExpressionAttributeNames={"#l": "lst"},
         ExpressionAttributeValues={":more": {"L": [{"S": "same"}]}, ":zero": {"N": "0"}, ":new": {"S": "new"}})
    call("update_item", TableName="@", Key=_key("a", "2"), ReturnValues="UPDATED_NEW",
         UpdateExpression="ADD n :one, ss :same DELETE ns :ns", ExpressionAttributeValues={
             ":one": {"N": "-2.5"}, ":same": {"SS": ["same"]}, ":ns": {"NS": ["1"]}})
    call("update_item", TableName="@", Key=_key("b"), ReturnValues="ALL_OLD", AttributeUpdates={
        "s": {"Action": "PUT", "Value": {"S": "put"}}, "n": {"Action": "ADD", "Value": {"N": "2"}},
        "ss": {"Action": "DELETE", "Value": {"SS": ["y"]}}, "t": {"Action": "DELETE"}})
    call("update_item", TableName="@", Key=_key("new"), ReturnValues="ALL_NEW",
         UpdateExpression="SET s = :same", ExpressionAttributeValues={":same": {"S": "same"}})
    for reverse in (True, False):
        call("query", TableName="@", KeyConditionExpression="pk = :a", ScanIndexForward=reverse,
             ExpressionAttributeValues={":a": {"S": "a"}})
    call("query", TableName="@", IndexName="g_index", KeyConditionExpression="g = :g",
         FilterExpression="contains(ss, :same)", ExpressionAttributeValues={":g": {"S": "x"}, ":same": {"S": "same"}})
    call("query", TableName="@", IndexName="l_index", KeyConditionExpression="pk = :a AND begins_with(l, :l)",
         ExpressionAttributeValues={":a": {"S": "a"}, ":l": {"S": "lsi"}}, ProjectionExpression="pk, sk, m")
    page = call("scan", TableName="@", FilterExpression="m.x = :same", Limit=2,
                ExpressionAttributeValues={":same": {"S": "same"}})
    if "LastEvaluatedKey" in page:
        call("scan", TableName="@", FilterExpression="m.x = :same", Limit=2, ExclusiveStartKey=page["LastEvaluatedKey"],
             ExpressionAttributeValues={":same": {"S": "same"}})
    call("scan", TableName="@", IndexName="g_index", ScanFilter={
        "s": {"AttributeValueList": [{"S": "same"}], "ComparisonOperator": "EQ"}})
    call("batch_get_item", RequestItems={"@": {"Keys": [_key("a"), _key("b"), _key("a", "2"), _key("zz")]}})
    call("transact_get_items", TransactItems=[{"Get": {"TableName": "@", "Key": _key("a")}},
                                              {"Get": {"TableName": "@", "Key": _key("b")}}])
    call("transact_write_items", TransactItems=[
        {"Put": {"TableName": "@", "Item": {**_key("d"), **RICH}}},
        {"Update": {"TableName": "@", "Key": _key("a"), "UpdateExpression": "SET m.z.deep = :other",
                    "ExpressionAttributeValues": {":other": {"S": "other"}}}},
        {"ConditionCheck": {"TableName": "@", "Key": _key("b"), "ConditionExpression": "attribute_exists(pk)"}}])
    call("transact_write_items", TransactItems=[
        {"Update": {"TableName": "@", "Key": _key("d"), "UpdateExpression": "SET s = :other",
                    "ExpressionAttributeValues": {":other": {"S": "other"}}}},
        {"ConditionCheck": {"TableName": "@", "Key": _key("b"), "ConditionExpression": "s = :nope",
                            "ExpressionAttributeValues": {":nope": {"S": "nope"}},
                            "ReturnValuesOnConditionCheckFailure": "ALL_OLD"}}])
    call("put_item", TableName="@", Item={**_key("a"), **RICH, "s": {"S": "replaced"}}, ReturnValues="ALL_OLD")
    call("put_item", TableName="@", Item=_key("a"), ConditionExpression="s = :nope",
         ExpressionAttributeValues={":nope": {"S": "nope"}}, ReturnValuesOnConditionCheckFailure="ALL_OLD")
    call("delete_item", TableName="@", Key=_key("a", "2"), ReturnValues="ALL_OLD")
    call("execute_statement", Statement="SELECT * FROM \"@\" WHERE pk = 'b'")
    call("scan", TableName="@", ConsistentRead=True)


# Random items from a small pool of values (so that items share them), then random changes and reads.
_scalars = st.one_of(
    st.sampled_from(("same", "other", "x")).map(lambda s: {"S": s}),
    st.sampled_from(("1", "1.5", "-2", "10")).map(lambda n: {"N": n}),
    st.booleans().map(lambda b: {"BOOL": b}),
    st.just({"NULL": True}),
    st.sampled_from((b"a", b"\x00")).map(lambda b: {"B": b}),
    st.lists(st.sampled_from(("same", "other", "x")), min_size=1, max_size=3, unique=True).map(lambda v: {"SS": v}),
    st.lists(st.sampled_from(("1", "2")), min_size=1, max_size=2, unique=True).map(lambda v: {"NS": v}),
)
_values = st.recursive(_scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=3).map(lambda v: {"L": v}),
    st.dictionaries(st.sampled_from(("a", "b", "x")), inner, max_size=3).map(lambda v: {"M": v})), max_leaves=6)
_sets = st.lists(st.sampled_from(("same", "other", "x")), min_size=1, max_size=3, unique=True).map(lambda v: {"SS": v})
_items = st.fixed_dictionaries({}, optional={  # often a list, a map and a set, which updates change in place
    "a0": st.one_of(st.lists(_values, max_size=3).map(lambda v: {"L": v}), _values),
    "a1": st.one_of(st.dictionaries(st.sampled_from(("a", "x")), _values, max_size=2).map(lambda v: {"M": v}), _values),
    "a2": st.one_of(_sets, _values)})
_keys = st.sampled_from(("p", "q", "r"))
_updates = st.sampled_from((
    ("SET a0 = :v", True), ("SET a1 = a0", False), ("REMOVE a0", False), ("ADD a2 :ss", False),
    ("DELETE a2 :ss", False), ("SET a0.a = :v", True), ("SET a0[0] = :v", True), ("SET a1.x.a = :v", True),
    ("SET a0 = list_append(a0, :l)", False), ("REMOVE a1.a, a0[0]", False), ("SET a2 = :v, a0.b = :v", True),
))


@st.composite
def _operation(draw: st.DrawFn) -> tuple[str, dict[str, Any]]:
    kind = draw(st.sampled_from(("put", "update", "update", "update", "get", "scan")))
    pk = draw(_keys)
    if kind == "put":
        return "put_item", {"TableName": "@", "Item": {**_key(pk), **draw(_items)}, "ReturnValues": "ALL_OLD"}
    if kind == "update":
        expression, takes_value = draw(_updates)
        values: dict[str, Any] = {":ss": {"SS": ["same", "x"]}} if ":ss" in expression else {}
        if takes_value:
            values[":v"] = draw(_values)
        if ":l" in expression:
            values[":l"] = {"L": [draw(_scalars)]}
        params = {"TableName": "@", "Key": _key(pk), "UpdateExpression": expression, "ReturnValues": "ALL_NEW"}
        return "update_item", {**params, **({"ExpressionAttributeValues": values} if values else {})}
    if kind == "get":
        return "get_item", {"TableName": "@", "Key": _key(pk)}
    return "scan", {"TableName": "@", "ConsistentRead": True}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(initial=_items, operations=st.lists(_operation(), min_size=1, max_size=8))
def test_random_items_and_changes_answer_as_moto_does(
        lockstep: Any, initial: dict[str, Any], operations: list[tuple[str, dict[str, Any]]]) -> None:
    for pk in "pqr":  # three items with equal values: whatever is shared, a change to one must not show in another
        lockstep("put_item", TableName="@", Item={**_key(pk), **initial})
    for method, params in [*operations, *(("get_item", {"TableName": "@", "Key": _key(pk)}) for pk in "pqr")]:
        lockstep(method, **params)
    for pk in "pqr":
        lockstep("delete_item", TableName="@", Key=_key(pk))


def test_items_stored_before_install_or_uninstall_answer_the_same(patched: None) -> None:
    from moto import mock_aws
    from moto.dynamodb.models import dynamo_type, dynamodb_backends

    with mock_aws():
        ddb = ddb_client()
        table = create_table(ddb)
        emulator.uninstall()
        try:
            for pk in ("a", "b"):
                ddb.put_item(TableName=table, Item={**_key(pk), **RICH})
            before = ddb.scan(TableName=table, ConsistentRead=True)["Items"]
        finally:
            emulator.install()  # turns the stored items' values into the slotted class
        stored = dynamodb_backends[ACCOUNT]["eu-west-1"].tables[table]
        assert all(type(item.attrs["m"].value["x"]) is dynamo_type.DynamoType
                   for bucket in stored.items.values() for item in bucket.values())
        assert ddb.scan(TableName=table, ConsistentRead=True)["Items"] == before
        ddb.update_item(TableName=table, Key=_key("a"), UpdateExpression="SET m.x = :v ADD ss :z",
                        ExpressionAttributeValues={":v": {"S": "v"}, ":z": {"SS": ["z"]}})
        after = ddb.get_item(TableName=table, Key=_key("a"))["Item"]
        emulator.uninstall()
        try:
            assert ddb.get_item(TableName=table, Key=_key("a"))["Item"] == after
            assert ddb.get_item(TableName=table, Key=_key("b"))["Item"] == before[1]
            ddb.update_item(TableName=table, Key=_key("b"), UpdateExpression="SET n = n + :one",
                            ExpressionAttributeValues={":one": {"N": "1"}})
        finally:
            emulator.install()
        assert ddb.get_item(TableName=table, Key=_key("b"))["Item"]["n"] == {"N": "2.50"}
