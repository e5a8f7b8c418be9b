"""Shared benchmark helpers: a Row of the printed table, timing with peak memory, DynamoDB round-trip counting and
an in-process moto environment provisioned from infra/template.json (the same definition as production), with the
emulator's patch installed (`emulator.install()`, as in `make serve` and the tests)."""

from __future__ import annotations

import json
import os
import statistics
import time
import tracemalloc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
NOW = 1_795_435_200  # the benchmarks run on a fixed clock (2026-11-23T12:00:00Z)


@dataclass
class Row:
    benchmark: str
    n: int
    median_ms: float | None
    p99_ms: float | None
    peak_mib: float | None
    notes: str = ""
    # Structured figures for bench/plot.py and bench/costs.py (written by BENCH_JSON=path, not printed):
    items: int | None = None  # the table's or subject's size for scaling rows
    round_trips: float | None = None  # DynamoDB round trips per operation
    calls: dict[str, float] | None = None  # AWS API calls per operation, by service ("dynamodb", "kms", ...)


@dataclass
class Timing:
    samples_ms: list[float]
    peak_mib: float

    @property
    def median(self) -> float:
        return statistics.median(self.samples_ms)

    @property
    def p99(self) -> float:
        ordered = sorted(self.samples_ms)
        return ordered[min(len(ordered) - 1, max(0, round(0.99 * len(ordered)) - 1))]

    def row(self, name: str, notes: str = "") -> Row:
        return Row(name, len(self.samples_ms), self.median, self.p99, self.peak_mib, notes)


def measure(operation: Callable[[int], Any], n: int, cleanup: Callable[[int], Any] | None = None) -> Timing:
    """Run operation(i) n times; per-call wall time and the Python heap's peak (tracemalloc) over the run.
    `cleanup(i)`, if given, runs after each call, untimed."""
    samples: list[float] = []
    tracemalloc.start()
    try:
        for i in range(n):
            started = time.perf_counter()
            operation(i)
            samples.append((time.perf_counter() - started) * 1000)
            if cleanup is not None:
                cleanup(i)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return Timing(samples, peak / (1024 * 1024))


class RoundTrips:
    """Counts DynamoDB API calls (round trips) made through a botocore client, via its event hooks."""

    def __init__(self, client: Any) -> None:
        self.count = 0
        self.operations: list[str] = []
        client.meta.events.register("before-send.dynamodb", self._on_send)

    def _on_send(self, request: Any = None, **_: Any) -> None:
        self.count += 1
        target = (getattr(request, "headers", {}) or {}).get("X-Amz-Target", b"")
        self.operations.append(target.decode() if isinstance(target, bytes) else str(target))

    def reset(self) -> None:
        self.count = 0
        self.operations = []


def stage_env(stage: str = "local") -> dict[str, str]:
    config = json.loads((ROOT / ".chalice" / "config.json").read_text())
    env = dict(config.get("environment_variables", {}))
    env.update(config["stages"][stage].get("environment_variables", {}))
    return env


@contextmanager
def moto_container() -> Iterator[Any]:
    """A Container (FixedClock at NOW) over in-process moto with every resource provisioned."""
    from moto import mock_aws

    import emulator
    from chalicelib import aws
    from chalicelib.container import Container, set_container
    from chalicelib.domain.clock import FixedClock
    from chalicelib.settings import get_settings
    from infra.provision import provision

    saved = dict(os.environ)
    os.environ.update(stage_env("local"))
    os.environ.update({"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"})
    os.environ.pop("AWS_ENDPOINT_URL", None)
    get_settings.cache_clear()
    aws.reset_clients()
    emulator.install()  # moto as the local stack runs it (see docs/local-stack.md)
    try:
        with mock_aws():
            provision()
            container = Container(get_settings(), FixedClock(NOW))
            set_container(container)
            yield container
    finally:
        set_container(None)
        aws.reset_clients()
        get_settings.cache_clear()
        os.environ.clear()
        os.environ.update(saved)


def timed(operation: Callable[[int], Any], n: int) -> list[float]:
    """Wall time per call in ms, without tracemalloc (it slows moto several-fold; peak memory is not reported)."""
    samples = []
    for i in range(n):
        started = time.perf_counter()
        operation(i)
        samples.append((time.perf_counter() - started) * 1000)
    return samples


SERVICES = ("dynamodb", "kms", "s3", "ses", "sqs", "sns")
KIB = 1024


def attribute_size(value: dict[str, Any]) -> int:
    """The size DynamoDB bills for one typed attribute value (its documented item-size rules, to the byte for
    strings, binaries and containers; numbers as 1 byte per two significant digits + 1)."""
    (kind, inner), = value.items()
    if kind == "S":
        return len(inner.encode())
    if kind == "N":
        return len(inner.lstrip("-").replace(".", "").lstrip("0")) // 2 + 2
    if kind == "B":
        return len(inner) if isinstance(inner, bytes) else len(str(inner).encode())
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "M":
        return 3 + sum(len(name.encode()) + attribute_size(child) + 1 for name, child in inner.items())
    if kind == "L":
        return 3 + sum(attribute_size(child) + 1 for child in inner)
    return sum(len(str(member).encode()) for member in inner)  # SS, NS, BS


def item_size(item: dict[str, Any]) -> int:
    return sum(len(name.encode()) + attribute_size(value) for name, value in item.items())


