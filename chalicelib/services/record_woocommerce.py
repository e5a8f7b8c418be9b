"""Record a WooCommerce delivery: minimise it, seal its personal fields for its subject, and store it only if it
is newer than what is stored (one conditional write; see `chalicelib.services.webhook_revision`).

Subjects: an order's subject is keyed by its billing e-mail (guests and customers alike; when an order has no billing
e-mail, its customer's profile subject); a customer's by their account e-mail.  An erased subject's later deliveries
are stored without personal fields, without linking identifiers and without the link to them.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from chalicelib.domain.privacy import anonymise_data, truncate_ip
from chalicelib.domain.retention import Category
from chalicelib.observability import count, logger, metric_name
from chalicelib.payloads.woocommerce import CustomerPayload, OrderPayload
from chalicelib.services.webhook_ports import WebhookPorts
from chalicelib.services.webhook_revision import content_revision, deletion_revision, parse_gmt
from chalicelib.services.webhook_sealing import Sealing, store_sealed
from chalicelib.storage.orders import CUSTOMER, ORDER, Outcome, Removal, Snapshot

PAYPAL_ORDER_ID_KEYS = ("_ppcp_paypal_order_id", "_paypal_order_id")
PAYPAL_PAYER_KEYS = {"_ppcp_paypal_payer_email": "email", "Payer PayPal address": "email",
                     "Payer first name": "first_name", "Payer last name": "last_name"}


def _is_paypal(payment_method: str) -> bool:
    return payment_method == "paypal" or payment_method.startswith("ppcp")


def minimise_order(order: OrderPayload, *, store_ip: bool = True
                   ) -> tuple[dict[str, Any], dict[str, Any], tuple[str, ...]]:
    """(plain data, personal fields to seal, PayPal references) of an order: what the store's policies need.
    `store_ip=False` (the store promises to keep no IP address): no `customer_ip` at all, not even truncated."""
    paypal_order_id = next((str(v) for k in PAYPAL_ORDER_ID_KEYS if (v := order.meta(k))), "")
    data: dict[str, Any] = {
        "id": order.id, "number": order.number, "parent_id": order.parent_id, "status": order.status,
        "currency": order.currency, "prices_include_tax": order.prices_include_tax, "created_via": order.created_via,
        "date_created_gmt": order.date_created_gmt, "date_modified_gmt": order.date_modified_gmt,
        "date_paid_gmt": order.date_paid_gmt, "date_completed_gmt": order.date_completed_gmt,
        "discount_total": order.discount_total, "discount_tax": order.discount_tax,
        "shipping_total": order.shipping_total, "shipping_tax": order.shipping_tax, "cart_tax": order.cart_tax,
        "total": order.total, "total_tax": order.total_tax, "guest": order.customer_id == 0,
        "customer_id": order.customer_id or None, "payment_method": order.payment_method,
        "payment_method_title": order.payment_method_title, "transaction_id": order.transaction_id or None,
        "paypal_order_id": paypal_order_id or None,
        # Kept plain by decision: the legal regime (GDPR/CCPA) is derived from them; WooCommerce keeps them too.
        "billing_country": order.billing.country, "billing_state": order.billing.state,
        "line_items": [item.model_dump() for item in order.line_items],
        "tax_lines": [line.model_dump() for line in order.tax_lines],
        "shipping_lines": [line.model_dump() for line in order.shipping_lines],
        "fee_lines": [line.model_dump() for line in order.fee_lines],
        "coupon_lines": [line.model_dump() for line in order.coupon_lines],
        "refunds": [refund.model_dump() for refund in order.refunds],
    }
    payer = {name: str(value) for key, name in PAYPAL_PAYER_KEYS.items() if (value := order.meta(key))}
    personal: dict[str, Any] = {
        "billing": order.billing.personal(),
        "shipping": order.shipping.personal(),
        "customer_note": order.customer_note,
        "customer_ip": truncate_ip(order.customer_ip_address),  # WordPress-style: /24 (IPv4), /64 (IPv6)
        "paypal_payer": payer,
    }
    if not store_ip:
        del personal["customer_ip"]
    references: tuple[str, ...] = ()
    if _is_paypal(order.payment_method):
        references = tuple(ref for ref in (paypal_order_id, order.transaction_id) if ref)
    return _without_none(data), personal, references


def minimise_customer(customer: CustomerPayload) -> tuple[dict[str, Any], dict[str, Any]]:
    data = {
        "id": customer.id, "role": customer.role, "is_paying_customer": customer.is_paying_customer,
        "date_created_gmt": customer.date_created_gmt, "date_modified_gmt": customer.date_modified_gmt,
        "billing_country": customer.billing.country, "billing_state": customer.billing.state,
    }
    personal = {
        "email": customer.email,
        "name": {k: v for k, v in (("first_name", customer.first_name), ("last_name", customer.last_name)) if v},
        "username": customer.username,
        "billing": customer.billing.personal(),
        "shipping": customer.shipping.personal(),
    }
    return _without_none(data), personal


def _without_none(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if v is not None}


def record_order(order: OrderPayload, ports: WebhookPorts) -> Outcome:
    now = ports.now()
    data, personal, references = minimise_order(order, store_ip=ports.store_ip)
    modified = parse_gmt(order.date_modified_gmt, "date_modified_gmt")
    created = parse_gmt(order.date_created_gmt, "date_created_gmt") if order.date_created_gmt else modified
    subject = ports.subject_of_email(order.billing.email)
    if subject is None and order.customer_id:
        profile = ports.records.get(CUSTOMER, order.customer_id, now=now)
        subject = profile.subject if profile else None
    snapshot = Snapshot(
        kind=ORDER, ident=order.id, rev=content_revision(modified, [data, personal], ports.pepper),
        category=Category.ORDER, retention_start=created, created_at=created, data=data, references=references,
    )
    readable_until = ports.policy.expires_at(Category.ORDER, created)
    return _store(snapshot, personal, subject, readable_until, ports, now)


def record_customer(customer: CustomerPayload, ports: WebhookPorts) -> Outcome:
    now = ports.now()
    data, personal = minimise_customer(customer)
    modified = parse_gmt(customer.modified, "date_modified_gmt")
    created = parse_gmt(customer.date_created_gmt, "date_created_gmt") if customer.date_created_gmt else modified
    snapshot = Snapshot(
        kind=CUSTOMER, ident=customer.id, rev=content_revision(modified, [data, personal], ports.pepper),
        # The account is active: each applied update refreshes its retention.
        category=Category.CUSTOMER_PROFILE, retention_start=now, created_at=created, data=data,
    )
    readable_until = ports.policy.expires_at(Category.CUSTOMER_PROFILE, now)
    return _store(snapshot, personal, ports.subject_of_email(customer.email), readable_until, ports, now)


def record_deletion(kind: str, ident: int, ports: WebhookPorts) -> Outcome:
    """`order.deleted` (trash) / `customer.deleted`: the record becomes a tombstone that wins over every update
    modified before the deletion was received.  A deleted account stays as a `deleted_account` marker (due within
    30 days); a trashed order's tombstone is a 30-day deduplication marker."""
    now = ports.now()
    if kind == CUSTOMER:
        removal = Removal(CUSTOMER, ident, deletion_revision(now), Category.DELETED_ACCOUNT, index_due=True)
    else:
        removal = Removal(ORDER, ident, deletion_revision(now), Category.WEBHOOK_RECEIPT, index_due=False)
    outcome = ports.records.remove(removal, now=now)
    _log(kind, ident, outcome, deleted=True)
    return outcome


def _store(snapshot: Snapshot, personal: dict[str, Any], subject: str | None, readable_until: int,
           ports: WebhookPorts, now: int) -> Outcome:
    def linked(sealing: Sealing) -> Outcome:
        return ports.records.save(replace(snapshot, sealed=sealing.sealed, subject=subject, new_key=sealing.new_key,
                                          readable_until=sealing.readable_until), now=now)

    def unlinked(erased: bool) -> Outcome:
        return ports.records.save(snapshot.unlinked(anonymise_data(snapshot.data)) if erased else snapshot, now=now)

    outcome, erased = store_sealed(ports.sealer, subject, personal, readable_until, linked, unlinked)
    _log(snapshot.kind, snapshot.ident, outcome, erased=erased)
    return outcome


def _log(kind: str, ident: int, outcome: Outcome, *, erased: bool = False, deleted: bool = False) -> None:
    count(metric_name("woocommerce", kind, outcome.value))
    logger.info("woocommerce delivery", extra={"kind": kind, "id": ident, "outcome": outcome.value,
                                               "erased_subject": erased, "deletion": deleted})
