"""`make load` (= `python -m load`): a storefront's traffic against the stack `make serve` runs, then a reconciliation.

1. starts a fake BitPay invoice API on 127.0.0.1 (tests/fakes/bitpay_api.py) that knows $LOAD_BITPAY_INVOICES
   invoices, a fake PayPal REST API (tests/fakes/paypal_api.py: OAuth token + verify-webhook-signature), and the
   stack of `make serve` (scripts/serve.py `start()`: moto server + `chalice local`) on free ports of 127.0.0.1,
   its BITPAY_API_BASE pointed at the first and PayPal verified in postback mode against the second;
2. runs locust headless (load/locustfile.py) for $LOAD_SECONDS seconds (default 60) with $LOAD_USERS users
   (default 8), stopping earlier after $LOAD_MAX_REQUESTS requests (default 20 000);
3. prints one table: throughput and p50/p95/p99 per route (locust's own statistics), then the reconciliation of
   what the API acknowledged against a scan of the emulator's table: every acknowledged order, PayPal event,
   Airwallex object, BitPay invoice and consent event stored exactly once (an order at its newest acknowledged
   version), every forged PayPal delivery refused, nothing of those kinds stored that was not acknowledged, and no
   5xx;
4. stops everything and exits 1 when the reconciliation fails.

Only 127.0.0.1 is ever a target; the run is bounded in time and in count.  `make load` is not part of `make test`
(tests/e2e/test_load_e2e.py runs `run()` for a few seconds and asserts the reconciliation).
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
import tempfile
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
LOCUSTFILE = Path(__file__).resolve().parent / "locustfile.py"
ROUTE_COLUMNS = ("route", "requests", "2xx", "4xx", "5xx", "req/s", "p50 ms", "p95 ms", "p99 ms")


@dataclass
class Check:
    what: str
    acknowledged: int
    stored: int
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass
class Report:
    seconds: float
    routes: list[dict[str, str]]
    codes: dict[str, Counter[int]]
    checks: list[Check]
    other_items: Counter[str]

    @property
    def server_errors(self) -> int:
        return sum(n for counts in self.codes.values() for code, n in counts.items() if code >= 500 or code == 0)

    @property
    def ok(self) -> bool:
        return self.server_errors == 0 and all(check.ok for check in self.checks) and bool(self.codes)

    def table(self) -> str:
        rows: list[tuple[str, ...]] = [ROUTE_COLUMNS]
        for stat in self.routes:
            name = stat["Name"] if stat["Name"] != "Aggregated" else "all routes"
            counts = self.codes.get(stat["Name"], Counter()) if name != "all routes" else \
                sum(self.codes.values(), Counter())
            rows.append((name, str(sum(counts.values())), str(sum(n for c, n in counts.items() if 200 <= c < 300)),
                         str(sum(n for c, n in counts.items() if 400 <= c < 500)),
                         str(sum(n for c, n in counts.items() if c >= 500 or c == 0)),
                         f"{float(stat['Requests/s']):.1f}", stat["50%"], stat["95%"], stat["99%"]))
        rows.append(("reconciliation", "acknowledged", "stored", "", "", "", "", "", "result"))
        for check in self.checks:
            rows.append((check.what, str(check.acknowledged), str(check.stored), "", "", "", "", "", "ok" if check.ok
                         else "FAILED: " + "; ".join(check.problems[:3])))
        rows.append(("no 5xx", "", "", "", str(self.server_errors), "", "", "", "ok" if not self.server_errors
                     else "FAILED"))
        widths = [max(len(row[i]) for row in rows) for i in range(len(ROUTE_COLUMNS) - 1)]
        lines = []
        for n, row in enumerate(rows):
            if row[0] == "reconciliation":
                lines.append("-" * (sum(widths) + 3 * len(widths) + 6))
            cells = (cell.rjust(width) for cell, width in zip(row[1:-1], widths[1:], strict=True))
            lines.append(" | ".join([row[0].ljust(widths[0]), *cells, row[-1]]))
            if n == 0:
                lines.append("-" * (sum(widths) + 3 * len(widths) + 6))
        derived = ", ".join(f"{prefix} {n}" for prefix, n in sorted(self.other_items.items()))
        lines.append(f"other items in the table (derived: keys, links, rate counters, requests): {derived or 'none'}")
        lines.append("RECONCILIATION " + ("PASSED" if self.ok else "FAILED"))
        return "\n".join(lines)


def _scan(client: Any, table: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {"TableName": table}
    while True:
        page = client.scan(**kwargs)
        items.extend(page["Items"])
        if "LastEvaluatedKey" not in page:
            return items
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def _exactly_once(what: str, acknowledged: set[str], stored: list[str]) -> Check:
    counts = Counter(stored)
    problems = [f"{key} not stored" for key in sorted(acknowledged - set(counts))]
    problems += [f"{key} stored but never acknowledged" for key in sorted(set(counts) - acknowledged)]
    problems += [f"{key} stored {n} times" for key, n in sorted(counts.items()) if n != 1]
    return Check(what, len(acknowledged), len(stored), problems)


def reconcile(acks: list[dict[str, Any]], items: list[dict[str, Any]]) -> tuple[list[Check], Counter[str]]:
    """What the API acknowledged against what the table holds (items in DynamoDB's JSON)."""
    def accepted(kind: str, code: int = 200) -> list[dict[str, Any]]:
        return [a for a in acks if a.get("kind") == kind and a["code"] == code]

    newest: dict[str, int] = {}
    for ack in accepted("order"):
        key = str(ack["key"])
        newest[key] = max(newest.get(key, 0), int(ack["version"]))
    by_prefix: dict[str, list[dict[str, Any]]] = {}
    other: Counter[str] = Counter()
    for item in items:
        pk, sk = item["pk"]["S"], item["sk"]["S"]
        prefix = pk.split("#", 1)[0]
        if (prefix, sk.split("#", 1)[0]) in {("ORDER", "ORDER"), ("AIRWALLEX", "STATE"), ("BITPAY", "INVOICE"),
                                             ("CONSENT", "LEDGER")}:
            by_prefix.setdefault(prefix, []).append(item)
        elif (prefix, sk) != ("PAYPAL", "EVENT"):
            other[prefix if prefix != "CONSENT" else "CONSENT state"] += 1

    orders = by_prefix.get("ORDER", [])
    order_check = _exactly_once("orders (WooCommerce)", set(newest), [i["pk"]["S"].split("#", 1)[1] for i in orders])
    for item in orders:
        key = item["pk"]["S"].split("#", 1)[1]
        stored_version = int(item["rev"]["S"].split(".", 1)[0])
        if key in newest and stored_version != newest[key]:
            order_check.problems.append(f"order {key} at version {stored_version}, newest acknowledged {newest[key]}")
    intents = {str(a["key"]) for a in accepted("airwallex")}
    invoices = {str(a["key"]) for a in accepted("bitpay")}
    consents = {str(a["answer"]["consent_id"]) for a in accepted("consent", 201)}
    paypal = _exactly_once("PayPal events", {str(a["key"]) for a in accepted("paypal")},
                           [i["pk"]["S"].split("#", 1)[1] for i in items
                            if i["pk"]["S"].startswith("PAYPAL#") and i["sk"]["S"] == "EVENT"])
    forged = [a for a in acks if a.get("kind") == "paypal_forged"]
    paypal.problems += [f"a forged PayPal delivery answered {a['code']}" for a in forged if a["code"] != 401][:3]
    return [
        order_check,
        _exactly_once("Airwallex objects", intents,
                      [i["pk"]["S"].rsplit("#", 1)[1] for i in by_prefix.get("AIRWALLEX", [])]),
        _exactly_once("BitPay invoices", invoices,
                      [i["pk"]["S"].split("#", 1)[1] for i in by_prefix.get("BITPAY", [])]),
        _exactly_once("consent events", consents,
                      [i["sk"]["S"].rsplit("#", 1)[1] for i in by_prefix.get("CONSENT", [])]),
        paypal,
    ], other


def _setting(name: str, default: int) -> int:
    value = os.environ.get(name) or str(default)
    if not value.isdigit() or int(value) <= 0:
        raise SystemExit(f"load: {name} must be a positive whole number, not {value!r}")
    return int(value)


def run(*, seconds: int, users: int, max_requests: int, wait: float = 0.05, invoices: int = 200,
        work_dir: Path | None = None) -> Report:
    """Start the stack and the fake BitPay API, run locust, reconcile, stop everything; return the report."""
    from scripts.serve import start
    from tests.fakes import bitpay_api, paypal_api

    work = Path(work_dir or tempfile.mkdtemp(prefix="load-"))
    work.mkdir(parents=True, exist_ok=True)
    run_id = uuid.uuid4().hex[:8]
    fake, server = bitpay_api.start()
    paypal, paypal_server = paypal_api.start()
    invoice_ids = [f"Load{run_id}{n:06d}" for n in range(invoices)]
    template = json.loads((ROOT / "tests" / "events" / "bitpay" / "ipn_extended_invoice_confirmed.json").read_text())
    for invoice in invoice_ids:
        fake.invoices[invoice] = {**template["data"], "id": invoice,
                                  "url": f"https://test.bitpay.com/invoice?id={invoice}"}
    try:
        stack = start(log_dir=work / "stack", overrides={"BITPAY_API_BASE": fake.base,
                                                         "PAYPAL_VERIFY_MODE": "postback",
                                                         "PAYPAL_API_BASE": paypal.base})
        try:
            acks_file = work / "acks.jsonl"
            env = {**os.environ, "LOAD_RUN": run_id, "LOAD_ACK_FILE": str(acks_file),
                   "LOAD_MAX_REQUESTS": str(max_requests), "LOAD_WAIT": str(wait),
                   "LOAD_BITPAY_INVOICES": ",".join(invoice_ids),
                   "LOAD_WC_SECRET": stack.env["WOOCOMMERCE_WEBHOOK_SECRET"],
                   "LOAD_AIRWALLEX_SECRET": stack.env["AIRWALLEX_WEBHOOK_SECRET"],
                   "LOAD_JWT_SECRET": stack.env["ACCOUNT_JWT_SECRET"],
                   "LOAD_JWT_ISSUER": stack.env["ACCOUNT_JWT_ISSUER"],
                   "LOAD_JWT_AUDIENCE": stack.env["ACCOUNT_JWT_AUDIENCE"],
                   "LOAD_PAYPAL_SIGNING_KEY": paypal_api.SIGNING_KEY,
                   "LOAD_PAYPAL_WEBHOOK_ID": stack.env["PAYPAL_WEBHOOK_ID"]}
            argv = [sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--headless", "--host", stack.api,
                    "-u", str(users), "-r", str(users), "--run-time", f"{seconds}s", "--stop-timeout", "10",
                    "--csv", str(work / "stats"), "--only-summary", "--loglevel", "WARNING",
                    "--exit-code-on-error", "0"]
            with (work / "locust.log").open("wb") as log:
                subprocess.run(argv, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, check=True,  # noqa: S603
                               timeout=seconds + 90)
            acks = [json.loads(line) for line in acks_file.read_text().splitlines() if line.strip()]
            items = _scan(stack.client("dynamodb"), stack.env["TABLE_NAME"])
        finally:
            stack.stop()
    finally:
        bitpay_api.stop(server)
        paypal_api.stop(paypal_server)
    with (work / "stats_stats.csv").open() as handle:
        routes = list(csv.DictReader(handle))
    codes: dict[str, Counter[int]] = {}
    for ack in acks:
        codes.setdefault(ack["route"], Counter())[int(ack["code"])] += 1
    checks, other = reconcile(acks, items)
    return Report(seconds, routes, codes, checks, other)


def main() -> int:
    seconds = _setting("LOAD_SECONDS", 60)
    users = _setting("LOAD_USERS", 8)
    max_requests = _setting("LOAD_MAX_REQUESTS", 20_000)
    print(f"load: {users} users for at most {seconds} s or {max_requests} requests against a fresh `make serve` "
          "stack on 127.0.0.1 ...", flush=True)
    work = Path(tempfile.mkdtemp(prefix="load-"))
    report = run(seconds=seconds, users=users, max_requests=max_requests,
                 wait=float(os.environ.get("LOAD_WAIT") or 0.05), work_dir=work)
    print(report.table(), flush=True)
    print(f"every response (acks.jsonl), locust's statistics and the stack's logs: {work}", flush=True)
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
