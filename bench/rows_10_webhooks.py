"""Webhook benchmarks on in-process moto (provisioned from infra/template.json): DynamoDB round trips per delivery
(goal: 1 for a new or newer order with a warm key cache, 1 for a duplicate; the cold-cache count is reported too)
and handling time per delivery (HMAC verification + pydantic + minimisation + sealing + conditional write), next to
one bare `put_item` (and one bare two-operation transaction) measured in the same run.

moto's TransactWriteItems deep-copies the whole table once per operation (rollback copy), so transaction times here
grow with the table and with the number of operations; compare with the bare transaction row of the same run, not
with real DynamoDB latencies.  Run alone with `python -m bench.rows_10_webhooks`."""

from __future__ import annotations

import json
from typing import Any

from bench.common import NOW, ROOT, RoundTrips, Row, measure, moto_container

N = 25
COLD = 8
ORDER = json.loads((ROOT / "tests" / "events" / "woocommerce" / "order.created.payload.json").read_text())
CAPTURE = json.loads((ROOT / "tests" / "events" / "paypal" / "PAYMENT.CAPTURE.COMPLETED.json").read_text())
AIRWALLEX_INTENT = json.loads((ROOT / "tests" / "events" / "airwallex" / "payment_intent.succeeded.json").read_text())
AIRWALLEX_REFUND = json.loads((ROOT / "tests" / "events" / "airwallex" / "refund.succeeded.json").read_text())


def _note(trips: RoundTrips, n: int, extra: str = "") -> str:
    per = trips.count / n if n else 0.0
    kinds = sorted({op.rsplit(".", 1)[-1] for op in trips.operations})
    return f"DynamoDB round trips/delivery: {per:.2f} ({', '.join(kinds)}){extra}"


def rows() -> list[Row]:
    import contextlib
    import io
    import logging

    from chalicelib.observability import logger

    level = logger.log_level
    logger.setLevel(logging.WARNING)  # one INFO line per delivery would drown the table
    try:
        with contextlib.redirect_stdout(io.StringIO()):  # Powertools metrics flush to stdout
            return _rows()
    finally:
        logger.setLevel(level)


def _rows() -> list[Row]:
    from chalicelib.payloads.paypal import PaypalEvent
    from chalicelib.payloads.woocommerce import OrderPayload
    from chalicelib.services.record_paypal import record_event
    from chalicelib.services.record_woocommerce import record_order
    from chalicelib.signatures import woocommerce as woocommerce_signature

    found: list[Row] = []

    def deliverer(container: Any) -> Any:
        ports, secret = container.webhook_ports, container.woocommerce_secret()

        def deliver(payload: dict[str, Any]) -> str:
            body = json.dumps(payload).encode()
            woocommerce_signature.verify(body, woocommerce_signature.sign(body, secret), secret)
            return record_order(OrderPayload.model_validate_json(body), ports).value

        return deliver

    with moto_container() as container:
        deliver, table = deliverer(container), container.table
        trips = RoundTrips(table.client)
        deliver(ORDER)  # the subject's key is now made and cached (warm)
        trips.reset()
        timing = measure(lambda i: _expect(deliver({**ORDER, "id": 20_000 + i}), "accepted"), N)
        found.append(timing.row("webhooks: WooCommerce new order (warm key cache)", _note(trips, N, "; goal 1")))
        found += _references(table, N)  # on the same table, now holding the orders and their pointers

        newer = {**ORDER, "status": "completed", "date_modified_gmt": "2024-11-06T00:00:00"}
        for name, payload, expected, goal in [("newer update (warm key cache)", newer, "accepted", "; goal 1"),
                                              ("duplicate", newer, "duplicate", "; goal 1"),
                                              ("stale (older) update", ORDER, "stale", "")]:
            trips.reset()
            timing = measure(lambda i, p=payload, e=expected: _expect(deliver({**p, "id": 20_000 + i}), e), N)
            found.append(timing.row(f"webhooks: WooCommerce {name}", _note(trips, N, goal)))

    with moto_container() as container:
        deliver = deliverer(container)
        trips = RoundTrips(container.table.client)
        timing = measure(lambda i: _expect(deliver({**ORDER, "id": 30_000 + i, "billing": {
            **ORDER["billing"], "email": f"bench.cold.{i}@example.org"}}), "accepted"), COLD)
        found.append(timing.row("webhooks: WooCommerce new order, new subject (cold key)",
                                _note(trips, COLD, "; + 1 KMS GenerateDataKey")))

        ports = container.webhook_ports
        for i in range(N):
            deliver({**ORDER, "id": 20_000 + i})

        def paypal(i: int, expected: str) -> None:
            event = PaypalEvent.model_validate({**CAPTURE, "id": f"WH-BENCH-{i}",
                                                "resource": {**CAPTURE["resource"], "custom_id": str(20_000 + i)}})
            _expect(record_event(event, ports), expected)

        for name, expected, extra in [("new event (order's subject)", "accepted", "; order read + transaction"),
                                      ("duplicate event", "duplicate", "")]:
            trips.reset()
            timing = measure(lambda i, e=expected: paypal(i, e), N)
            found.append(timing.row(f"webhooks: PayPal capture, {name}", _note(trips, N, extra)))
        found += _bitpay(container)  # -- BitPay (one row block)
    found += _airwallex()
    return found


# -- BitPay (begin) -------------------------------------------------------------------------------------------------
class _BitpayApiStandIn:
    """BitPay's API answering from memory: the bench counts DynamoDB round trips, not the HTTP call (one GET per
    IPN, bounded by BITPAY_API_TIMEOUT_SECONDS, tested against a fake server in tests/functional)."""

    def __init__(self, invoice: dict[str, Any]) -> None:
        self.invoice = invoice

    def fetch(self, invoice_id: str) -> Any:
        from chalicelib.payloads.bitpay import Invoice

        return Invoice.model_validate({**self.invoice, "id": invoice_id})


