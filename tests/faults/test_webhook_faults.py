"""Throttling and 5xx on every DynamoDB and KMS call a delivery makes (WooCommerce, Airwallex, BitPay) and a consent
event makes: the sender is told to retry (503 with Retry-After), and its retry ends in exactly the state one clean
delivery gives (compared item by item, random values by shape).  Each call of a clean delivery is failed in turn,
once with throttling and once with a server error (tests/faults/harness.py: botocore hooks on the app's clients)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from chalicelib.signatures.airwallex import sign
from tests.conftest import EVENTS, NOW
from tests.faults import harness
from tests.helpers import wc_signature

AW_SECRET = "local-dev-airwallex-webhook-secret-not-real"
Send = Callable[[Any, int], Any]  # (client, n) -> response: the n-th distinct delivery of a kind


def wc_order(client: Any, n: int) -> Any:
    payload = json.loads((EVENTS / "woocommerce" / "order.created.payload.json").read_text())
    payload["id"] = 7_770_000 + n
    payload["billing"]["email"] = f"fault.{n}@example.org"
    body = json.dumps(payload).encode()
    return client.http.post("/webhooks/woocommerce", body=body, headers={
        "Content-Type": "application/json", "X-WC-Webhook-Topic": "order.created",
        "X-WC-Webhook-Signature": wc_signature(body)})


def airwallex(client: Any, n: int) -> Any:
    event = json.loads((EVENTS / "airwallex" / "payment_intent.succeeded.json").read_text())
    event["id"] = f"evt_fault{n:07d}"
    event["data"]["object"]["id"] = f"int_fault{n:07d}"
    event["data"]["object"]["customer"]["email"] = f"fault.{n}@example.org"
    body = json.dumps(event).encode()
    timestamp = str(NOW * 1000)
    return client.http.post("/webhooks/airwallex", body=body, headers={
        "Content-Type": "application/json", "x-timestamp": timestamp, "x-signature": sign(timestamp, body, AW_SECRET)})


def consent(client: Any, n: int) -> Any:
    body = {"visitor_id": f"vis-fault-{n:07d}", "action": "custom", "policy_version": "2026-05",
            "choices": {"preferences": True, "analytics": True, "marketing": False},
            "notice_hash": "sha256:3f2a9c0d1e", "locale": "et-EE", "source": "banner"}
    return client.http.post("/consent", body=json.dumps(body), headers={"Content-Type": "application/json"})


BITPAY: dict[str, Any] = {}  # the fake BitPay API of the running test (bitpay_server)


def bitpay(client: Any, n: int) -> Any:
    ipn = json.loads((EVENTS / "bitpay" / "ipn_extended_invoice_confirmed.json").read_text())
    invoice = f"FaultInv{n:07d}"
    ipn["data"].update({"id": invoice, "url": f"https://test.bitpay.com/invoice?id={invoice}",
                        "buyerFields": {**ipn["data"]["buyerFields"], "buyerEmail": f"fault.{n}@example.org"}})
    BITPAY["server"].invoices[invoice] = dict(ipn["data"])
    return client.http.post("/webhooks/bitpay", body=json.dumps(ipn), headers={"Content-Type": "application/json"})


def ids(kind: str, n: int) -> dict[str, str]:
    return {"order": {str(7_770_000 + n): "<id>", f"fault.{n}@": "<email>"},
            "bitpay": {f"FaultInv{n:07d}": "<id>", f"fault.{n}@": "<email>"},
            "airwallex": {f"fault{n:07d}": "<id>", f"fault.{n}@": "<email>"},
            "consent": {f"vis-fault-{n:07d}": "<id>"}}[kind]


def comparable(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [i for i in items if not str(i["pk"]).startswith("RATE#")]  # rate counters count every attempt


CASES: dict[str, tuple[Send, int]] = {"order": (wc_order, 200), "airwallex": (airwallex, 200),
                                      "bitpay": (bitpay, 200), "consent": (consent, 201)}


@pytest.mark.parametrize("kind", ["order", "airwallex", "consent"])
def test_every_failing_call_answers_503_and_the_retry_ends_as_one_clean_delivery(
        kind: str, client: Any, table_items: Any) -> None:
    every_call_failing(kind, client, table_items)


def test_every_failing_call_of_a_bitpay_ipn_answers_503_and_the_retry_ends_as_one_clean_delivery(
        bitpay_server: Any, client: Any, table_items: Any) -> None:
    BITPAY["server"] = bitpay_server
    every_call_failing("bitpay", client, table_items)


def every_call_failing(kind: str, client: Any, table_items: Any) -> None:
    send, ok = CASES[kind]
    before = comparable(table_items())
    calls: list[tuple[str, str, int]] = []
    with harness.recording() as recorded:
        assert send(client, 0).status_code == ok
    calls = harness.call_positions(recorded)
    clean = harness.delta(before, comparable(table_items()), ids(kind, 0))
    assert clean and any(service == "dynamodb" for service, _, _ in calls)
    n = 0
    outcomes: list[str] = []
    for service, operation, nth in calls:
        for code in (harness.THROTTLING[service], harness.SERVER_ERROR[service]):
            n += 1
            before = comparable(table_items())
            with harness.failing(service, operation, nth, code) as refused:
                response = send(client, n)
            assert refused, (service, operation, nth)
            where = f"{kind}: {service}.{operation} #{nth} {code}"
            assert response.status_code == 503, (where, response.status_code, response.body)
            assert int(response.headers["Retry-After"]) >= 1, where
            assert json.loads(response.body)["error"] in ("storage_unavailable", "key_service_unavailable"), where
            retried = send(client, n)
            assert retried.status_code == ok, (where, retried.body)
            assert harness.delta(before, comparable(table_items()), ids(kind, n)) == clean, where
            outcomes.append(where)
    assert len(outcomes) == 2 * len(calls)


def test_kms_failing_is_a_clear_503_and_nothing_personal_is_stored(client: Any, table_items: Any) -> None:
    before = table_items()
    for code in ("KMSInternalException", "ThrottlingException", "DependencyTimeoutException"):
        with harness.failing("kms", "GenerateDataKey", 1, code) as refused:
            response = wc_order(client, 900)
        assert refused and response.status_code == 503 and response.headers["Retry-After"] == "5"
        assert json.loads(response.body) == {"error": "key_service_unavailable",
                                             "message": f"key service error: {code}"}
    stored = json.dumps(table_items(), default=str, ensure_ascii=False)
    assert table_items() == before
    for personal in ("fault.900@example.org", "Hauptstraße", "Jana", "Müller"):
        assert personal not in stored
    assert wc_order(client, 900).status_code == 200  # KMS back: the retry is stored
    assert any(str(i["pk"]) == "ORDER#7770900" for i in table_items())


def test_kms_unreachable_is_the_same_clear_503(client: Any, table_items: Any) -> None:
    from botocore.exceptions import EndpointConnectionError

    kms = harness.clients()["kms"]

    def unreachable(**_: Any) -> None:
        raise EndpointConnectionError(endpoint_url="https://kms.eu-west-1.amazonaws.com")

    before = table_items()
    kms.meta.events.register("before-call.kms.GenerateDataKey", unreachable)
    try:
        response = wc_order(client, 901)
    finally:
        kms.meta.events.unregister("before-call.kms.GenerateDataKey", unreachable)
    assert response.status_code == 503 and response.headers["Retry-After"] == "5"
    assert json.loads(response.body) == {"error": "key_service_unavailable",
                                         "message": "key service unreachable: EndpointConnectionError"}
    assert table_items() == before
