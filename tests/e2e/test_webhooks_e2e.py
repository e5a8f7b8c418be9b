"""Webhooks against the served stack (moto server + `chalice local`): a signed WooCommerce order is stored sealed in
the emulator's table, its replay is a duplicate, the ping is 200, and unsigned or foreign-certificate deliveries
are refused.  (PayPal's certificate hosts are not reachable offline: the positive PayPal path is covered in-process.)"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request

import pytest

from scripts.serve import Stack
from tests.conftest import EVENTS
from tests.helpers import wc_signature

pytestmark = pytest.mark.e2e


def post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, dict[str, object]]:
    request = urllib.request.Request(url, data=body, method="POST", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def test_signed_order_is_stored_once_and_bad_deliveries_are_refused(served: Stack) -> None:
    order_id = 900_000 + int(time.time()) % 100_000
    payload = json.loads((EVENTS / "woocommerce" / "order.created.payload.json").read_text())
    body = json.dumps({**payload, "id": order_id}).encode()
    headers = {"Content-Type": "application/json", "X-WC-Webhook-Topic": "order.created",
               "X-WC-Webhook-Signature": wc_signature(body, served.env["WOOCOMMERCE_WEBHOOK_SECRET"])}
    url = f"{served.api}/webhooks/woocommerce"

    assert post(url, body, headers) == (200, {"status": "accepted"})
    assert post(url, body, headers) == (200, {"status": "duplicate"})
    assert post(url, body, {**headers, "X-WC-Webhook-Signature": wc_signature(body, "wrong")})[0] == 401
    assert post(url, b"webhook_id=12", {"Content-Type": "application/x-www-form-urlencoded"}) == \
        (200, {"status": "ping"})

    item = served.client("dynamodb").get_item(TableName=served.env["TABLE_NAME"],
                                              Key={"pk": {"S": f"ORDER#{order_id}"}, "sk": {"S": "ORDER"}})["Item"]
    assert item["kind"]["S"] == "order" and item["subject_pk"]["S"].startswith("SUBJ#")
    assert set(item["sealed"]["M"]) >= {"billing", "shipping", "customer_ip"}
    raw = json.dumps(item, ensure_ascii=False)
    assert "jana.mueller@example.org" not in raw and "Hauptstraße" not in raw and "Mozilla" not in raw

    capture = (EVENTS / "paypal" / "PAYMENT.CAPTURE.COMPLETED.json").read_bytes()
    paypal = f"{served.api}/webhooks/paypal"
    assert post(paypal, capture, {"Content-Type": "application/json"})[0] == 401
    foreign = {"Content-Type": "application/json", "PAYPAL-TRANSMISSION-ID": "t", "PAYPAL-TRANSMISSION-TIME": "now",
               "PAYPAL-TRANSMISSION-SIG": "c2ln", "PAYPAL-AUTH-ALGO": "SHA256withRSA",
               "PAYPAL-CERT-URL": "https://127.0.0.1:1/v1/notifications/certs/CERT-x"}
    assert post(paypal, capture, foreign)[0] == 401
