"""WooCommerce webhook signatures: base64(HMAC-SHA256(secret, exact raw body bytes)), as
`WC_Webhook::generate_signature()` computes it.  The body is never re-serialised before verifying."""

from __future__ import annotations

import base64
import hashlib
import hmac
from urllib.parse import parse_qs

from chalicelib.errors import UnauthorizedError


def sign(body: bytes, secret: str) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def verify(body: bytes, signature: str | None, secret: str) -> None:
    """Raise UnauthorizedError unless `signature` is the HMAC of `body` (constant-time comparison)."""
    if not signature or not secret:
        raise UnauthorizedError("missing or invalid webhook signature")
    expected = sign(body, secret).encode()
    if not hmac.compare_digest(expected, signature.strip().encode("utf-8", "replace")):
        raise UnauthorizedError("missing or invalid webhook signature")


def is_ping(body: bytes, content_type: str | None, *, signed: bool, has_topic: bool) -> bool:
    """The request WooCommerce sends when a webhook is saved: form-encoded `webhook_id=N`, unsigned, no X-WC-*
    topic.  Anything else unsigned is not a ping (and is refused)."""
    if signed or has_topic:
        return False
    if "application/x-www-form-urlencoded" not in (content_type or "").lower() or len(body) > 64:
        return False
    try:
        fields = parse_qs(body.decode("ascii"), keep_blank_values=True, strict_parsing=True)
    except (UnicodeDecodeError, ValueError):
        return False
    values = fields.get("webhook_id", [])
    return set(fields) == {"webhook_id"} and len(values) == 1 and values[0].isdigit()
