"""Do the largest jobs fit the function that runs them?  The largest export, erasure and retention run, measured in
this process against the emulator running in ANOTHER process (moto server with the project's patch), so that the
peak memory measured is this code's only, as in Lambda, where DynamoDB is remote:

- export and erasure of a subject with 10 000 items (BENCH_QUICK=1: 1 000): exports of more than 200 items and every
  erasure run in `scheduled_job`;
- a retention run acting on 5 000 due items (BENCH_QUICK=1: 1 000), the most one run acts on (RETENTION_BRAKE_MAX_COUNT
  stops a larger one), also in `scheduled_job`.

Each row compares its peak memory (tracemalloc's Python heap peak, and the process's resident-set high-water mark,
which is what Lambda's memory limit counts) and its time with the function's memory size and time budget from
.chalice/config.json (`lambda_functions`; the run's budget is the timeout less the handler's 20 s margin).  The
emulator is slower than DynamoDB (every call is pure Python), so a time that fits here fits there.
Run alone with `python -m bench.rows_35_budgets`."""

from __future__ import annotations

import json
import os
import resource
import time
import tracemalloc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from bench.common import NOW, ROOT, Row, stage_env

FULL = os.environ.get("BENCH_QUICK") != "1"
SUBJECT_ITEMS = 10_000 if FULL else 1_000
DUE_ITEMS = 5_000 if FULL else 1_000
DAY = 86_400
MARGIN_SECONDS = 20.0  # chalicelib/handlers/scheduled.py SAFETY_MARGIN_SECONDS


def function_limits(name: str) -> tuple[int, float]:
    """(memory MB, time budget s) of a function, from .chalice/config.json."""
    config = json.loads((ROOT / ".chalice" / "config.json").read_text())["lambda_functions"][name]
    return int(config["lambda_memory_size"]), float(config["lambda_timeout"]) - MARGIN_SECONDS


def rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


@contextmanager
def served_container() -> Iterator[Any]:
    """A Container (FixedClock at NOW) on a moto server in another process, provisioned from the template."""
    from chalicelib import aws
    from chalicelib.container import Container, set_container
    from chalicelib.domain.clock import FixedClock
    from chalicelib.settings import get_settings
    from scripts.serve import Stack, free_port

    stack = Stack(api_port=free_port(), moto_port=free_port(), env=stage_env("local"))
    saved = dict(os.environ)
    try:
        stack.start_emulator()
        stack.provision()
        os.environ.update(stage_env("local"))
        os.environ.update({"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                           "AWS_ENDPOINT_URL": stack.moto})
        get_settings.cache_clear()
        aws.reset_clients()
        container = Container(get_settings(), FixedClock(NOW))
        set_container(container)
        yield container
    finally:
        set_container(None)
        aws.reset_clients()
        get_settings.cache_clear()
        os.environ.clear()
        os.environ.update(saved)
        stack.stop()


def measured(operation: Callable[[], Any]) -> tuple[float, float, float]:
    """(wall ms, Python heap peak MiB, process RSS high-water MiB) of one call."""
    tracemalloc.start()
    started = time.perf_counter()
    try:
        operation()
        elapsed = (time.perf_counter() - started) * 1000
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return elapsed, peak / (1024 * 1024), rss_mib()


def verdict(function: str, ms: float, heap: float, rss: float) -> str:
    memory, budget = function_limits(function)
    fits = rss < memory and ms / 1000 < budget
    return (f"{function}: {memory} MB, {budget:.0f} s budget; RSS high-water {rss:.0f} MiB, heap peak {heap:.1f} MiB,"
            f" {ms / 1000:.1f} s -> {'fits' if fits else 'DOES NOT FIT'}")


def _seed_subject(container: Any, address: str, count: int) -> str:
    from chalicelib.domain.retention import Category
    from chalicelib.storage.subject_items import retention_attributes, subject_link

    subject = container.subject_for_email(address)
    cipher = container.vault.cipher_for_writing(subject)
    items = []
    for n in range(count):
        order = n % 10 == 0
        pk = f"{'ORDER' if order else 'EVENT'}#{subject[:12]}{n:06d}"
        category = Category.ORDER if order else Category.ANALYTICS
        items.append({"pk": pk, "sk": "ITEM", **subject_link(subject, "order" if order else "analytics_event",
                                                              f"{n:06d}"),
                      **retention_attributes(container.policy, category, NOW - DAY, pk, "ITEM"),
                      "data": {"n": n, "total": "10.00"}, "created_at": NOW - DAY, "updated_at": NOW - DAY,
                      "sealed": {"billing": cipher.seal_json("billing", {"first_name": "Jana", "email": address})}})
    container.table.batch_write(puts=items)
    return subject


def _seed_due(container: Any, count: int) -> None:
    from chalicelib.domain.retention import Category
    from chalicelib.storage.subject_items import retention_attributes

    start = NOW - 184 * DAY
    container.table.batch_write(puts=[
        {"pk": f"PV#{n}", "sk": "PV", "data": {"path": "/"},
         **retention_attributes(container.policy, Category.ANALYTICS, start, f"PV#{n}", "PV")} for n in range(count)])


def rows() -> list[Row]:
    from chalicelib.services import privacy_requests as service
    from chalicelib.services.export_subject import export_subject
    from chalicelib.services.retention_run import run_scheduled_job

    found: list[Row] = []
    with served_container() as container:
        address = "bench.largest@example.org"
        subject = _seed_subject(container, address, SUBJECT_ITEMS)
        ms, heap, rss = measured(lambda: export_subject(container, subject=subject, request_id="largest", now=NOW))
        found.append(Row(f"budget: export of a {SUBJECT_ITEMS}-item subject (emulator in another process)", 1, ms, ms,
                         heap, verdict("scheduled_job", ms, heap, rss)))
        submitted = service.submit_request(container, email=address, request_type="deletion", channel="account",
                                           received_at=NOW, needs_verification=False, customer_id="57")
        request = service.get_request(container, submitted.request_id, now=NOW)
        ms, heap, rss = measured(lambda: service.execute_deletion(container, request, now=NOW))
        found.append(Row(f"budget: erasure of a {SUBJECT_ITEMS}-item subject (emulator in another process)", 1, ms, ms,
                         heap, verdict("scheduled_job", ms, heap, rss)))
    with served_container() as container:
        _seed_due(container, DUE_ITEMS)
        # The largest run the brake lets through: RETENTION_BRAKE_MAX_COUNT items (the share test is for tables
        # where the due items are a small part; here they are all of it).
        settings = container.settings.model_copy(update={"retention_batch_size": 100, "retention_brake_max_share": 1.0,
                                                         "retention_brake_max_count": DUE_ITEMS})
        container.settings = settings
        _, budget = function_limits("scheduled_job")
        reports: list[Any] = []
        ms, heap, rss = measured(lambda: reports.append(run_scheduled_job(container, budget_seconds=budget)))
        done = reports[0].counts.get("analytics", {}).get("deleted", 0)
        found.append(Row(f"budget: retention run acting on {DUE_ITEMS} due items (emulator in another process)", 1,
                         ms, ms, heap, f"{done} deleted, status {reports[0].status}; "
                         + verdict("scheduled_job", ms, heap, rss)))
    return found


if __name__ == "__main__":
    from bench.__main__ import table

    print(table(rows()))
