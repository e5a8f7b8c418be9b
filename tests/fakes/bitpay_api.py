"""A fake BitPay invoice API: a real HTTP server on 127.0.0.1 (a free port), in a thread, stopped after the test.

`GET /invoices/<id>?token=<token>` with `X-Accept-Version: 2.0.0` answers `{"data": <invoice>}` for the invoices
it was given (`server.invoices[id] = {...}`), 404 `{"error": "Object not found"}` otherwise.  `server.mode[id]` makes
one invoice misbehave: "500", "timeout" (answers after the client gave up), "oversized" (an answer larger than the
client reads), "mismatch" (another invoice's id), "garbage" (not JSON).  Requests are recorded (path, token,
version header).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from http.server import ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote

from tests.conftest import EVENTS
from tests.fakes import local_http

TOKEN = "local-bitpay-api-token-not-real"  # the local stage's BITPAY_API_TOKEN (.chalice/config.json)


@dataclass
class Seen:
    path: str
    token: str
    version: str


@dataclass
class FakeBitpay:
    invoices: dict[str, dict[str, Any]] = field(default_factory=dict)
    mode: dict[str, str] = field(default_factory=dict)
    seen: list[Seen] = field(default_factory=list)
    base: str = ""
    delay: float = 2.0

    def answer(self, path: str, query: str, version: str) -> tuple[int, bytes]:
        token = (parse_qs(query).get("token") or [""])[0]
        self.seen.append(Seen(path, token, version))
        if token != TOKEN or version != "2.0.0":
            return 401, b'{"error": "unauthorized"}'
        if not path.startswith("/invoices/"):
            return 404, b'{"error": "not found"}'
        invoice_id = unquote(path[len("/invoices/"):])
        mode = self.mode.get(invoice_id, "")
        if mode == "500":
            return 500, b'{"error": "internal"}'
        if mode == "timeout":
            time.sleep(self.delay)
        if mode == "oversized":
            return 200, b'{"data": {"id": "' + b"x" * (300 * 1024) + b'"}}'
        if mode == "garbage":
            return 200, b"<html>maintenance</html>"
        invoice = self.invoices.get(invoice_id)
        if invoice is None:
            return 404, b'{"error": "Object not found"}'
        if mode == "mismatch":
            invoice = {**invoice, "id": "SomeOtherInvoice123"}
        return 200, json.dumps({"data": invoice}).encode()


def start() -> tuple[FakeBitpay, ThreadingHTTPServer]:
    fake = FakeBitpay()

    def answer(method: str, path: str, query: str, headers: dict[str, str], _body: bytes) -> tuple[int, bytes]:
        if method != "GET":
            return 405, b'{"error": "method not allowed"}'
        return fake.answer(path, query, headers.get("x-accept-version", ""))

    fake.base, server = local_http.serve(answer)
    return fake, server


stop = local_http.stop


EXT_ID = "Hpqc62dfE1ZjzeeH4kEycF"


def extended(invoice_id: str = EXT_ID, **data: Any) -> dict[str, Any]:
    body = json.loads((EVENTS / "bitpay" / "ipn_extended_invoice_confirmed.json").read_text())
    body["data"].update({"id": invoice_id, **data})
    body["data"]["url"] = f"https://test.bitpay.com/invoice?id={invoice_id}"
    return dict(body)


def api_invoice(body: dict[str, Any]) -> dict[str, Any]:
    """What the API answers for an IPN's invoice (the IPN's invoice itself, or `data` of an extended IPN)."""
    return dict(body.get("data", body))
