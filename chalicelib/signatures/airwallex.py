"""Airwallex webhook signatures: `x-signature` = lowercase hex HMAC-SHA256, keyed with the endpoint's secret, of the
`x-timestamp` header value followed directly by the exact raw body bytes (as Airwallex's own WooCommerce plugin
checks it).  Compared in constant time; the timestamp (milliseconds since the epoch) must be within five minutes of
our clock, either way, so a captured delivery cannot be replayed later.  Every failure is the same 401."""

from __future__ import annotations

import hashlib
import hmac
import re

from chalicelib.errors import UnauthorizedError

TOLERANCE_SECONDS = 300
_TIMESTAMP = re.compile(r"^[0-9]{1,16}$")
_SIGNATURE = re.compile(r"^[0-9a-f]{64}$")
MESSAGE = "missing or invalid webhook signature"


def sign(timestamp: str, body: bytes, secret: str) -> str:
    return hmac.new(secret.encode(), timestamp.encode("ascii") + body, hashlib.sha256).hexdigest()


def verify(body: bytes, timestamp: str | None, signature: str | None, secret: str, *, now: float) -> None:
    """Raise UnauthorizedError unless `signature` is the HMAC of `timestamp + body` and `timestamp` is fresh."""
    if not secret or not timestamp or not signature:
        raise UnauthorizedError(MESSAGE)
    timestamp, signature = timestamp.strip(), signature.strip()
    if not _TIMESTAMP.fullmatch(timestamp) or not _SIGNATURE.fullmatch(signature):
        raise UnauthorizedError(MESSAGE)
    if not hmac.compare_digest(sign(timestamp, body, secret).encode(), signature.encode()):
        raise UnauthorizedError(MESSAGE)
    if abs(int(timestamp) / 1000 - now) > TOLERANCE_SECONDS:
        raise UnauthorizedError(MESSAGE)