def _bitpay(container: Any) -> list[Row]:
    from dataclasses import replace

    from chalicelib.payloads.bitpay import Ipn
    from chalicelib.services.record_bitpay import record_ipn

    ipn = json.loads((ROOT / "tests" / "events" / "bitpay" / "ipn_extended_invoice_confirmed.json").read_text())
    ports = replace(container.bitpay_ports, api=_BitpayApiStandIn(ipn["data"]))
    trips = RoundTrips(container.table.client)
    found = []

    def deliver(i: int, expected: str) -> None:
        body = {**ipn, "data": {**ipn["data"], "id": f"BenchInvoice{i:08d}"}}
        _expect(record_ipn(Ipn.from_json(body), ports), expected)

    deliver(10**6, "accepted")  # the buyer's key is now made and cached (warm)
    for name, expected, extra in [("new invoice status (warm key cache)", "accepted", "; goal 1"),
                                  ("duplicate (same invoice + status)", "duplicate", "; goal 1")]:
        trips.reset()
        timing = measure(lambda i, e=expected: deliver(i, e), N)
        found.append(timing.row(f"webhooks: BitPay IPN, {name}", _note(trips, N, extra + "; + 1 BitPay API GET")))
    return found
# -- BitPay (end) ---------------------------------------------------------------------------------------------------


# -- Airwallex ----------------------------------------------------------------------------------------------------
def _airwallex() -> list[Row]:
    """Airwallex deliveries (x-signature verified, parsed, minimised, sealed, one conditional write), one payment
    intent per delivery, on a table whose subject key is warm (the order was recorded first)."""
    from chalicelib.payloads.airwallex import AirwallexEvent
    from chalicelib.services.record_airwallex import record_event
    from chalicelib.signatures import airwallex as signature

    found: list[Row] = []
    with moto_container() as container:
        ports, secret = container.webhook_ports, container.airwallex_secret()

        def deliver(payload: dict[str, Any], expected: str) -> None:
            body, timestamp = json.dumps(payload).encode(), str(int(container.clock.now() * 1000))
            signature.verify(body, timestamp, signature.sign(timestamp, body, secret), secret,
                             now=container.clock.now())
            _expect(record_event(AirwallexEvent.model_validate_json(body), ports), expected)

        def intent(i: int, **changes: Any) -> dict[str, Any]:
            obj = {**AIRWALLEX_INTENT["data"]["object"], "id": f"int_bench{i}", **changes}
            return {**AIRWALLEX_INTENT, "id": f"evt_bench_{i}_{changes.get('status', '')}", "data": {"object": obj}}

        def refund(i: int) -> dict[str, Any]:
            obj = {**AIRWALLEX_REFUND["data"]["object"], "id": f"rfd_bench{i}", "payment_intent_id": f"int_bench{i}"}
            return {**AIRWALLEX_REFUND, "id": f"evt_bench_refund_{i}", "data": {"object": obj}}

        deliver(intent(-1), "accepted")  # the subject's key is now made and cached (warm)
        trips = RoundTrips(container.table.client)
        older = {"status": "REQUIRES_CAPTURE", "updated_at": "2026-11-23T11:50:00+0000"}
        for name, make, expected, goal in [
                ("payment intent, customer e-mail (warm key cache)", intent, "accepted", "; goal 1"),
                ("duplicate", intent, "duplicate", "; goal 1"),
                ("stale (older) event", lambda i: {**intent(i, **older), "created_at": "2026-11-23T11:50:00+0000"},
                 "stale", "; goal 1"),
                ("refund (its payment intent's order and subject read first)", refund, "accepted",
                 "; intent read + transaction")]:
            trips.reset()
            timing = measure(lambda i, m=make, e=expected: deliver(m(i), e), N)
            found.append(timing.row(f"webhooks: Airwallex {name}", _note(trips, N, goal)))
    return found
# -- end Airwallex ------------------------------------------------------------------------------------------------


def _references(table: Any, n: int) -> list[Row]:
    """A bare put_item and a bare transaction shaped like an order's (Put + ConditionCheck + 2 Puts), measured on the
    same table at the same size; their items are removed afterwards."""
    item = {"expires_at": NOW + 60, "data": "x" * 1500}

    def bare_put(i: int) -> None:
        table.put({"pk": f"BENCH#{i}", "sk": "PUT", **item})

    def bare_transaction(i: int) -> None:
        table.transact([table.tx_put({"pk": f"BENCH#{i}", "sk": "TX", **item}, condition="attribute_not_exists(pk)"),
                        table.tx_check("BENCH#none", "NONE", "attribute_not_exists(pk)"),
                        table.tx_put({"pk": f"BENCH#{i}", "sk": "REF1", **item}),
                        table.tx_put({"pk": f"BENCH#{i}", "sk": "REF2", **item})])

    rows = [measure(bare_put, n).row("webhooks: bare put_item (same run and table, reference)", "1 PutItem"),
            measure(bare_transaction, n).row("webhooks: bare 4-op transaction (same run and table, reference)",
                                             "1 TransactWriteItems: Put + ConditionCheck + 2 Put")]
    for i in range(n):
        for sk in ("PUT", "TX", "REF1", "REF2"):
            table.delete(f"BENCH#{i}", sk)
    return rows


def _expect(actual: str, expected: str) -> None:
    if actual != expected:
        raise RuntimeError(f"expected {expected}, got {actual}")


if __name__ == "__main__":
    from bench.__main__ import table

    print(table(rows()))
