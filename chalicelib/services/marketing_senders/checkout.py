"""Use case: the checkout's marketing opt-in carried by a WooCommerce order's meta (CHECKOUT_MARKETING_META_KEY),
recorded with the order as proof (source `checkout`); a redelivery records nothing twice and a later opt-out keeps
winning."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalicelib.domain.clock import iso
from chalicelib.domain.email_address import is_email
from chalicelib.errors import SubjectSuppressedError
from chalicelib.services.marketing import set_marketing_preference
from chalicelib.services.webhook_revision import parse_gmt

if TYPE_CHECKING:
    from chalicelib.payloads.woocommerce import OrderPayload
    from chalicelib.services.ports import SenderPorts

OPT_IN_VALUES = frozenset({"1", "yes", "true", "on", "subscribed"})


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
