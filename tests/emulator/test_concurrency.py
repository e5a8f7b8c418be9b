"""Threads hammering a real moto server (ThreadedMotoServer, patched, 127.0.0.1, free port): every acknowledged
write is stored, no cancelled transaction leaks a write, no increment is lost, and no request fails with a 5xx."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from botocore.exceptions import ClientError

from tests.emulator.conftest import create_table, ddb_client, scan_all

THREADS = 8
ROUNDS = 40  # per thread: a transaction, a cancelled transaction every 4th round, and a plain put


def key(pk: str, sk: str = "1") -> dict[str, Any]:
    return {"pk": {"S": pk}, "sk": {"S": sk}}


def test_no_acknowledged_write_is_lost_under_concurrent_transactions(moto_server: str) -> None:
    setup = ddb_client(endpoint=moto_server)
    name = create_table(setup)
    setup.put_item(TableName=name, Item={**key("counter"), "n": {"N": "0"}})
    acknowledged: list[str] = []
    increments = [0]
    failures: list[str] = []
    lock = threading.Lock()

    def worker(thread: int) -> None:
        # max_attempts=1: no retry hides a 5xx or a transaction answered twice
        ddb = ddb_client(endpoint=moto_server, retries={"max_attempts": 1, "mode": "standard"})
        for i in range(ROUNDS):
            ident = f"w{thread}-{i}"
            try:
                ddb.transact_write_items(TransactItems=[
                    {"Put": {"TableName": name, "Item": {**key(ident, "a"), "g": {"S": "x"}},
                             "ConditionExpression": "attribute_not_exists(pk)"}},
                    {"Put": {"TableName": name, "Item": {**key(ident, "b"), "g": {"S": "x"}}}},
                    {"Update": {"TableName": name, "Key": key("counter"), "UpdateExpression": "ADD n :one",
                                "ExpressionAttributeValues": {":one": {"N": "1"}}}}])
                with lock:
                    acknowledged.extend([f"{ident}/a", f"{ident}/b"])
                    increments[0] += 1
                if i % 4 == 0:  # cancelled: its put and its increment must never show
                    try:
                        ddb.transact_write_items(TransactItems=[
                            {"Put": {"TableName": name, "Item": key(f"ghost-{ident}")}},
                            {"Update": {"TableName": name, "Key": key("counter"), "UpdateExpression": "ADD n :one",
                                        "ExpressionAttributeValues": {":one": {"N": "1"}}}},
                            {"ConditionCheck": {"TableName": name, "Key": key("absent"),
                                                "ConditionExpression": "attribute_exists(pk)"}}])
                        failures.append(f"{ident}: the cancelled transaction succeeded")
                    except ClientError as error:
                        if error.response["Error"]["Code"] != "TransactionCanceledException":
                            raise
                ddb.put_item(TableName=name, Item=key(f"plain-{ident}"))
                with lock:
                    acknowledged.append(f"plain-{ident}/1")
            except Exception as error:  # every failure is reported below
                failures.append(f"{ident}: {type(error).__name__}: {error}")

    with ThreadPoolExecutor(THREADS) as pool:
        list(pool.map(worker, range(THREADS)))

    assert failures == []
    items = scan_all(setup, name)
    stored = {f"{item['pk']['S']}/{item['sk']['S']}" for item in items}
    assert len(acknowledged) == THREADS * ROUNDS * 3
    assert set(acknowledged) - stored == set(), "acknowledged but not stored"
    assert not [s for s in stored if s.startswith("ghost-")], "a cancelled transaction's write is stored"
    counter = setup.get_item(TableName=name, Key=key("counter"))["Item"]["n"]["N"]
    assert int(counter) == increments[0] == THREADS * ROUNDS
    by_index = setup.query(TableName=name, IndexName="g_index", KeyConditionExpression="g = :g",
                           ExpressionAttributeValues={":g": {"S": "x"}}, Select="COUNT")["Count"]
    assert by_index == 2 * THREADS * ROUNDS


def test_concurrent_reads_never_see_a_half_applied_transaction(moto_server: str) -> None:
    """Each transaction moves one unit between two items; a reader sees their sum constant at every moment."""
    setup = ddb_client(endpoint=moto_server)
    name = create_table(setup)
    for pk in ("left", "right"):
        setup.put_item(TableName=name, Item={**key(pk), "n": {"N": "100"}})
    stop = threading.Event()
    sums: list[int] = []
    errors: list[str] = []

    def mover() -> None:
        ddb = ddb_client(endpoint=moto_server, retries={"max_attempts": 1, "mode": "standard"})
        for _ in range(60):
            ddb.transact_write_items(TransactItems=[
                {"Update": {"TableName": name, "Key": key("left"), "UpdateExpression": "ADD n :minus",
                            "ExpressionAttributeValues": {":minus": {"N": "-1"}}}},
                {"Update": {"TableName": name, "Key": key("right"), "UpdateExpression": "ADD n :plus",
                            "ExpressionAttributeValues": {":plus": {"N": "1"}}}}])

    def reader() -> None:
        ddb = ddb_client(endpoint=moto_server, retries={"max_attempts": 1, "mode": "standard"})
        for _ in range(2_000):  # bounded; usually stopped earlier
            if stop.is_set():
                return
            try:
                got = ddb.transact_get_items(TransactItems=[
                    {"Get": {"TableName": name, "Key": key(pk)}} for pk in ("left", "right")])["Responses"]
                sums.append(sum(int(r["Item"]["n"]["N"]) for r in got))
            except Exception as error:
                errors.append(f"{type(error).__name__}: {error}")
                return

    readers = [threading.Thread(target=reader) for _ in range(2)]
    for thread in readers:
        thread.start()
    try:
        with ThreadPoolExecutor(4) as pool:
            list(pool.map(lambda _: mover(), range(4)))
    finally:
        stop.set()
        for thread in readers:
            thread.join(timeout=30)
    assert errors == []
    assert sums and set(sums) == {200}
    final = {pk: setup.get_item(TableName=name, Key=key(pk))["Item"]["n"]["N"] for pk in ("left", "right")}
    assert final == {"left": "-140", "right": "340"}
