"""Use case: the mailing tool's API key (only its sha256 is configured; compared in constant time) and its quota
(MARKETING_API_RATE_PER_MINUTE requests a minute per key, 429 + Retry-After).  Every refusal is the same 401, also
when the feature is not configured (MARKETING_API_KEY_SHA256 and MARKETING_LIST_KEY)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalicelib.domain.marketing_senders import configured_hashes, matching_key_id
from chalicelib.domain.retention import DAY
from chalicelib.domain.subjects import keyed_hash
from chalicelib.errors import RateLimitedError, UnauthorizedError
from chalicelib.observability import count, logger

if TYPE_CHECKING:
    from chalicelib.services.ports import SenderPorts

MINUTE = 60
NOT_AUTHORISED = "a valid API key is required"


def authenticate_sender(ports: SenderPorts, authorization: str | None) -> str:
    keys = ports.sender_keys
    hashes = configured_hashes(keys.api_key_hashes())
    if not hashes or not keys.list_key():
        logger.warning("marketing sender API not configured")
        raise UnauthorizedError(NOT_AUTHORISED)
    scheme, _, presented = (authorization or "").partition(" ")
    key_id = matching_key_id(presented, hashes) if scheme.lower() == "bearer" else None
    if key_id is None:
        count("MarketingSenderRefused")
        raise UnauthorizedError(NOT_AUTHORISED)
    return key_id


def take_sender_quota(ports: SenderPorts, key_id: str) -> None:
    now = ports.now()
    window = now - now % MINUTE
    limit = ports.settings.marketing_api_rate_per_minute
    key = keyed_hash(key_id, ports.pepper, "rate:marketing-sender")
    if not ports.rate_limits.take(key, window, limit=limit, expires_at=window + 2 * DAY):
        count("MarketingSenderRateLimited")
        raise RateLimitedError("too many requests; try again later", retry_after=window + MINUTE - now)
