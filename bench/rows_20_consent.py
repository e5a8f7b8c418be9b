"""Consent benchmarks: DynamoDB round trips per consent event (goal: 1) and time per event (median / p99), on
in-process moto provisioned from infra/template.json.  Run alone with `python -m bench.rows_20_consent`.

moto's TransactWriteItems deep-copies the whole table (for rollback) on every call, so its cost grows with the
table, which real DynamoDB's does not: the items an event wrote are deleted after each timed event (untimed), so
every event is measured against the same small table.  Round trips are counted inside the timed call only."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from bench.common import NOW, RoundTrips, Row, measure, moto_container

ANONYMOUS_EVENTS = 80
CUSTOMER_EVENTS = 40
READS = 100
HTTP_EVENTS = 40


class Counted:
    """Round trips made inside the timed operations only (cleanup between them is not counted)."""

    def __init__(self, trips: RoundTrips) -> None:
        self.trips = trips
        self.count = 0
        self.calls = 0
        self.kinds: set[str] = set()

    def __call__(self, operation: Callable[[int], Any]) -> Callable[[int], Any]:
        def counted(i: int) -> Any:
            self.trips.reset()
            result = operation(i)
            self.count += self.trips.count
            self.calls += 1
            self.kinds.update(op.rsplit(".", 1)[-1] for op in self.trips.operations)
            return result

        return counted

    def note(self, what: str) -> str:
        per = self.count / self.calls if self.calls else 0.0
        return f"DynamoDB round trips per {what}: {per:.2f} ({', '.join(sorted(self.kinds))}); goal 1"


def _forget(container: Any, holder: str) -> None:
    """Delete a holder's consent items (a Query by key, never a Scan)."""
    from chalicelib.storage.consent import consent_pk

    table = container.table
    for item in list(table.query_all(key_condition="pk = :pk", values={":pk": consent_pk(holder)}, now=0,
                                     consistent=True)):
        table.delete(item["pk"], item["sk"])


def rows() -> list[Row]:
    """The rows, with the service's INFO logs silenced (one line per event would drown the table)."""
    from chalicelib.observability import logger

    level = logger.log_level
    logger.setLevel("WARNING")
    try:
        return _rows()
    finally:
        logger.setLevel(level)


def _rows() -> list[Row]:
    from chalicelib.domain.consent import Choices, ProofContext, holder_for_visitor
    from chalicelib.services.record_consent import ConsentCommand, ConsentRules, Owner, read_consent, record_consent

    found: list[Row] = []
    context = ProofContext(gpc=True, country="EE", ip_prefix="203.0.113.0", user_agent_family="Firefox")
    command = ConsentCommand("custom", Choices(preferences=True, analytics=True, marketing=True), "2026-05", "banner",
                             "sha256:0123456789abcdef", "et-EE")
    with moto_container() as container:
        repo, rules = container.consent, ConsentRules.of(container)
        holders = [holder_for_visitor(f"bench-visitor-{i:06d}", container.pepper) for i in range(ANONYMOUS_EVENTS)]
        trips = RoundTrips(container.table.client)

        counted = Counted(trips)
        timing = measure(counted(lambda i: record_consent(repo, command, context, holder=holders[i],
                                                                   now=NOW + i, rules=rules)),
                         ANONYMOUS_EVENTS, cleanup=lambda i: _forget(container, holders[i]))
        found.append(timing.row("consent: record event (anonymous visitor, service)", counted.note("event")))

        owner = Owner(container.subject_for_email("bench.customer@example.org"), "57")
        record_consent(repo, command, context, holder=holders[0], now=NOW, rules=rules, owner=owner)  # key made
        _forget(container, holders[0])
        counted = Counted(trips)
        timing = measure(counted(lambda i: record_consent(repo, command, context, holder=holders[i],
                                                                   now=NOW + i, rules=rules, owner=owner)),
                         CUSTOMER_EVENTS, cleanup=lambda i: _forget(container, holders[i]))
        found.append(timing.row("consent: record event (logged-in customer, key cached)",
                                counted.note("event") + "; sealed ledger + link"))

        for i in range(20):
            record_consent(repo, command, context, holder=holders[i], now=NOW, rules=rules)
        counted = Counted(trips)
        timing = measure(counted(lambda i: read_consent(repo, holders[i % 20], now=NOW + 1000, rules=rules)), READS)
        found.append(timing.row("consent: read current state (service)", counted.note("read")))

        found.append(_http_row(container, trips))
    return found


def _http_row(container: Any, trips: RoundTrips) -> Row:
    """The whole POST /consent path (chalice routing, middleware, CORS, pydantic, service) through the test client."""
    from chalice.test import Client

    from app import app
    from chalicelib.domain.consent import holder_for_visitor

    headers = {"Content-Type": "application/json", "Origin": "https://store.example", "Sec-GPC": "1",
               "User-Agent": "Mozilla/5.0 Firefox/133.0"}
    with Client(app, stage_name="local") as client:
        counted = Counted(trips)

        def post(i: int) -> None:
            body = json.dumps({"visitor_id": f"bench-http-{i:06d}", "action": "accept_all",
                               "policy_version": "2026-05"})
            response = client.http.post("/consent", body=body, headers=headers)
            if response.status_code != 201:
                raise RuntimeError(f"POST /consent answered {response.status_code}")

        timing = measure(counted(post), HTTP_EVENTS, cleanup=lambda i: _forget(
            container, holder_for_visitor(f"bench-http-{i:06d}", container.pepper)))
    return timing.row("consent: POST /consent (handler, in-process)", counted.note("request"))


if __name__ == "__main__":
    for row in rows():
        print(f"{row.benchmark:58} n={row.n:4} median={row.median_ms:7.2f} ms p99={row.p99_ms:7.2f} ms "
              f"peak={row.peak_mib:6.2f} MiB  {row.notes}")