def _write_units(item: dict[str, Any] | None) -> int:
    return max(1, -(-item_size(item) // KIB)) if item else 1  # an update/delete/check: 1 KB assumed


def index_projections() -> dict[str, tuple[list[str], str]]:
    """Global secondary indexes of infra/template.json: partition key attribute -> (key attributes, projection)."""
    template = json.loads((ROOT / "infra" / "template.json").read_text())
    found: dict[str, tuple[list[str], str]] = {}
    for resource in template["Resources"].values():
        if resource["Type"] == "AWS::DynamoDB::Table":
            for index in resource["Properties"].get("GlobalSecondaryIndexes", []):
                keys = [key["AttributeName"] for key in index["KeySchema"]]
                found[keys[0]] = (keys, index["Projection"]["ProjectionType"])
    return found


def index_write_units(item: dict[str, Any], indexes: dict[str, tuple[list[str], str]]) -> int:
    """A put of an item carrying an index's key also writes that index (1 WRU per KB of the projected item; the
    table's own keys are projected too)."""
    units = 0
    for partition_key, (keys, projection) in indexes.items():
        if partition_key in item:
            projected = item if projection == "ALL" else {k: item[k] for k in ("pk", "sk", *keys) if k in item}
            units += _write_units(projected)
    return units


def _read_units(items: list[dict[str, Any]], consistent: bool) -> float:
    units = max(1, -(-sum(item_size(item) for item in items) // (4 * KIB)))
    return float(units) if consistent else units / 2


class AwsCalls:
    """Counts the AWS API calls the app makes, by service and operation, through botocore event hooks on the app's
    own (cached) clients, and estimates DynamoDB's on-demand request units from each call's own parameters (writes:
    1 per KB of the item written, 2 in a transaction, + 1 per KB projected into each index whose key the item
    carries; an update, delete or condition check: 1 KB assumed, their index writes not counted) and
    answer (reads: 1 per 4 KB returned, half when eventually consistent): the input of bench/costs.py.  A cancelled
    transaction is counted as billed in full (the conservative reading)."""

    def __init__(self) -> None:
        from chalicelib import aws

        self.calls: list[str] = []
        self.write_units = 0.0
        self.read_units = 0.0
        self._consistent = False
        self._indexes = index_projections()
        self._clients = [aws.client(service) for service in SERVICES]
        for client in self._clients:
            client.meta.events.register("before-send", self._on_send)
        self._clients[0].meta.events.register("before-parameter-build.dynamodb", self._on_params)
        self._clients[0].meta.events.register("after-call.dynamodb", self._on_answer)

    def _on_send(self, event_name: str = "", **_: Any) -> None:
        self.calls.append(event_name.removeprefix("before-send."))  # "dynamodb.TransactWriteItems"

    def _on_params(self, params: dict[str, Any], model: Any, **_: Any) -> None:
        name = model.name
        self._consistent = bool(params.get("ConsistentRead"))
        puts: list[dict[str, Any]] = []
        if name == "PutItem":
            self.write_units += _write_units(params["Item"])
            puts.append(params["Item"])
        elif name in ("UpdateItem", "DeleteItem"):
            self.write_units += 1
        elif name == "BatchWriteItem":
            for requests in params["RequestItems"].values():
                self.write_units += sum(_write_units(r.get("PutRequest", {}).get("Item")) for r in requests)
                puts += [r["PutRequest"]["Item"] for r in requests if "PutRequest" in r]
        elif name == "TransactWriteItems":
            self.write_units += sum(2 * _write_units(entry.get("Put", {}).get("Item"))
                                    for entry in params["TransactItems"])
            puts += [entry["Put"]["Item"] for entry in params["TransactItems"] if "Put" in entry]
        self.write_units += sum(index_write_units(item, self._indexes) for item in puts)

    def _on_answer(self, parsed: dict[str, Any], model: Any, **_: Any) -> None:
        name = model.name
        if name == "GetItem":
            self.read_units += _read_units([parsed["Item"]] if parsed.get("Item") else [], self._consistent)
        elif name == "Query":
            self.read_units += _read_units(parsed.get("Items", []), self._consistent)
        elif name == "BatchGetItem":
            for items in parsed.get("Responses", {}).values():
                self.read_units += sum(_read_units([item], True) for item in items)
        elif name == "TransactGetItems":
            self.read_units += sum(2 * _read_units([r["Item"]], True) for r in parsed.get("Responses", [])
                                   if r.get("Item"))

    def reset(self) -> None:
        self.calls = []
        self.write_units = self.read_units = 0.0

    def close(self) -> None:
        for client in self._clients:
            client.meta.events.unregister("before-send", self._on_send)
        self._clients[0].meta.events.unregister("before-parameter-build.dynamodb", self._on_params)
        self._clients[0].meta.events.unregister("after-call.dynamodb", self._on_answer)

    def by_service(self, per: int = 1) -> dict[str, float]:
        counts: dict[str, float] = {}
        for call in self.calls:
            service = call.split(".", 1)[0]
            counts[service] = counts.get(service, 0) + 1 / per
        counts["dynamodb_wru"] = self.write_units / per
        counts["dynamodb_rru"] = self.read_units / per
        return {service: round(value, 2) for service, value in sorted(counts.items())}

    def operations(self) -> str:
        seen: dict[str, int] = {}
        for call in self.calls:
            seen[call] = seen.get(call, 0) + 1
        return ", ".join(f"{name} {count}" for name, count in sorted(seen.items()))
