"""The storefront's traffic for `make load` (run by `python -m load`, which starts the stack and reconciles).

One locust user class, `Storefront`, with a weighted mix: WooCommerce order webhooks (new orders, updates with a
newer `date_modified_gmt`, and exact re-deliveries), Airwallex events (signed with the stage's secret, some
re-delivered), BitPay IPNs (invoices the fake BitPay API on 127.0.0.1 knows), consent events, account reads,
exports and guest requests, and PayPal events: the stack runs in PayPal's postback verify mode against the fake
PayPal REST API on 127.0.0.1 (tests/fakes/paypal_api.py), and this file signs as that fake PayPal does
($LOAD_PAYPAL_SIGNING_KEY); some PayPal deliveries are re-sent as PayPal retries them (same transmission), some are
forged (a signature PayPal did not give) and must be refused with nothing stored.  Every response is appended to
$LOAD_ACK_FILE (one JSON line: route, status code, what was sent and what the API answered) for the
reconciliation; the run stops itself after $LOAD_MAX_REQUESTS requests (and locust's --run-time).
"""

from __future__ import annotations

import base64
import copy
import hashlib
import hmac
import json
import os
import random
import time
import zlib
from pathlib import Path
from typing import Any

import jwt
from locust import HttpUser, between, events, task
from locust.exception import StopUser

EVENTS = Path(__file__).resolve().parent.parent / "tests" / "events"
RUN = os.environ.get("LOAD_RUN", "r0")
ORDER_BASE = int(os.environ.get("LOAD_ORDER_BASE", "7000000"))
MAX_REQUESTS = int(os.environ.get("LOAD_MAX_REQUESTS", "20000"))
ACK_FILE = os.environ.get("LOAD_ACK_FILE", "load-acks.jsonl")
INVOICES = [i for i in os.environ.get("LOAD_BITPAY_INVOICES", "").split(",") if i]
WAIT = float(os.environ.get("LOAD_WAIT", "0.05"))
WC_SECRET = os.environ.get("LOAD_WC_SECRET", "")
AW_SECRET = os.environ.get("LOAD_AIRWALLEX_SECRET", "")
JWT_SECRET = os.environ.get("LOAD_JWT_SECRET", "")
JWT_ISSUER = os.environ.get("LOAD_JWT_ISSUER", "https://store.example")
JWT_AUDIENCE = os.environ.get("LOAD_JWT_AUDIENCE", "privacy-backend")
PAYPAL_KEY = os.environ.get("LOAD_PAYPAL_SIGNING_KEY", "")
PAYPAL_WEBHOOK_ID = os.environ.get("LOAD_PAYPAL_WEBHOOK_ID", "")

ORDER = json.loads((EVENTS / "woocommerce" / "order.created.payload.json").read_text())
INTENT = json.loads((EVENTS / "airwallex" / "payment_intent.succeeded.json").read_text())
PAYPAL = json.loads((EVENTS / "paypal" / "PAYMENT.CAPTURE.COMPLETED.json").read_text())
IPN = json.loads((EVENTS / "bitpay" / "ipn_extended_invoice_confirmed.json").read_text())
T0 = 1_900_000_000  # orders' date_modified_gmt start here; every update is one second newer

_state: dict[str, Any] = {"requests": 0, "orders": {}, "sent": [], "intents": 0, "aw_sent": [], "next_order": 0,
                          "customers": 0, "paypal": 0, "pp_sent": []}
_acks = open(ACK_FILE, "a", buffering=1)  # noqa: SIM115 (open for the run; one line per response)


def _record(route: str, code: int, answer: Any, **sent: Any) -> None:
    _acks.write(json.dumps({"route": route, "code": code, "answer": answer, **sent}) + "\n")


def _answer(response: Any) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def _wc_signature(body: bytes) -> str:
    return base64.b64encode(hmac.new(WC_SECRET.encode(), body, hashlib.sha256).digest()).decode()


def _gmt(seconds: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds))


