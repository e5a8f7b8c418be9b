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
                 f"{items} items; DynamoDB round trips {export_trips} (subject_index pages of 250)",
                 items=None if note else items, round_trips=float(export_trips))]
    submitted = service.submit_request(container, email=address, request_type="deletion", channel="account",
                                       received_at=NOW, needs_verification=False)
    request = service.get_request(container, submitted.request_id, now=NOW)
    trips.reset()
    ms, peak = _timed(lambda: service.execute_deletion(container, request, now=NOW), trace=trace)
    found.append(Row(f"rights: erase subject ({label})", 1, ms, ms, peak,
                     f"{items} items; DynamoDB round trips {trips.count} (plan pass + BatchWriteItem of 25 + steps)"
                     + note, items=None if note else items, round_trips=float(trips.count)))
    container.table.client.meta.events.unregister("before-send.dynamodb", trips._on_send)
    return found


def _propagation(requests: int = 25) -> list[Row]:
    """The scheduled `processors` step for `requests` erasures (jetkrate: GA4 and Botpress through their
    connectors, against the fake servers on 127.0.0.1 that the tests use): time, DynamoDB round trips, HTTP calls."""
    from chalicelib.adapters.http_client import UrllibHttp
    from chalicelib.adapters.processors.botpress import BotpressConnector
    from chalicelib.adapters.processors.ga4 import Ga4Connector
    from chalicelib.domain.retention import Category
    from chalicelib.policy import ROOT, load_policy
    from chalicelib.services import privacy_requests as service
    from chalicelib.services.processor_propagation import run_propagation
    from chalicelib.storage.subject_items import retention_attributes, subject_link
    from tests.fakes import processor_apis
    from tests.fakes.connectors import Connectors

    google, info, google_server = processor_apis.start_google()
    botpress, botpress_server = processor_apis.start_botpress()
    try:
        with moto_container() as container:
            container.override(store_policy=load_policy(ROOT / "policies" / "jetkrate.toml"), connectors=Connectors(
                Ga4Connector(UrllibHttp(), api_base=google.base, property_id=google.property_id,
                             service_account=info, timeout=5),
                BotpressConnector(UrllibHttp(), api_base=botpress.base, bot_id=processor_apis.BOT_ID,
                                  token=processor_apis.BOTPRESS_TOKEN, user_tag="email", timeout=5)))
            for n in range(requests):
                address = f"bench.p{n}@example.org"
                subject = _seed(container, address, 10)
                pk, sk = f"CONSENT#{subject}", "LEDGER#1"
                container.table.put({"pk": pk, "sk": sk, **subject_link(subject, "consent_event", "1"),
                                     **retention_attributes(container.policy, Category.CONSENT_LEDGER, NOW - DAY,
                                                            pk, sk),
                                     "data": {"effective": {"essential": True, "analytics": True, "support": True}},
                                     "created_at": NOW - DAY, "updated_at": NOW - DAY})
                botpress.add_user(f"chat{n}", {"email": address}, conversations=2)
                submitted = service.submit_request(container, email=address, request_type="deletion",
                                                   channel="account", received_at=NOW, needs_verification=False)
                service.execute_deletion(container, service.get_request(container, submitted.request_id, now=NOW),
                                         now=NOW)
            trips = RoundTrips(container.table.client)
            calls_before = len(botpress.seen)
            ms, peak = _timed(lambda: run_propagation(container, now=NOW + 60), trace=True)
            http = google.token_requests + len(google.deletions) + len(botpress.seen) - calls_before
            assert len(google.deletions) == requests and not botpress.users, "the connectors did not finish"
            container.table.client.meta.events.unregister("before-send.dynamodb", trips._on_send)
            return [Row(f"rights: processors step ({requests} erasures, GA4 + Botpress)", 1, ms, ms, peak,
                        f"DynamoDB round trips {trips.count} ({trips.count / requests:.1f} per erasure); HTTP calls "
                        f"{http} (1 token, {requests} GA4 upserts, Botpress: list users, list conversations, "
                        "2 conversation and 1 user deletions each); fakes on 127.0.0.1")]
    finally:
        processor_apis.stop(google_server)
        processor_apis.stop(botpress_server)


def rows() -> list[Row]:
    found: list[Row] = _propagation()
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
