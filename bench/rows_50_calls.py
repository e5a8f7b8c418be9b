"""AWS API calls per operation, by service (DynamoDB, KMS, S3, SES, SQS, SNS), counted with botocore `before-send`
event hooks on the app's own clients (bench.common.AwsCalls) on in-process moto provisioned from
infra/template.json: the measured input of the cost table (bench/costs.py, docs/PERFORMANCE.md).

Operations: a WooCommerce order delivery (subject's key cached / a new subject), an anonymous and a logged-in
consent event, an erasure of a 10- and a 100-item subject, a restriction (issue 13/14) and an order delivery for a
restricted subject (the same transaction, one more item: the `restricted_delivery` marker), and the size of
consent.js as served and gzipped.  Run alone with `python -m bench rows_50`."""

from __future__ import annotations

import contextlib
import gzip
import io
import json
import logging
import time
from collections.abc import Callable
from typing import Any

from bench.common import NOW, ROOT, AwsCalls, Row, moto_container, timed

ORDER = json.loads((ROOT / "tests" / "events" / "woocommerce" / "order.created.payload.json").read_text())
N = 10


def rows() -> list[Row]:
    from chalicelib.observability import logger

    level = logger.log_level
    logger.setLevel(logging.WARNING)
    try:
        with contextlib.redirect_stdout(io.StringIO()):  # Powertools metrics flush to stdout
            return [*_webhooks_and_consent(), *_rights(), _consent_js()]
    finally:
        logger.setLevel(level)


def _row(name: str, calls: AwsCalls, samples: list[float], per: int, extra: str = "") -> Row:
    by_service = calls.by_service(per)
    ordered = sorted(samples)
    median = ordered[len(ordered) // 2]
    counts = ", ".join(f"{service.upper()} {value:g}" for service, value in by_service.items()
                       if not service.startswith("dynamodb_"))
    notes = (f"AWS calls per operation: {counts}; DynamoDB request units {by_service['dynamodb_wru']:g} WRU, "
             f"{by_service['dynamodb_rru']:g} RRU ({calls.operations()}; over {per}){extra}")
    return Row(name, per, median, ordered[-1], None, notes, round_trips=by_service.get("dynamodb", 0.0),
               calls=by_service)


def _timed(calls: AwsCalls, operation: Callable[[int], Any], n: int) -> list[float]:
    calls.reset()
    return timed(operation, n)


def _order(address: str, ident: int) -> Any:
    from chalicelib.payloads.woocommerce import OrderPayload

    return OrderPayload.model_validate({**ORDER, "id": ident, "billing": {**ORDER["billing"], "email": address}})


def _webhooks_and_consent() -> list[Row]:
    from chalicelib.domain.consent import ProofContext, holder_for_visitor
    from chalicelib.services.record_consent import ConsentCommand, ConsentRules, Owner, record_consent
    from chalicelib.services.record_woocommerce import record_order

    found: list[Row] = []
    with moto_container() as container:
        ports, calls = container.webhook_ports, AwsCalls()
        try:
            record_order(_order("bench.warm@example.org", 40_000), ports)  # the subject's key made and cached
            samples = _timed(calls, lambda i: record_order(_order("bench.warm@example.org", 40_001 + i), ports), N)
            found.append(_row("calls: WooCommerce order, subject's key cached", calls, samples, N))
            samples = _timed(calls, lambda i: record_order(_order(f"bench.new{i}@example.org", 41_000 + i), ports),
                             N)
            found.append(_row("calls: WooCommerce order, new subject", calls, samples, N))

            rules = ConsentRules.of(container)
            command = ConsentCommand("accept_all", None, rules.current_policy_version, "banner")
            samples = _timed(calls, lambda i: record_consent(
                container.consent, command, ProofContext(), holder=holder_for_visitor(f"visitor-{i}", container.pepper),
                now=NOW, rules=rules), N)
            found.append(_row("calls: consent event, anonymous visitor", calls, samples, N))
            subject = container.subject_for_email("bench.warm@example.org")
            samples = _timed(calls, lambda i: record_consent(
                container.consent, command, ProofContext(), holder=holder_for_visitor(f"account-{i}", container.pepper),
                now=NOW, rules=rules, owner=Owner(subject, "57")), N)
            found.append(_row("calls: consent event, logged-in customer", calls, samples, N))
        finally:
            calls.close()
    return found


def _rights() -> list[Row]:
    from bench.rows_30_rights import _seed
    from chalicelib.services import privacy_requests as service
    from chalicelib.services.privacy_requests.restriction import fulfil_restriction
    from chalicelib.services.record_woocommerce import record_order

    found: list[Row] = []
    with moto_container() as container:
        calls = AwsCalls()
        try:
            for size in (10, 100):
                address = f"bench.erase{size}@example.org"
                _seed(container, address, size)
                request = service.get_request(container, service.submit_request(
                    container, email=address, request_type="deletion", channel="account", received_at=NOW,
                    needs_verification=False).request_id, now=NOW)
                samples = _timed(calls, lambda _, r=request: service.execute_deletion(container, r, now=NOW), 1)
                found.append(_row(f"calls: erasure of a {size}-item subject (without the processors step)", calls,
                                  samples, 1, "; the processors step: rows_30 (7 DynamoDB round trips per erasure)"))

            address = "bench.restrict@example.org"
            ports = container.webhook_ports
            record_order(_order(address, 42_000), ports)
            calls.reset()
            started = time.perf_counter()
            submitted = service.submit_request(container, email=address, request_type="restriction",
                                               channel="account", received_at=NOW, needs_verification=False)
            done = fulfil_restriction(container, service.get_request(container, submitted.request_id, now=NOW),
                                      now=NOW)
            elapsed = (time.perf_counter() - started) * 1000
            assert done.status.value == "completed", done.status
            found.append(_row("calls: restriction (request submitted and fulfilled)", calls, [elapsed], 1))
            samples = _timed(calls, lambda i: record_order(_order(address, 42_001 + i), ports), N)
            found.append(_row("calls: WooCommerce order for a restricted subject", calls, samples, N,
                              "; the first transaction assumes 'not restricted' and is cancelled by its guard, "
                              "the second writes the order with the restricted guard and one more item (the marker)"))
            record_order(_order("bench.free@example.org", 43_000), ports)  # its key made and cached
            samples = _timed(calls, lambda i: record_order(_order("bench.free@example.org", 43_001 + i), ports), N)
            found.append(_row("calls: WooCommerce order, subject not restricted (same run)", calls, samples, N))
        finally:
            calls.close()
    return found


def _consent_js() -> Row:
    raw = (ROOT / "chalicelib" / "assets" / "consent.js").read_bytes()
    packed = len(gzip.compress(raw, compresslevel=9))
    return Row("size: consent.js (the banner script)", 1, None, None, None,
               f"{len(raw)} bytes, {packed} bytes gzipped (level 9)", calls={"bytes": float(len(raw)),
                                                                             "gzip_bytes": float(packed)})
