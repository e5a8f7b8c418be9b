"""The cost per 1 000 orders, per 1 000 consent events and per erasure, from the MEASURED AWS calls and DynamoDB
request units of each operation (bench/rows_50_calls.py, written by `BENCH_JSON=docs/bench/calls.json python -m
bench rows_50`) and AWS list prices for eu-west-1, beside hosted consent managers' published plan prices.

No network here: the prices below are constants written from the providers' public price pages as known on
PRICE_DATE, each with its source named.  They MUST be checked against those pages before anyone relies on them.
`python -m bench.costs` prints the tables; `python -m bench.publish` writes them into docs/PERFORMANCE.md, and
tests/unit/test_performance_doc.py fails when the document and this code disagree."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.common import ROOT

CALLS_JSON = ROOT / "docs" / "bench" / "calls.json"
REGION = "eu-west-1"
PRICE_DATE = "2025-06 (written from memory of the public price pages; no network on the machine that wrote it)"


@dataclass(frozen=True)
class Price:
    usd: float  # per one unit
    unit: str
    source: str


PRICES: dict[str, Price] = {
    # DynamoDB on-demand, Standard table class, after the 50% on-demand price cut of 2024-11-01.
    "dynamodb_wru": Price(0.7068 / 1e6, "write request unit", "aws.amazon.com/dynamodb/pricing/on-demand/ (eu-west-1)"),
    "dynamodb_rru": Price(0.1415 / 1e6, "read request unit", "aws.amazon.com/dynamodb/pricing/on-demand/ (eu-west-1)"),
    "kms": Price(0.03 / 10_000, "request", "aws.amazon.com/kms/pricing/ ($0.03 per 10 000 requests)"),
    "s3": Price(0.005 / 1_000, "PUT/COPY/POST/LIST request",
                "aws.amazon.com/s3/pricing/ (S3 Standard, eu-west-1; GET is $0.0004 per 1 000: priced as LIST here)"),
    "ses": Price(0.10 / 1_000, "outbound e-mail", "aws.amazon.com/ses/pricing/ ($0.10 per 1 000 e-mails)"),
    "sqs": Price(0.40 / 1e6, "request", "aws.amazon.com/sqs/pricing/ (standard queue)"),
    "sns": Price(0.50 / 1e6, "publish", "aws.amazon.com/sns/pricing/"),
    "lambda_request": Price(0.20 / 1e6, "invocation", "aws.amazon.com/lambda/pricing/ (x86)"),
    "lambda_gb_s": Price(0.0000166667, "GB-second", "aws.amazon.com/lambda/pricing/ (x86, first tier)"),
    "api_request": Price(3.50 / 1e6, "REST API request", "aws.amazon.com/api-gateway/pricing/ (REST, first 333 M)"),
}
KMS_KEY_MONTH = 1.00  # one customer managed key, per month (aws.amazon.com/kms/pricing/)
API_MEMORY_GB = 0.5  # .chalice/config.json: api_handler lambda_memory_size 512
SCHEDULED_MEMORY_GB = 1.0  # scheduled_job 1024 (erasures run there)

# Assumptions (not measured), named in the document:
DELIVERIES_PER_ORDER = 2  # WooCommerce sends order.created and at least one order.updated (e.g. completed)
NEW_CUSTOMER_SHARE = 0.5  # share of orders whose first delivery is for a subject with no key yet
BANNER_LOADS_PER_CONSENT_EVENT = 3  # GET /consent.js without a CDN (cached 1 h by the browser): visits per choice
BANNER_SECONDS = 0.010  # Lambda time of GET /consent.js (a file read once per warm function; not measured)

# Hosted consent managers.  The PRICES are as remembered from the vendors' pricing pages (2024), per domain and
# month, billed monthly: not checked (no network).  The LIMITS were checked on 2026-12-06 against the vendors' own
# documentation pages found in the reference library (`search`, corpus "pages"), named in each row; where a page said
# nothing about a limit we had, that limit was dropped rather than kept from memory.
CONSENT_MANAGERS: list[tuple[str, str, str]] = [
    ("CookieYes Basic", "$10/month", "100 000 page views a month (cookieyes.com/documentation/pageviews-info/)"),
    ("CookieYes Pro", "$25/month", "300 000 page views a month (same page)"),
    ("CookieYes Ultimate", "$55/month", "unlimited page views, subject to fair use (same page; "
                                         "cookieyes.com/fair-use-policy/)"),
    ("Cookiebot Premium Small", "€12/month", "up to 500 subpages; since 2025-08-18 only for accounts with 4 or more "
                                            "domains, smaller accounts are moved to Medium (support.cookiebot.com, "
                                            "'Changes to the Premium Small subscription')"),
    ("Cookiebot Premium Medium", "€28/month", "up to 5 000 subpages (cookieinfo.net knowledge base, Cybot's)"),
    ("Cookiebot Premium Large", "€49/month", "more than 5 000 subpages (same page)"),
]


def load(path: Path = CALLS_JSON) -> dict[str, Any]:
    return dict(json.loads(path.read_text()))


def _row(document: dict[str, Any], prefix: str) -> dict[str, Any]:
    for row in document["rows"]:
        if row["benchmark"].startswith(prefix):
            return dict(row)
    raise KeyError(f"no bench row {prefix!r} in the calls JSON: rerun `python -m bench rows_50`")


def aws_cost(calls: dict[str, float], *, seconds: float, memory_gb: float, http: bool) -> float:
    """One operation's cost in USD: its AWS calls and request units at list price, one Lambda invocation of
    `seconds` at `memory_gb`, and one API Gateway request when it comes in over HTTP."""
    cost = sum(PRICES[name].usd * calls.get(name, 0.0)
               for name in ("dynamodb_wru", "dynamodb_rru", "kms", "s3", "ses", "sqs", "sns"))
    cost += PRICES["lambda_request"].usd + PRICES["lambda_gb_s"].usd * seconds * memory_gb
    return cost + (PRICES["api_request"].usd if http else 0.0)


@dataclass(frozen=True)
class Line:
    what: str
    per: int
    usd: float
    basis: str


def lines(document: dict[str, Any]) -> list[Line]:
    def op(prefix: str, *, memory_gb: float = API_MEMORY_GB, http: bool = True) -> tuple[float, dict[str, Any]]:
        row = _row(document, prefix)
        return aws_cost(row["calls"], seconds=row["median_ms"] / 1000, memory_gb=memory_gb, http=http), row

    warm, warm_row = op("calls: WooCommerce order, subject's key cached")
    cold, cold_row = op("calls: WooCommerce order, new subject")
    order = (DELIVERIES_PER_ORDER - NEW_CUSTOMER_SHARE) * warm + NEW_CUSTOMER_SHARE * cold
    anonymous, anonymous_row = op("calls: consent event, anonymous visitor")
    logged_in, logged_row = op("calls: consent event, logged-in customer")
    erase10, erase10_row = op("calls: erasure of a 10-item", memory_gb=SCHEDULED_MEMORY_GB, http=False)
    erase100, erase100_row = op("calls: erasure of a 100-item", memory_gb=SCHEDULED_MEMORY_GB, http=False)
    restriction, restriction_row = op("calls: restriction", http=True)
    restricted, restricted_row = op("calls: WooCommerce order for a restricted subject")

    def units(row: dict[str, Any]) -> str:
        calls = row["calls"]
        parts = [f"DynamoDB calls {calls.get('dynamodb', 0):g} ({calls.get('dynamodb_wru', 0):g} WRU, "
                 f"{calls.get('dynamodb_rru', 0):g} RRU)"]
        parts += [f"{calls[name]:g} {name.upper()}" for name in ("kms", "s3", "ses", "sqs", "sns") if calls.get(name)]
        return ", ".join(parts) + f", Lambda {row['median_ms']:.0f} ms"

    return [
        Line("orders", 1_000, order * 1_000,
             f"{DELIVERIES_PER_ORDER} deliveries each, {NEW_CUSTOMER_SHARE:.0%} from a new customer; delivery: "
             f"{units(warm_row)}; new customer's: {units(cold_row)}"),
        Line("consent events (anonymous visitor)", 1_000, anonymous * 1_000, units(anonymous_row)),
        Line("consent events (logged-in customer)", 1_000, logged_in * 1_000, units(logged_row)),
        Line("banner loads (GET /consent.js, no CDN)", 1_000,
             aws_cost({}, seconds=BANNER_SECONDS, memory_gb=API_MEMORY_GB, http=True) * 1_000,
             f"API Gateway + 1 Lambda invocation of {BANNER_SECONDS * 1000:.0f} ms (assumed), no AWS calls; "
             f"{_consent_js_bytes(document)}"),
        Line("erasure, 10-item subject", 1, erase10, units(erase10_row) + " (scheduled_job, 1 GB)"),
        Line("erasure, 100-item subject", 1, erase100, units(erase100_row) + " (scheduled_job, 1 GB)"),
        Line("restriction", 1, restriction, units(restriction_row)),
        Line("order deliveries for a restricted subject", 1_000, restricted * 1_000, units(restricted_row)),
    ]


def _consent_js_bytes(document: dict[str, Any]) -> str:
    sizes = _row(document, "size: consent.js")["calls"]
    return f"{sizes['gzip_bytes'] / 1024:.1f} KiB gzipped ({sizes['bytes'] / 1024:.1f} KiB as stored)"


def _usd(value: float) -> str:
    return f"${value:.6f}" if value < 0.01 else f"${value:.4f}" if value < 1 else f"${value:.2f}"


def monthly(document: dict[str, Any], orders: int, consent_events: int, erasures: int) -> float:
    by_what = {line.what: line for line in lines(document)}
    return (KMS_KEY_MONTH + by_what["orders"].usd * orders / 1_000
            + by_what["consent events (anonymous visitor)"].usd * consent_events / 1_000
            + by_what["banner loads (GET /consent.js, no CDN)"].usd * consent_events * BANNER_LOADS_PER_CONSENT_EVENT
            / 1_000
            + by_what["erasure, 100-item subject"].usd * erasures)


def markdown(document: dict[str, Any]) -> str:
    out = [f"Prices: AWS list prices, region **{REGION}**, as of {PRICE_DATE}. **Check them** against the pages "
           "named below before relying on them. Calls and request units: measured by "
           f"`BENCH_JSON=docs/bench/calls.json python -m bench rows_50` on {document['measured_at']}.", "",
           "| operation | per | cost (USD) | measured basis |", "|---|---|---|---|"]
    out += [f"| {line.what} | {line.per:,} | {_usd(line.usd)} | {line.basis} |".replace(",000 |", " 000 |")
            for line in lines(document)]
    out += ["", "| price used | USD | source |", "|---|---|---|"]
    out += [f"| {name} | {price.usd * 1e6:.4f} per million (unit: {price.unit}) | {price.source} |"
            for name, price in PRICES.items()]
    out += [f"| KMS key | {KMS_KEY_MONTH:.2f} per month | aws.amazon.com/kms/pricing/ |", ""]
    out += [f"A store's month: the orders, consent events ({BANNER_LOADS_PER_CONSENT_EVENT} banner loads each, no "
            "CDN) and erasures of 100-item subjects above, plus the KMS key; CloudWatch Logs, storage, backups and "
            "data transfer not included:",
            "", "| orders | consent events | erasures | AWS, per month |", "|---|---|---|---|"]
    for orders, consents, erasures in ((1_000, 30_000, 2), (10_000, 300_000, 20), (100_000, 3_000_000, 200)):
        out.append(f"| {orders:,} | {consents:,} | {erasures} | {_usd(monthly(document, orders, consents, erasures))} |"
                   .replace(",", " "))
    out += ["", "Hosted consent managers per domain and month: the prices **as remembered from the vendors' pricing "
            "pages (2024), not checked here**; the limits checked on 2026-12-06 against the vendors' documentation "
            "named in each row (a single Cookiebot domain under 50 pages has a free plan, and a Premium Lite plan):",
            "", "| plan | price (unchecked) | limit (checked, source) |", "|---|---|---|"]
    out += [f"| {name} | {price} | {limit} |" for name, price, limit in CONSENT_MANAGERS]
    return "\n".join(out)


if __name__ == "__main__":
    print(markdown(load(Path(sys.argv[1]) if len(sys.argv) > 1 else CALLS_JSON)))
