"""BitPay IPN verification.

BitPay's documented flow does not sign IPNs, so an IPN is only a trigger: the invoice it names is fetched from
BitPay's API (`GET {BITPAY_API_BASE}/invoices/{id}?token={BITPAY_API_TOKEN}`, header `X-Accept-Version: 2.0.0`,
answer `{"data": {...}}`) and only what the API answers is stored.  The base URL is a setting, never taken from the
request; the id is checked against BitPay's id alphabet before it goes into the path; the call goes through the
outbound HTTP port (no redirects, bounded answer size, timeout).

- the API answers 404/400/410, an invoice with another id, or an invalid invoice: `InvoiceNotConfirmed` (422, the
  sender's fault, nothing stored);
- the API times out, cannot be reached, answers 5xx/429/401/403 (our token) or an unreadable body:
  `BitpayUnavailable` (503 with Retry-After: BitPay retries, nothing stored).

When `BITPAY_WEBHOOK_TOKEN` is configured, `x-signature` is checked first, as BitPay's WooCommerce plugin does:
base64 of HMAC-SHA256 over the raw body keyed with the token, compared in constant time (401 when missing or wrong).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Callable
from urllib.parse import quote

from pydantic import ValidationError

from chalicelib.adapters.http_client import TIMEOUT_SECONDS, HttpError, HttpPort
from chalicelib.errors import DomainError, UnauthorizedError
from chalicelib.payloads.bitpay import INVOICE_ID, Invoice
from chalicelib.payloads.strict_json import JsonRejected, loads

SIGNATURE_HEADER = "x-signature"
ACCEPT_VERSION = "2.0.0"
NOT_CONFIRMED = frozenset({400, 404, 410})
_INVOICE_ID = re.compile(INVOICE_ID)


class InvoiceNotConfirmed(DomainError):
    """BitPay's API does not confirm the invoice an IPN names: nothing is stored."""

    status = 422
    code = "invoice_not_confirmed"


class BitpayUnavailable(DomainError):
    """BitPay's API could not confirm the invoice now: answered 503 so that BitPay retries; nothing is stored."""

    status = 503
    code = "bitpay_unavailable"
    retry_after = 60


def sign(body: bytes, token: str) -> str:
    return base64.b64encode(hmac.new(token.encode(), body, hashlib.sha256).digest()).decode()


def verify_signature(body: bytes, received: str | None, token: str) -> None:
    """401 unless `received` is the body's signature with `token` (only called when a token is configured)."""
    if not received:
        raise UnauthorizedError("missing x-signature")
    expected = sign(body, token).encode()
    if not hmac.compare_digest(expected, received.strip().encode("utf-8", "replace")):
        raise UnauthorizedError("invalid x-signature")


class InvoiceApi:
    """Fetches an invoice from BitPay's API (the only source of what is stored)."""

    def __init__(self, http: HttpPort, api_base: str, token: Callable[[], str],
                 timeout: float = TIMEOUT_SECONDS) -> None:
        self.http = http
        self.api_base = api_base.rstrip("/")
        self.token = token
        self.timeout = timeout
        self.calls = 0

    def fetch(self, invoice_id: str) -> Invoice:
        if not _INVOICE_ID.match(invoice_id):
            raise InvoiceNotConfirmed("invoice id is not a BitPay invoice id", field="id")
        url = f"{self.api_base}/invoices/{quote(invoice_id, safe='')}?token={quote(self.token(), safe='')}"
        self.calls += 1
        try:
            response = self.http.request("GET", url, timeout=self.timeout, headers={
                "Accept": "application/json", "Content-Type": "application/json",
                "X-Accept-Version": ACCEPT_VERSION})
        except HttpError as error:  # the message names the failure's type, never the URL (it holds the token)
            raise BitpayUnavailable(f"BitPay API unavailable ({error})") from None
        if response.status in NOT_CONFIRMED:
            raise InvoiceNotConfirmed("BitPay does not know this invoice", field="id")
        if response.status != 200:
            raise BitpayUnavailable(f"BitPay API answered {response.status}")
        try:
            answer = loads(response.body)
        except JsonRejected:
            raise BitpayUnavailable("BitPay API answer is not JSON") from None
        data = answer.get("data") if isinstance(answer, dict) else None
        if not isinstance(data, dict):
            if isinstance(answer, dict) and "error" in answer:
                raise InvoiceNotConfirmed("BitPay does not know this invoice", field="id")
            raise BitpayUnavailable("BitPay API answer has no invoice")
        try:
            invoice = Invoice.model_validate(data)
        except ValidationError:
            raise InvoiceNotConfirmed("BitPay's invoice is not one this service records", field="id") from None
        if invoice.id != invoice_id:
            raise InvoiceNotConfirmed("BitPay answered for another invoice", field="id")
        return invoice
