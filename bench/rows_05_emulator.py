"""The local stack's emulator under a storefront's load (moto server with `emulator.moto_dynamodb`, see
docs/local-stack.md), measured through real HTTP:

- a served stack (`scripts.serve.start` on free ports, stopped at the end): N signed WooCommerce order deliveries
  (two revisions of N*0.4 orders, 20% duplicates, shuffled) at concurrency 8; acknowledged (200), lost
  (acknowledged but the store holds an older revision, or nothing), 5xx, and the emulator's memory (VmRSS, peak
  VmHWM of its process).  Goal: 0 lost, 0 5xx, emulator under 500 MB;
- a bare emulator (`python -m emulator.server` on a free port, stopped at the end) holding the app's table
  (provisioned from infra/template.json) filled with BatchWriteItem to 1 000, 10 000 and 100 000 order-like items:
  time per two-item TransactWriteItems (a conditional order put and its PayPal reference, as the app writes them)
  and the emulator's memory at each size.  Goal: time flat (within 2x) from 1 000 to 100 000 items.

BENCH_QUICK=1 leaves out the 100 000-item row (its fill takes about a minute).  Run alone with
`python -m bench rows_05`.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from bench.common import ROOT, Row

FULL = os.environ.get("BENCH_QUICK") != "1"
DELIVERIES = 500
DUPLICATES = 0.2
CONCURRENCY = 8
SIZES = (1_000, 10_000, 100_000) if FULL else (1_000, 10_000)
TRANSACTIONS = 200  # per size
FILL_THREADS = 4
ORDER = json.loads((ROOT / "tests" / "events" / "woocommerce" / "order.created.payload.json").read_text())
SECRET_NAME = "WOOCOMMERCE_WEBHOOK_SECRET"


def rows() -> list[Row]:
    return [*_deliveries(), *_transactions()]


# -- memory of a process --------------------------------------------------------------------------------------

def memory_mib(pid: int) -> tuple[float, float]:
    """(VmRSS, VmHWM) of a process, in MiB, from /proc/<pid>/status."""
    values = {"VmRSS": 0.0, "VmHWM": 0.0}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, rest = line.partition(":")
        if name in values:
            values[name] = int(rest.split()[0]) / 1024
    return values["VmRSS"], values["VmHWM"]


def _percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, max(0, round(0.99 * len(ordered)) - 1))]


# -- (a) signed deliveries against a served stack ------------------------------------------------------------

def _signature(body: bytes, secret: str) -> str:
    import base64
    import hashlib
    import hmac

    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def delivery_plan(count: int, seed: int = 5) -> list[tuple[int, int, bytes]]:
    """`count` deliveries: (order id, modified epoch, body).  Each order has two revisions an hour apart (the
    second completes it); DUPLICATES of the deliveries are exact repeats; all shuffled."""
    from chalicelib.domain.clock import parse_iso

    rng = random.Random(seed)
    unique = round(count * (1 - DUPLICATES))
    orders = unique // 2
    base = int(time.time()) % 1_000_000 * 1_000  # fresh ids on every run
    plan: list[tuple[int, int, bytes]] = []
    for n in range(orders):
        ident = 7_000_000_000 + base + n
        for revision, (status, modified) in enumerate((("processing", "2026-11-20T10:00:00"),
                                                        ("completed", "2026-11-20T11:00:00"))):
            payload = {**ORDER, "id": ident, "status": status, "date_modified_gmt": modified,
                       "order_key": f"wc_order_{ident}", "number": str(ident)}
            if revision:
                payload["date_completed_gmt"] = modified
            plan.append((ident, int(parse_iso(modified)), json.dumps(payload).encode()))
    plan += [rng.choice(plan) for _ in range(count - len(plan))]
    rng.shuffle(plan)
    return plan


def _post(url: str, body: bytes, secret: str) -> tuple[int, str, float]:
    request = urllib.request.Request(url, data=body, method="POST", headers={  # noqa: S310 (local http only)
        "Content-Type": "application/json", "X-WC-Webhook-Topic": "order.updated",
        "X-WC-Webhook-Signature": _signature(body, secret)})
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310 (local http only)
            status, answer = int(response.status), response.read()
    except urllib.error.HTTPError as error:
        status, answer = int(error.code), error.read()
    except OSError as error:  # refused, reset, timed out: counted as not acknowledged
        status, answer = 0, str(error).encode()
    elapsed = (time.perf_counter() - started) * 1000
    try:
        outcome = str(json.loads(answer).get("status", ""))
    except (ValueError, AttributeError):
        outcome = answer[:80].decode(errors="replace")
    return status, outcome, elapsed


def _stored_revisions(stack: Any, idents: set[int]) -> dict[int, int]:
    """Order id -> the modified epoch of the revision the table holds (BatchGetItem, 100 keys a call)."""
    ddb = stack.client("dynamodb")
    table = stack.env["TABLE_NAME"]
    keys = [{"pk": {"S": f"ORDER#{ident}"}, "sk": {"S": "ORDER"}} for ident in sorted(idents)]
    stored: dict[int, int] = {}
    for start in range(0, len(keys), 100):
        request: Any = {table: {"Keys": keys[start:start + 100], "ConsistentRead": True}}
        for _ in range(10):  # bounded: moto answers everything at once
            response = ddb.batch_get_item(RequestItems=request)
            for item in response["Responses"].get(table, []):
                stored[int(item["pk"]["S"].split("#", 1)[1])] = int(item["rev"]["S"].split(".", 1)[0])
            request = response.get("UnprocessedKeys") or {}
            if not request:
                break
    return stored


def _deliveries() -> list[Row]:
    from scripts.serve import start

    plan = delivery_plan(DELIVERIES)
    with tempfile.TemporaryDirectory(prefix="bench-serve-") as logs:
        stack = start(log_dir=Path(logs))
        try:
            url, secret = f"{stack.api}/webhooks/woocommerce", stack.env[SECRET_NAME]
            assert stack.moto_process is not None
            rss_before, _ = memory_mib(stack.moto_process.pid)
            started = time.perf_counter()
            with ThreadPoolExecutor(CONCURRENCY) as pool:
                answers = list(pool.map(lambda delivery: _post(url, delivery[2], secret), plan))
            wall = time.perf_counter() - started
            rss, peak = memory_mib(stack.moto_process.pid)
            acknowledged = [(ident, epoch) for (ident, epoch, _), (status, _, _) in zip(plan, answers, strict=True)
                            if status == 200]
            stored = _stored_revisions(stack, {ident for ident, _ in acknowledged})
        finally:
            stack.stop()
    lost = sum(1 for ident, epoch in acknowledged if stored.get(ident, -1) < epoch)
    server_errors = sum(1 for status, _, _ in answers if status >= 500)
    refused = sum(1 for status, _, _ in answers if status == 0)
    client_errors = sum(1 for status, _, _ in answers if 400 <= status < 500)
    outcomes: dict[str, int] = {}
    for status, outcome, _ in answers:
        if status == 200:
            outcomes[outcome] = outcomes.get(outcome, 0) + 1
    median, p99 = _percentiles([elapsed for _, _, elapsed in answers])
    notes = (f"acknowledged {len(acknowledged)} ({', '.join(f'{k} {v}' for k, v in sorted(outcomes.items()))}), "
             f"lost {lost}, 5xx {server_errors}, 4xx {client_errors}, no answer {refused}; "
             f"{len(plan) / wall:.0f} deliveries/s; emulator RSS {rss_before:.0f} -> {rss:.0f} MiB "
             f"(peak column: VmHWM); goal 0 lost, 0 5xx, < 500 MB")
    return [Row(f"emulator: signed WooCommerce deliveries, concurrency {CONCURRENCY}, 20% duplicates (served)",
                len(plan), median, p99, peak, notes)]


# -- (b) time per transaction and memory as the table grows ---------------------------------------------------

def _free_port() -> int:
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _emulator() -> tuple[subprocess.Popen[bytes], str]:
    """`python -m emulator.server` on a free port (its own process group), ready."""
    from scripts.serve import is_listening, wait_until

    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    process = subprocess.Popen([sys.executable, "-m", "emulator.server", "-H", "127.0.0.1", "-p", str(port)],
                               cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        wait_until(lambda: is_listening(port), timeout=30, what="emulator", process=process)
    except BaseException:
        _stop(process)
        raise
    return process, f"http://127.0.0.1:{port}"


def _stop(process: subprocess.Popen[bytes]) -> None:
    from scripts.serve import stop_process

    stop_process(process)


def order_item(n: int) -> dict[str, Any]:
    """An order as the app stores it (minimised data, three sealed fields, subject and due links): ~1.2 KB.  The
    sealed fields are unique per order and field, as ciphertexts are (the emulator shares equal values)."""
    def sealed(name: str) -> str:
        return "v1." + base64.b64encode(hashlib.sha512(f"{name}{n}".encode()).digest() * 2).decode()[:180]

    return {
        "pk": {"S": f"ORDER#{n}"}, "sk": {"S": "ORDER"}, "kind": {"S": "order"},
        "rev": {"S": f"{1_795_000_000 + n:012d}.1.{n:016x}"},
        "data": {"M": {"status": {"S": "completed"}, "currency": {"S": "EUR"}, "total": {"S": "54.90"},
                       "payment_method": {"S": "ppcp-gateway"}, "customer_id": {"N": str(n % 5000)},
                       "created_via": {"S": "checkout"}, "items": {"N": "3"}}},
        "sealed": {"M": {name: {"S": sealed(name)} for name in ("billing", "shipping", "customer_ip")}},
        "subject_pk": {"S": f"SUBJ#{n % 5000:064x}"}, "subject_sk": {"S": f"order#{n:012d}"},
        "due_pk": {"S": "DUE#order"}, "due_sk": {"S": f"{1_900_000_000 + n:012d}#ORDER#{n}"},
        "expires_at": {"N": str(1_900_000_000 + n)}, "created_at": {"N": "1795000000"},
        "updated_at": {"N": "1795000000"},
    }


def _fill(client_factory: Any, table: str, start: int, stop: int) -> None:
    """Items start..stop-1 with BatchWriteItem (25 a call) on FILL_THREADS threads."""
    chunks = [(s, min(stop, s + 25)) for s in range(start, stop, 25)]
    local = threading.local()

    def write(chunk: tuple[int, int]) -> None:
        if not hasattr(local, "client"):
            local.client = client_factory()
        request: Any = {table: [{"PutRequest": {"Item": order_item(n)}} for n in range(*chunk)]}
        for _ in range(10):  # bounded: moto never leaves items unprocessed
            request = local.client.batch_write_item(RequestItems=request).get("UnprocessedItems") or {}
            if not request:
                return

    with ThreadPoolExecutor(FILL_THREADS) as pool:
        list(pool.map(write, chunks))


def two_item_transaction(table: str, n: int) -> list[dict[str, Any]]:
    order = order_item(n)
    return [
        {"Put": {"TableName": table, "Item": order,
                 "ConditionExpression": "attribute_not_exists(pk) OR rev < :rev",
                 "ExpressionAttributeValues": {":rev": order["rev"]},
                 "ReturnValuesOnConditionCheckFailure": "ALL_OLD"}},
        {"Put": {"TableName": table, "Item": {"pk": {"S": f"PAYPALREF#{n}"}, "sk": {"S": "REF"},
                                              "kind": {"S": "paypal_ref"}, "data": {"M": {"order_id": {"N": str(n)}}},
                                              "expires_at": {"N": "1900000000"}},
                 "ConditionExpression": "attribute_not_exists(pk)"}},
    ]


def _transactions() -> list[Row]:
    import boto3
    from botocore.config import Config

    from infra.provision import provision
    from scripts.serve import FAKE_CREDENTIALS, REGION

    process, endpoint = _emulator()
    found: list[Row] = []
    try:
        def client() -> Any:
            session: Any = boto3.session.Session()
            return session.client("dynamodb", region_name=REGION, endpoint_url=endpoint,
                                  aws_access_key_id=FAKE_CREDENTIALS["AWS_ACCESS_KEY_ID"],
                                  aws_secret_access_key=FAKE_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
                                  config=Config(retries={"max_attempts": 1, "mode": "standard"}))

        table = provision(stage="local", endpoint=endpoint, region=REGION)["TableName"]
        ddb = client()
        filled, next_id = 0, 10_000_000
        baseline: float | None = None
        for size in SIZES:
            started = time.perf_counter()
            _fill(client, table, filled, size)
            fill_seconds = time.perf_counter() - started
            filled = size
            samples = []
            for _ in range(TRANSACTIONS):
                operations = two_item_transaction(table, next_id)
                next_id += 1
                began = time.perf_counter()
                ddb.transact_write_items(TransactItems=operations)
                samples.append((time.perf_counter() - began) * 1000)
            rss, peak = memory_mib(process.pid)
            median, p99 = _percentiles(samples)
            baseline = baseline or median
            found.append(Row(f"emulator: TransactWriteItems (2 puts) among {size:,} items".replace(",", " "),
                             len(samples), median, p99, peak,
                             f"emulator RSS {rss:.0f} MiB (peak column: VmHWM); {median / baseline:.2f}x the "
                             f"1 000-item median (goal <= 2x); filled with BatchWriteItem in {fill_seconds:.0f} s",
                             items=size, round_trips=1.0, calls={"dynamodb": 1.0}))
    finally:
        _stop(process)
    return found


if __name__ == "__main__":
    from bench.__main__ import main

    sys.exit(main(["rows_05"]))
