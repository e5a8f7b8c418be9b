"""Use cases of the store's mailing tool ("marketing senders", issue 13):

- `authenticate_sender(ports, authorization)`: the bearer API key (only its sha256 is configured; compared in
  constant time) -> the key's id; UnauthorizedError (401, the same answer for every reason) otherwise, also when the
  feature is not configured (MARKETING_API_KEY_SHA256 and MARKETING_LIST_KEY).
- `take_sender_quota(ports, key_id)`: MARKETING_API_RATE_PER_MINUTE requests a minute per key (429 + Retry-After).
- `may_email(ports, email)`: True only with a current opt-in (a recorded opt-in and no later opt-out, restriction or
  objection: each of those records the preference false) and the subject not erased.
- `suppressions_page(ports, cursor, limit)`: one page of the suppression list (keyed hashes only).
- `unsubscribe_headers(ports, email)`: RFC 8058 headers with a signed one-click token (no address in it).
- `one_click_unsubscribe(ports, token)`: the opt-out, with proof (source `one_click`, token id, time); idempotent.
- `record_checkout_opt_in(ports, order)`: the checkout's opt-in carried by the order's meta (source `checkout`,
  the order id as proof); a redelivery records nothing twice and a later opt-out keeps winning.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalicelib.crypto import unsubscribe_token
from chalicelib.domain.clock import iso
from chalicelib.domain.email_address import is_email
from chalicelib.domain.marketing_senders import configured_hashes, matching_key_id
from chalicelib.domain.retention import DAY, Category
from chalicelib.domain.subjects import keyed_hash
from chalicelib.errors import InvalidInputError, RateLimitedError, SubjectSuppressedError, UnauthorizedError
from chalicelib.observability import count, logger
from chalicelib.services.marketing import set_marketing_preference
from chalicelib.services.webhook_revision import parse_gmt
from chalicelib.storage.suppression_list import InvalidCursor, parse_cursor

if TYPE_CHECKING:
    from chalicelib.payloads.woocommerce import OrderPayload
    from chalicelib.services.ports import SenderPorts

MINUTE = 60
ONE_CLICK_POST = "List-Unsubscribe=One-Click"
OPT_IN_VALUES = frozenset({"1", "yes", "true", "on", "subscribed"})
NOT_AUTHORISED = "a valid API key is required"


# -- authentication and quota -----------------------------------------------------------------------------------
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


# -- permission, suppression list, unsubscribe headers ----------------------------------------------------------
def may_email(ports: SenderPorts, email: str) -> bool:
    now = ports.now()
    subject = ports.subject_for_email(email)
    state = ports.marketing.current(subject, now=now)
    allowed = state is not None and state.email_marketing is True
    if allowed and ports.subject_keys.is_suppressed(subject, now=now):
        allowed = False
    count("MarketingPermissionAllowed" if allowed else "MarketingPermissionRefused")
    return allowed


def check_cursor(cursor: str | None) -> str | None:
    """The cursor of a page of the list, checked before anything is counted or read (400 otherwise)."""
    try:
        parse_cursor(cursor)
    except InvalidCursor:
        raise InvalidInputError("cursor: not a cursor of this list", field="cursor") from None
    return cursor


def suppressions_page(ports: SenderPorts, cursor: str | None, limit: int) -> dict[str, Any]:
    page = ports.suppression_list.page(check_cursor(cursor), limit=limit, now=ports.now())
    return {"algorithm": "HMAC-SHA256", "normalisation": "NFKC, trimmed, case-folded",
            "hashes": page.hashes, "next_cursor": page.cursor}


def unsubscribe_headers(ports: SenderPorts, email: str) -> dict[str, Any]:
    now = ports.now()
    keys = ports.sender_keys
    token, claims = unsubscribe_token.mint(keys.unsubscribe_key, subject=ports.subject_for_email(email),
                                           list_hash=keys.list_hash(email), now=now)
    url = f"{ports.settings.public_base_url.rstrip('/')}/marketing/unsubscribe?t={token}"
    return {"headers": {"List-Unsubscribe": f"<{url}>", "List-Unsubscribe-Post": ONE_CLICK_POST},
            "expires_at": iso(claims.expires_at)}


# -- one-click unsubscribe --------------------------------------------------------------------------------------
def unsubscribe_claims(ports: SenderPorts, token: str) -> unsubscribe_token.UnsubscribeClaims | None:
    """The token's claims, or None when it is forged, altered, expired or malformed."""
    try:
        return unsubscribe_token.verify(ports.sender_keys.unsubscribe_key, token, now=ports.now())
    except unsubscribe_token.InvalidUnsubscribeToken:
        count("MarketingUnsubscribeTokenRefused")
        return None


def one_click_unsubscribe(ports: SenderPorts, token: str) -> str:
    """'recorded' | 'already' (the subject is opted out already, or erased).  A bad token: 400, nothing stored."""
    claims = unsubscribe_claims(ports, token)
    if claims is None:
        raise InvalidInputError("the unsubscribe link is not valid or has expired", field="t")
    now = ports.now()
    state = ports.marketing.current(claims.subject, now=now)
    if state is not None and state.email_marketing is False:
        return "already"
    proof = {"channel": "one_click", "token_id": claims.token_id, "token_issued_at": iso(claims.issued_at),
             "unsubscribed_at": iso(now)}
    recorded = set_marketing_preference(ports, subject=claims.subject, customer_id=None, email_marketing=False,
                                        source="one_click", at=now, proof=proof, list_hash=claims.list_hash,
                                        event_id=f"oc-{claims.token_id}")
    return "recorded" if recorded else "already"


# -- the checkout's opt-in --------------------------------------------------------------------------------------
def opted_in(value: Any) -> bool:
    if value is True or (type(value) is int and value == 1):
        return True
    return isinstance(value, str) and value.strip().lower() in OPT_IN_VALUES


def record_checkout_opt_in(ports: SenderPorts, order: OrderPayload) -> str:
    """'recorded' | 'duplicate' | 'none' (no opt-in in the order) | 'suppressed' (an erased subject).

    The choice is dated when the order was created (never later than now): an opt-out recorded after it wins
    whatever the delivery order, and its event id is the order's, so a redelivery records nothing twice."""
    meta_key = ports.settings.checkout_marketing_meta_key
    email = order.billing.email
    if not opted_in(order.meta(meta_key)) or not is_email(email):
        return "none"
    created = parse_gmt(order.date_created_gmt or order.date_modified_gmt, "date_created_gmt")
    at = min(created, ports.now())
    proof = {"channel": "checkout", "order_id": order.id, "meta_key": meta_key,
             "created_via": order.created_via[:40], "order_created_at": iso(created)}
    try:
        recorded = set_marketing_preference(
            ports, subject=ports.subject_for_email(email),
            customer_id=str(order.customer_id) if order.customer_id else None, email_marketing=True,
            source="checkout", at=at, proof=proof, email=email, event_id=f"checkout-{order.id}")
    except SubjectSuppressedError:
        return "suppressed"
    return "recorded" if recorded else "duplicate"


def suppress_erased(ports: SenderPorts, email: str | None, *, now: int) -> None:
    """The erasure's suppression step: the address goes on the list for as long as its suppression record."""
    list_hash = ports.sender_keys.list_hash(email) if email and is_email(email) else None
    if list_hash:
        ports.suppression_list.add(list_hash, reason="erased", at=now,
                                   expires_at=ports.policy.expires_at(Category.SUPPRESSION, now))
