"""Use case: RFC 8058 one-click unsubscribe: the headers the mailing tool puts in its mail (a signed token, no address
in it) and the opt-out the link records, with proof (source `one_click`, token id, time); idempotent."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalicelib.crypto import unsubscribe_token
from chalicelib.domain.clock import iso
from chalicelib.errors import InvalidInputError
from chalicelib.observability import count
from chalicelib.services.marketing import set_marketing_preference

if TYPE_CHECKING:
    from chalicelib.services.ports import SenderPorts

ONE_CLICK_POST = "List-Unsubscribe=One-Click"


def unsubscribe_headers(ports: SenderPorts, email: str) -> dict[str, Any]:
    now = ports.now()
    keys = ports.sender_keys
    token, claims = unsubscribe_token.mint(keys.unsubscribe_key, subject=ports.subject_for_email(email),
                                           list_hash=keys.list_hash(email), now=now)
    url = f"{ports.settings.public_base_url.rstrip('/')}/marketing/unsubscribe?t={token}"
    return {"headers": {"List-Unsubscribe": f"<{url}>", "List-Unsubscribe-Post": ONE_CLICK_POST},
            "expires_at": iso(claims.expires_at)}


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
