"""A fake PayPal REST API for the postback verify mode: a real HTTP server on 127.0.0.1 (a free port), in a thread.

It speaks the two calls `chalicelib/signatures/paypal_postback.py` makes, as PayPal documents them:
- `POST /v1/oauth2/token` with HTTP Basic client credentials and `grant_type=client_credentials`:
  `{"access_token": ..., "token_type": "Bearer", "expires_in": 32400}`; 401 `{"error": "invalid_client"}` for
  other credentials;
- `POST /v1/notifications/verify-webhook-signature` with that bearer token and the transmission headers, the
  webhook id and the event: `{"verification_status": "SUCCESS"}` or `"FAILURE"`; 401 without a valid token.

PayPal signs a transmission with its certificate's key over `<transmission id>|<time>|<webhook id>|<crc32 of the
body>`; this fake cannot hold PayPal's key, so its "PayPal" signs the same string with HMAC-SHA256 under
`SIGNING_KEY` (`sign()`), and the verify call checks that, against the event bytes exactly as spliced into the
request (what PayPal receives).  A transmission it did not sign, or for another webhook id, is a FAILURE.
Requests are counted (`tokens`, `verifications`).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import threading
from dataclasses import dataclass, field
from http.server import ThreadingHTTPServer
from typing import Any

from chalicelib.signatures.paypal import signed_string
from tests.fakes import local_http

CLIENT_ID = "local-client-id"  # the local stage's PAYPAL_CLIENT_ID / PAYPAL_CLIENT_SECRET (.chalice/config.json)
CLIENT_SECRET = "local-client-secret-not-real"
WEBHOOK_ID = "3RN13029J36659323"  # the local stage's PAYPAL_WEBHOOK_ID
SIGNING_KEY = "local-fake-paypal-signing-key"
SPLICE = b',"webhook_event":'


def sign(transmission_id: str, transmission_time: str, body: bytes, *, webhook_id: str = WEBHOOK_ID,
         key: str = SIGNING_KEY) -> str:
    """The PAYPAL-TRANSMISSION-SIG this fake PayPal gives a delivery of `body`."""
    digest = hmac.new(key.encode(), signed_string(transmission_id, transmission_time, webhook_id, body).encode(),
                      hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


@dataclass
class FakePaypal:
    base: str = ""
    tokens: set[str] = field(default_factory=set)
    token_requests: int = 0
    verifications: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def token(self, authorization: str, body: bytes) -> tuple[int, dict[str, Any]]:
        expected = "Basic " + base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
        with self.lock:
            self.token_requests += 1
        if not hmac.compare_digest(authorization, expected) or body != b"grant_type=client_credentials":
            return 401, {"error": "invalid_client", "error_description": "Client Authentication failed"}
        token = secrets.token_urlsafe(24)
        with self.lock:
            self.tokens.add(token)
        return 200, {"scope": "https://uri.paypal.com/services/payments/payment", "access_token": token,
                     "token_type": "Bearer", "app_id": "APP-LOCAL", "expires_in": 32400, "nonce": "local"}

    def verify(self, authorization: str, body: bytes) -> tuple[int, dict[str, Any]]:
        with self.lock:
            self.verifications += 1
            known = authorization.removeprefix("Bearer ") in self.tokens
        if not authorization.startswith("Bearer ") or not known:
            return 401, {"error": "invalid_token", "error_description": "Token signature verification failed"}
        head, splice, event = body.partition(SPLICE)
        try:
            fields = json.loads(head + b"}") if splice and event.endswith(b"}") else None
        except ValueError:
            fields = None
        if not isinstance(fields, dict):
            return 400, {"name": "VALIDATION_ERROR", "message": "Invalid request - see details"}
        event = event[:-1]  # the request's closing brace
        signature = sign(str(fields.get("transmission_id", "")), str(fields.get("transmission_time", "")), event,
                         webhook_id=str(fields.get("webhook_id", "")))
        ok = fields.get("webhook_id") == WEBHOOK_ID and hmac.compare_digest(
            signature, str(fields.get("transmission_sig", "")))
        return 200, {"verification_status": "SUCCESS" if ok else "FAILURE"}


def start() -> tuple[FakePaypal, ThreadingHTTPServer]:
    fake = FakePaypal()

    def answer(method: str, path: str, _query: str, headers: dict[str, str], body: bytes) -> tuple[int, bytes]:
        authorization = headers.get("authorization", "")
        if method == "POST" and path == "/v1/oauth2/token":
            status, data = fake.token(authorization, body)
        elif method == "POST" and path == "/v1/notifications/verify-webhook-signature":
            status, data = fake.verify(authorization, body)
        else:
            status, data = 404, {"name": "RESOURCE_NOT_FOUND"}
        return status, json.dumps(data).encode()

    fake.base, server = local_http.serve(answer)
    return fake, server


stop = local_http.stop
