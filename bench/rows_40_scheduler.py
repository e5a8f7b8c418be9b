"""Scheduler and mail benchmarks (in-process moto).

- retention run: the same 1 000 due items among 10 000 and then 100 000 live items (not due); time and DynamoDB
  round trips of one scheduled run must not grow with the live items (the due_index is queried, never scanned);
- inbound mail: privacy@ messages ingested per second (parse, classify, request, reply through SES, correspondence).

    python -m bench.rows_40_scheduler
"""

from __future__ import annotations

import statistics
import time
from typing import Any

from bench.common import NOW, RoundTrips, Row, moto_container, timed

DUE = 1_000
SIZES = (10_000, 100_000)
MAIL_MESSAGES = 20




def row(name: str, samples: list[float], notes: str, **figures: Any) -> Row:
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, max(0, round(0.99 * len(ordered)) - 1))]
    return Row(name, len(samples), statistics.median(samples), p99, None, notes, **figures)


def _seed(container: Any, items: list[dict[str, Any]]) -> None:
    from chalicelib.storage.attributes import to_attributes

    client = container.table.client
    for start in range(0, len(items), 25):
        requests = [{"PutRequest": {"Item": to_attributes(item)}} for item in items[start:start + 25]]
        pending: dict[str, Any] = {container.table.name: requests}
        while pending:
            pending = client.batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}


def _live(container: Any, first: int, count: int) -> list[dict[str, Any]]:
    from chalicelib.domain.retention import Category
    from chalicelib.storage.subject_items import retention_attributes

    return [{"pk": f"ORDER#{n}", "sk": "ORDER", "data": {"total": "10.00"},
             **retention_attributes(container.policy, Category.ORDER, NOW, f"ORDER#{n}", "ORDER")}
            for n in range(first, first + count)]


def _due(container: Any, tag: str) -> list[dict[str, Any]]:
    from chalicelib.domain.retention import DAY, Category
    from chalicelib.storage.subject_items import retention_attributes

    start = NOW - 183 * DAY
    return [{"pk": f"PV#{tag}#{n}", "sk": "PV", "data": {"path": "/"},
             **retention_attributes(container.policy, Category.ANALYTICS, start, f"PV#{tag}#{n}", "PV")}
            for n in range(DUE)]


def retention_rows() -> list[Row]:
    from chalicelib.services.retention_run import run_scheduled_job

    rows: list[Row] = []
    with moto_container() as container:
        live = 0
        for size in SIZES:
            _seed(container, _live(container, live, size - live))
            live = size
            _seed(container, _due(container, str(size)))
            trips = RoundTrips(container.table.client)
            started = time.perf_counter()
            report = run_scheduled_job(container, dry_run=False)
            samples = [(time.perf_counter() - started) * 1000]
            deleted = report.counts.get("analytics", {}).get("deleted", 0)
            assert deleted == DUE, report.as_dict()
            scans = sum(op.endswith(".Scan") for op in trips.operations)
            rows.append(row(f"retention run: {DUE} due among {size:,} live items", samples,
                            f"{trips.count} DynamoDB round trips, {scans} scans, {deleted} deleted (moto: its GSI "
                            "queries walk the whole table, so wall time here grows; round trips do not)",
                            items=size, round_trips=float(trips.count)))
    return rows


def mail_rows() -> list[Row]:
    from chalicelib import aws
    from chalicelib.payloads.ses import parse_notification
    from chalicelib.services.ingest_mail import ingest_notification
    from tests.fakes.inbound_mail import MAIL, notification, ses_headers

    template = (MAIL / "plain-deletion-en.eml").read_bytes()
    with moto_container() as container:
        settings = container.settings
        notes = []
        for n in range(MAIL_MESSAGES):
            message_id = f"bench{n:08d}"
            key = f"{settings.inbound_prefix}{message_id}"
            raw = template.replace(b"jana.mueller@example.org", f"bench.{n}@example.org".encode())
            aws.s3().put_object(Bucket=settings.inbound_bucket, Key=key, Body=ses_headers(message_id) + raw)
            notes.append(parse_notification(notification(message_id, settings.inbound_bucket, key)))
        outcomes: list[str] = []
        started = time.perf_counter()
        samples = timed(lambda i: outcomes.append(ingest_notification(container, notes[i]).outcome), MAIL_MESSAGES)
        per_second = MAIL_MESSAGES / (time.perf_counter() - started)
        assert outcomes == ["answered"] * MAIL_MESSAGES, outcomes
    return [row("inbound mail ingested and answered (per message)", samples,
                f"≈ {per_second:.1f} messages/s (parse, classify, request, SES reply, correspondence)")]


def rows() -> list[Row]:
    return retention_rows() + mail_rows()


if __name__ == "__main__":
    for row in rows():
        print(row)