def _token(customer: int) -> str:
    now = int(time.time())
    claims = {"iss": JWT_ISSUER, "aud": JWT_AUDIENCE, "sub": f"{RUN}c{customer}",
              "email": f"load.{RUN}.c{customer}@example.org", "iat": now - 5, "exp": now + 600}
    return jwt.encode(claims, JWT_SECRET, algorithm="HS256")


class Storefront(HttpUser):
    wait_time = between(WAIT / 2, WAIT * 1.5)  # type: ignore[no-untyped-call]

    def _send(self, route: str, method: str, path: str, **kwargs: Any) -> Any:
        _state["requests"] += 1
        if _state["requests"] > MAX_REQUESTS:
            self.environment.runner.quit()
            raise StopUser  # the runner is stopping
        with self.client.request(method, path, name=route, catch_response=True, **kwargs) as response:
            if response.status_code >= 500 or response.status_code == 0:
                response.failure(f"{response.status_code}")
            else:
                response.success()  # 4xx (rate limits, duplicates refused) are answers, not failures
            return response

    # -- webhooks -------------------------------------------------------------------------------------------
    @task(6)
    def order(self) -> None:
        orders: dict[int, int] = _state["orders"]
        roll = random.random()  # noqa: S311 (a load mix, not security)
        if _state["sent"] and roll < 0.2:  # a re-delivery of exactly what was sent before
            order_id, version, body = random.choice(_state["sent"])  # noqa: S311
        else:
            if orders and roll < 0.5:  # an update of a known order
                order_id = random.choice(list(orders))  # noqa: S311
                orders[order_id] += 1
            else:
                order_id = ORDER_BASE + _state["next_order"]
                _state["next_order"] += 1
                orders[order_id] = 0
            version = T0 + orders[order_id]
            payload = {**copy.deepcopy(ORDER), "id": order_id, "date_modified": _gmt(version),
                       "date_modified_gmt": _gmt(version), "status": "processing" if version == T0 else "completed"}
            body = json.dumps(payload).encode()
            _state["sent"].append((order_id, version, body))
        topic = "order.created" if version == T0 else "order.updated"
        response = self._send("POST /webhooks/woocommerce", "POST", "/webhooks/woocommerce", data=body, headers={
            "Content-Type": "application/json", "X-WC-Webhook-Topic": topic,
            "X-WC-Webhook-Signature": _wc_signature(body)})
        _record("POST /webhooks/woocommerce", response.status_code, _answer(response), kind="order", key=order_id,
                version=version)

    @task(2)
    def airwallex(self) -> None:
        if _state["aw_sent"] and random.random() < 0.25:  # noqa: S311
            intent, body = random.choice(_state["aw_sent"])  # noqa: S311
        else:
            _state["intents"] += 1
            intent = f"int_load{RUN}{_state['intents']:07d}"
            event = copy.deepcopy(INTENT)
            event["id"] = f"evt_load{RUN}{_state['intents']:07d}"
            event["data"]["object"]["id"] = intent
            body = json.dumps(event).encode()
            _state["aw_sent"].append((intent, body))
        timestamp = str(int(time.time() * 1000))
        signature = hmac.new(AW_SECRET.encode(), timestamp.encode() + body, hashlib.sha256).hexdigest()
        response = self._send("POST /webhooks/airwallex", "POST", "/webhooks/airwallex", data=body, headers={
            "Content-Type": "application/json", "x-timestamp": timestamp, "x-signature": signature})
        _record("POST /webhooks/airwallex", response.status_code, _answer(response), kind="airwallex", key=intent)

    @task(2)
    def bitpay(self) -> None:
        if not INVOICES:
            return
        invoice = random.choice(INVOICES)  # noqa: S311 (each invoice is notified many times: duplicates)
        ipn = copy.deepcopy(IPN)
        ipn["data"]["id"] = invoice
        ipn["data"]["url"] = f"https://test.bitpay.com/invoice?id={invoice}"
        response = self._send("POST /webhooks/bitpay", "POST", "/webhooks/bitpay", data=json.dumps(ipn).encode(),
                              headers={"Content-Type": "application/json"})
        _record("POST /webhooks/bitpay", response.status_code, _answer(response), kind="bitpay", key=invoice)

    @task(2)
    def paypal(self) -> None:
        """A PayPal event signed as the fake PayPal signs (25% re-sent as PayPal retries: the same transmission), or
        one time in ten a forgery (a signature PayPal never gave), which must be refused and leave nothing."""
        roll = random.random()  # noqa: S311
        if _state["pp_sent"] and roll < 0.25:
            event_id, headers, body = random.choice(_state["pp_sent"])  # noqa: S311
            kind = "paypal"
        else:
            _state["paypal"] += 1
            n = _state["paypal"]
            forged = roll > 0.9
            event = copy.deepcopy(PAYPAL)
            event_id = f"WH-LOAD{'FORGED' if forged else ''}{RUN.upper()}{n:07d}"
            event["id"] = event_id
            event["resource"]["id"] = f"LOAD{RUN.upper()}{n:07d}"
            body = json.dumps(event).encode()
            transmission = f"load-{RUN}-{n}"
            sent_at = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
            signed = f"{transmission}|{sent_at}|{PAYPAL_WEBHOOK_ID}|{zlib.crc32(body) & 0xFFFFFFFF}"
            signature = base64.b64encode(hmac.new(b"forged" if forged else PAYPAL_KEY.encode(), signed.encode(),
                                                  hashlib.sha256).digest()).decode()
            headers = {"Content-Type": "application/json", "PAYPAL-TRANSMISSION-ID": transmission,
                       "PAYPAL-TRANSMISSION-TIME": sent_at, "PAYPAL-TRANSMISSION-SIG": signature,
                       "PAYPAL-AUTH-ALGO": "SHA256withRSA",
                       "PAYPAL-CERT-URL": "https://api.paypal.com/v1/notifications/certs/CERT-360caa42-fca2a594-a5cafa77"}
            kind = "paypal_forged" if forged else "paypal"
            if not forged:
                _state["pp_sent"].append((event_id, headers, body))
        response = self._send("POST /webhooks/paypal", "POST", "/webhooks/paypal", data=body, headers=headers)
        _record("POST /webhooks/paypal", response.status_code, _answer(response), kind=kind, key=event_id)

    # -- the storefront's pages -----------------------------------------------------------------------------
    @task(4)
    def consent(self) -> None:
        visitor = f"vis-load-{RUN}-{random.randrange(400):04d}"  # noqa: S311 (visitors come back and change)
        choices = {name: random.random() < 0.5 for name in ("preferences", "analytics", "marketing")}  # noqa: S311
        body = {"visitor_id": visitor, "action": "custom", "policy_version": "2026-05", "choices": choices,
                "notice_hash": "sha256:3f2a9c0d1e", "locale": "et-EE", "source": "banner"}
        response = self._send("POST /consent", "POST", "/consent", json=body)
        _record("POST /consent", response.status_code, _answer(response), kind="consent", key=visitor)

    @task(2)
    def account_read(self) -> None:
        customer = random.randrange(200)  # noqa: S311
        response = self._send("GET /account/privacy", "GET", "/account/privacy",
                              headers={"Authorization": f"Bearer {_token(customer)}"})
        _record("GET /account/privacy", response.status_code, None, kind="read")

    @task(1)
    def export(self) -> None:
        _state["customers"] += 1
        response = self._send("POST /account/export", "POST", "/account/export", json={},
                              headers={"Authorization": f"Bearer {_token(1000 + _state['customers'])}"})
        _record("POST /account/export", response.status_code, _answer(response), kind="export")

    @task(1)
    def guest_request(self) -> None:
        kind = random.choice(["access", "deletion"])  # noqa: S311
        email = f"guest.{RUN}.{random.randrange(10_000)}@example.org"  # noqa: S311
        response = self._send("POST /privacy-requests", "POST", "/privacy-requests",
                              json={"email": email, "type": kind})
        _record("POST /privacy-requests", response.status_code, _answer(response), kind="guest")


@events.quitting.add_listener  # type: ignore[untyped-decorator]
def _close(**_: Any) -> None:
    _acks.close()
