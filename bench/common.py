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
