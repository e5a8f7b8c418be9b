"""install() is idempotent and reversible, refuses an untested moto, and `python -m emulator.server` serves with the
patch installed (a real process on 127.0.0.1, a free port, always stopped)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from typing import Any

import pytest

import emulator
from emulator import moto_dynamodb
from tests.conftest import ROOT
from tests.emulator.conftest import create_table, ddb_client


def _methods() -> dict[str, Any]:
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.models.dynamo_type import Item
    from moto.dynamodb.models.table import StreamRecord, Table
    from moto.dynamodb.responses import DynamoHandler
    from moto.dynamodbstreams.responses import DynamoDBStreamsHandler

    return {"handler.call_action": DynamoHandler.__dict__.get("call_action"),
            "handler.transact": DynamoHandler.__dict__.get("transact_write_items"),
            "streams.call_action": DynamoDBStreamsHandler.__dict__.get("call_action"),
            "backend.transact": DynamoDBBackend.__dict__.get("transact_write_items"),
            "table.get_item": Table.__dict__.get("get_item"), "table.delete_item": Table.__dict__.get("delete_item"),
            "item.new": Item.__dict__.get("__new__"), "record.new": StreamRecord.__dict__.get("__new__"),
            "item.init": Item.__dict__.get("__init__")}


def test_install_is_idempotent_and_uninstall_puts_moto_back() -> None:
    was = emulator.installed()
    emulator.uninstall()
    try:
        pristine = _methods()
        emulator.install()
        patched = _methods()
        emulator.install()
        assert _methods() == patched
        assert all(patched[name] is not pristine[name] for name in pristine)
        emulator.uninstall()
        assert _methods() == pristine
        assert not emulator.installed()
    finally:
        if was:
            emulator.install()


def test_install_refuses_a_moto_it_was_not_written_for(monkeypatch: pytest.MonkeyPatch) -> None:
    import moto

    monkeypatch.setattr(moto, "__version__", "6.0.0")
    with pytest.raises(RuntimeError, match=r"moto 6\.0\.0"):
        moto_dynamodb.install()


def test_items_are_not_kept_by_the_model_registry(in_process: Any) -> None:
    from moto.dynamodb.models.dynamo_type import Item

    ddb = in_process
    table = create_table(ddb)
    for i in range(20):
        ddb.put_item(TableName=table, Item={"pk": {"S": f"p{i}"}, "sk": {"S": "1"}})
        ddb.query(TableName=table, KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": "p0"}})
    assert Item.instances_tracked == []  # type: ignore[attr-defined]


def test_stored_items_share_their_attribute_names(in_process: Any) -> None:
    from moto.dynamodb.models import dynamodb_backends

    from tests.emulator.conftest import ACCOUNT

    ddb = in_process
    table = create_table(ddb)
    for pk in ("a", "b"):
        ddb.put_item(TableName=table, Item={"pk": {"S": pk}, "sk": {"S": "1"},
                                            "nested_name": {"M": {"inner_name": {"S": pk}}}})
    items = dynamodb_backends[ACCOUNT]["eu-west-1"].tables[table].items
    first, second = (items[key][next(iter(items[key]))] for key in items)
    name_a = next(k for k in first.attrs if k == "nested_name")
    name_b = next(k for k in second.attrs if k == "nested_name")
    assert name_a is name_b
    inner_a = next(iter(first.attrs["nested_name"].value))
    inner_b = next(iter(second.attrs["nested_name"].value))
    assert inner_a is inner_b
    assert ddb.get_item(TableName=table, Key={"pk": {"S": "b"}, "sk": {"S": "1"}})["Item"]["nested_name"] == \
        {"M": {"inner_name": {"S": "b"}}}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_the_server_entry_point_serves_the_patched_dynamodb() -> None:
    port = _free_port()
    process = subprocess.Popen([sys.executable, "-m", "emulator.server", "-H", "127.0.0.1", "-p", str(port)],
                               cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    try:
        deadline = time.monotonic() + 30
        while True:
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", port)) == 0:
                    break
            assert process.poll() is None, process.stderr.read().decode() if process.stderr else ""
            assert time.monotonic() < deadline, "moto server did not start"
            time.sleep(0.1)
        ddb = ddb_client(endpoint=f"http://127.0.0.1:{port}")
        table = create_table(ddb)
        op = [{"Update": {"TableName": table, "Key": {"pk": {"S": "c"}, "sk": {"S": "1"}},
                          "UpdateExpression": "ADD n :one", "ExpressionAttributeValues": {":one": {"N": "1"}}}}]
        ddb.transact_write_items(TransactItems=op, ClientRequestToken="served")
        ddb.transact_write_items(TransactItems=op, ClientRequestToken="served")  # moto alone would apply it twice
        item = ddb.get_item(TableName=table, Key={"pk": {"S": "c"}, "sk": {"S": "1"}})["Item"]
        assert item["n"] == {"N": "1"}
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        if process.stderr:
            process.stderr.close()
