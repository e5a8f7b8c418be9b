"""Postback mode: PayPal's own API verifies each delivery.

OAuth2 client credentials (`PAYPAL_CLIENT_ID`, `PAYPAL_CLIENT_SECRET`) give a bearer token, cached until shortly
before it expires; `POST {PAYPAL_API_BASE}/v1/notifications/verify-webhook-signature` gets the transmission headers,
the configured webhook id and the received event spliced in verbatim (re-serialising it could change the bytes PayPal
signed).  Only `verification_status: SUCCESS` passes; anything else, including PayPal being unreachable, is a
refusal (401: PayPal retries a refused delivery, up to 25 times over 3 days).
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable, Mapping
from typing import Any

from chalicelib.adapters.http_client import HttpError, HttpPort
from chalicelib.errors import UnauthorizedError
from chalicelib.signatures.paypal import (
    AUTH_ALGO,
    AUTH_ALGO_HEADER,
    CERT_URL,
    REFUSED,
    TRANSMISSION_ID,
    TRANSMISSION_SIG,
    TRANSMISSION_TIME,
    header,
    required,
)

TOKEN_PATH = "/v1/oauth2/token"
VERIFY_PATH = "/v1/notifications/verify-webhook-signature"
TOKEN_MARGIN_SECONDS = 60


class PostbackVerifier:
    def __init__(self, http: HttpPort, api_base: str, client_id: str, client_secret: Callable[[], str],
                 webhook_id: str) -> None:
        self.http = http
        self.api_base = api_base.rstrip("/")
        self.client_id = client_id
        self.client_secret = client_secret
        self.webhook_id = webhook_id
        self._token: tuple[str, float] | None = None
        self.token_requests = 0

    def verify(self, headers: Mapping[str, str], body: bytes) -> None:
        if not self.webhook_id or not self.client_id:
            raise UnauthorizedError(REFUSED)
        try:
            event = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            raise UnauthorizedError(REFUSED) from None
        if not isinstance(event, dict):  # splicing anything but one JSON object could smuggle fields
            raise UnauthorizedError(REFUSED)
        request = self._request_body(headers, body)
        status, answer = self._post_verify(request)
        if status == 401:  # token revoked or expired early: one fresh token, one retry
            self._token = None
            status, answer = self._post_verify(request)
        if status != 200 or not isinstance(answer, dict) or answer.get("verification_status") != "SUCCESS":
            raise UnauthorizedError(REFUSED)

    def _request_body(self, headers: Mapping[str, str], body: bytes) -> bytes:
        fields = {
            "auth_algo": header(headers, AUTH_ALGO_HEADER) or AUTH_ALGO,
            "cert_url": required(headers, CERT_URL),
            "transmission_id": required(headers, TRANSMISSION_ID),
            "transmission_sig": required(headers, TRANSMISSION_SIG),
            "transmission_time": required(headers, TRANSMISSION_TIME),
            "webhook_id": self.webhook_id,
        }
        head = json.dumps(fields, separators=(",", ":"))
        return head[:-1].encode() + b',"webhook_event":' + body.strip() + b"}"

    def _post_verify(self, request: bytes) -> tuple[int, Any]:
        token = self._access_token()
        try:
            response = self.http.request(
                "POST", self.api_base + VERIFY_PATH, body=request,
                headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
            )
        except HttpError:
            raise UnauthorizedError(REFUSED) from None
        return response.status, _json(response.body)

    def _access_token(self) -> str:
        if self._token and time.monotonic() < self._token[1]:
            return self._token[0]
        credentials = base64.b64encode(f"{self.client_id}:{self.client_secret()}".encode()).decode()
        self.token_requests += 1
        try:
            response = self.http.request(
                "POST", self.api_base + TOKEN_PATH, body=b"grant_type=client_credentials",
                headers={"Authorization": f"Basic {credentials}", "Accept": "application/json",
                         "Content-Type": "application/x-www-form-urlencoded"},
            )
        except HttpError:
            raise UnauthorizedError(REFUSED) from None
        answer = _json(response.body)
        token = answer.get("access_token") if isinstance(answer, dict) else None
        if response.status != 200 or not isinstance(token, str) or not token:
            raise UnauthorizedError(REFUSED)
        lifetime = answer.get("expires_in", 0) if isinstance(answer, dict) else 0
        seconds = float(lifetime) if isinstance(lifetime, int | float) else 0.0
        self._token = (token, time.monotonic() + max(0.0, seconds - TOKEN_MARGIN_SECONDS))
        return token


def _json(body: bytes) -> Any:
    try:
        return json.loads(body) if body else None
    except (ValueError, UnicodeDecodeError):
        return None
