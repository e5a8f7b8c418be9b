"""Data subject rights benchmarks: export and erasure of a subject with 10, 1 000 and 10 000 items (time, peak
Python heap, DynamoDB round trips), and the same for a 10-item subject next to 10 000 items of another subject
(the work must not grow with other subjects' data: subject_index queries, never a Scan).
All three sizes run by default (about ten minutes on the emulator); BENCH_QUICK=1 skips the 10 000-item rows.
In-process moto provisioned from infra/template.json.  Run alone with `python -m bench.rows_30_rights`."""

from __future__ import annotations

import os
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

from bench.common import NOW, RoundTrips, Row, moto_container

# moto serialises every item of a query response in pure Python: the 10 000-item rows take minutes;
# BENCH_QUICK=1 leaves them out for a quick look.  Whether the largest jobs fit their function: rows_35_budgets.
FULL = os.environ.get("BENCH_QUICK") != "1"
SIZES = (10, 1_000, 10_000) if FULL else (10, 1_000)
OTHERS = 10_000 if FULL else 2_000
DAY = 86_400


def _seed(container: Any, address: str, count: int) -> str:
    """`count` subject items (1 in 10 an order, kept anonymised at erasure; the rest deleted), 25 per call."""
    from chalicelib.domain.retention import Category
    from chalicelib.storage.attributes import to_attributes
    from chalicelib.storage.subject_items import retention_attributes, subject_link

    subject = container.subject_for_email(address)
    cipher = container.vault.cipher_for_writing(subject)
    client, name = container.table.client, container.table.name
    batch: list[dict[str, Any]] = []
    for n in range(count):
        order = n % 10 == 0
        pk = f"{'ORDER' if order else 'EVENT'}#{subject[:12]}{n:06d}"
        category = Category.ORDER if order else Category.ANALYTICS
        item = {"pk": pk, "sk": "ITEM", **subject_link(subject, "order" if order else "analytics_event", f"{n:06d}"),
                **retention_attributes(container.policy, category, NOW - DAY, pk, "ITEM"),
                "data": {"n": n, "total": "10.00", "customer_id": "57"}, "created_at": NOW - DAY,
                "updated_at": NOW - DAY,
                "sealed": {"billing": cipher.seal_json("billing", {"first_name": "Jana", "email": address,
                                                                   "phone": "+49 30 1234567"})}}
        batch.append({"PutRequest": {"Item": to_attributes(item)}})
        if len(batch) == 25:
            client.batch_write_item(RequestItems={name: batch})
            batch = []
    if batch:
        client.batch_write_item(RequestItems={name: batch})
    return subject


def _timed(operation: Callable[[], Any], *, trace: bool) -> tuple[float, float | None]:
    """Wall time, and the Python heap's peak when `trace` (tracemalloc slows moto down three times: only the
    10-item rows trace; a traced run measured 20 MiB for a 1 000-item export and 30 MiB for its erasure)."""
    if not trace:
        started = time.perf_counter()
        operation()
        return (time.perf_counter() - started) * 1000, None
    tracemalloc.start()
    started = time.perf_counter()
    try:
        operation()
        elapsed = (time.perf_counter() - started) * 1000
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return elapsed, peak / (1024 * 1024)


def _run(container: Any, address: str, items: int, label: str, note: str = "") -> list[Row]:
    from chalicelib.services import privacy_requests as service
    from chalicelib.services.export_subject import export_subject

    subject = _seed(container, address, items)
    trips = RoundTrips(container.table.client)
    trace = items <= 10
    ms, peak = _timed(lambda: export_subject(container, subject=subject, request_id=f"bench{items}", now=NOW),
                      trace=trace)
    export_trips = trips.count
    found = [Row(f"rights: export subject ({label})", 1, ms, ms, peak,
                 f"{items} items; DynamoDB round trips {export_trips} (subject_index pages of 250)")]
    submitted = service.submit_request(container, email=address, request_type="deletion", channel="account",
                                       received_at=NOW, needs_verification=False)
    request = service.get_request(container, submitted.request_id, now=NOW)
    trips.reset()
    ms, peak = _timed(lambda: service.execute_deletion(container, request, now=NOW), trace=trace)
    found.append(Row(f"rights: erase subject ({label})", 1, ms, ms, peak,
                     f"{items} items; DynamoDB round trips {trips.count} (plan pass + BatchWriteItem of 25 + steps)"
                     + note))
    container.table.client.meta.events.unregister("before-send.dynamodb", trips._on_send)
    return found


def rows() -> list[Row]:
    found: list[Row] = []
    for size in SIZES:
        with moto_container() as container:
            found.extend(_run(container, f"bench.{size}@example.org", size, f"{size} items"))
    with moto_container() as container:
        _seed(container, "someone.else@example.org", OTHERS)
        found.extend(_run(container, "bench.small@example.org", 10, f"10 items, {OTHERS} of another subject",
                          "; round trips and time do not grow with the other subject's items"))
    return found


if __name__ == "__main__":
    from bench.__main__ import table

    print(table(rows()))
