"""PayPal webhook payloads: the event envelope and the resources of the event types the store records.

Shapes follow PayPal's published webhook event schemas (Payments v2 capture/refund, Checkout Orders v2, Disputes v1).
Unknown fields are ignored and never stored.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

_IGNORE = ConfigDict(extra="ignore", frozen=True)

PAYMENT_EVENTS = frozenset({
    "PAYMENT.CAPTURE.COMPLETED", "PAYMENT.CAPTURE.DENIED", "PAYMENT.CAPTURE.DECLINED", "PAYMENT.CAPTURE.PENDING",
    "PAYMENT.CAPTURE.REFUNDED", "PAYMENT.CAPTURE.REVERSED", "CHECKOUT.ORDER.APPROVED", "CHECKOUT.ORDER.COMPLETED",
})
DISPUTE_EVENTS = frozenset({"CUSTOMER.DISPUTE.CREATED", "CUSTOMER.DISPUTE.UPDATED", "CUSTOMER.DISPUTE.RESOLVED"})
REFUND_EVENTS = frozenset({"PAYMENT.CAPTURE.REFUNDED", "PAYMENT.CAPTURE.REVERSED"})
CHECKOUT_EVENTS = frozenset({"CHECKOUT.ORDER.APPROVED", "CHECKOUT.ORDER.COMPLETED"})


class PaypalEvent(BaseModel):
    """The envelope of every webhook event."""

    model_config = _IGNORE

    id: str = Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9._-]+$")
    event_type: str = Field(min_length=1, max_length=128)
    resource_type: str = ""
    create_time: str | None = None
    resource: dict[str, Any] = Field(default_factory=dict)


class Money(BaseModel):
    model_config = _IGNORE

    currency_code: str = ""
    value: str = ""

    def plain(self) -> dict[str, str]:
        return {"currency": self.currency_code, "value": self.value}


class Link(BaseModel):
    model_config = _IGNORE

    href: str = ""
    rel: str = ""


class RelatedIds(BaseModel):
    model_config = _IGNORE

    order_id: str | None = None


class SupplementaryData(BaseModel):
    model_config = _IGNORE

    related_ids: RelatedIds = Field(default_factory=RelatedIds)


class Capture(BaseModel):
    """A capture (PAYMENT.CAPTURE.COMPLETED|DENIED|DECLINED|PENDING) or a refund/reversal
    (PAYMENT.CAPTURE.REFUNDED|REVERSED: the resource is the refund, its `up` link names the capture)."""

    model_config = _IGNORE

    id: str = Field(min_length=1, max_length=64)
    status: str = ""
    amount: Money | None = None
    invoice_id: str | None = None
    custom_id: str | None = None
    note_to_payer: str | None = None
    create_time: str | None = None
    supplementary_data: SupplementaryData = Field(default_factory=SupplementaryData)
    links: list[Link] = Field(default_factory=list)

    def linked_capture(self) -> str | None:
        for link in self.links:
            if link.rel == "up" and "/captures/" in link.href:
                return link.href.rstrip("/").rsplit("/", 1)[-1] or None
        return None


class Name(BaseModel):
    model_config = _IGNORE

    given_name: str = ""
    surname: str = ""
    full_name: str = ""


class Payer(BaseModel):
    model_config = _IGNORE

    email_address: str = ""
    payer_id: str = ""
    account_id: str = ""
    name: Name | None = None
    phone: dict[str, Any] | None = None
    address: dict[str, Any] | None = None


class PaymentSource(BaseModel):
    model_config = _IGNORE

    paypal: Payer | None = None


class Shipping(BaseModel):
    model_config = _IGNORE

    name: Name | None = None
    address: dict[str, Any] | None = None


class CaptureRef(BaseModel):
    model_config = _IGNORE

    id: str = ""
    status: str = ""


class Payments(BaseModel):
    model_config = _IGNORE

    captures: list[CaptureRef] = Field(default_factory=list)


class PurchaseUnit(BaseModel):
    model_config = _IGNORE

    reference_id: str = ""
    amount: Money | None = None
    custom_id: str | None = None
    invoice_id: str | None = None
    shipping: Shipping | None = None
    payments: Payments | None = None


class CheckoutOrder(BaseModel):
    """CHECKOUT.ORDER.APPROVED|COMPLETED: the resource is the PayPal order."""

    model_config = _IGNORE

    id: str = Field(min_length=1, max_length=64)
    status: str = ""
    intent: str = ""
    payer: Payer | None = None
    payment_source: PaymentSource | None = None
    purchase_units: list[PurchaseUnit] = Field(default_factory=list)
    create_time: str | None = None


class Party(BaseModel):
    model_config = _IGNORE

    name: str = ""
    email: str = ""


class DisputedTransaction(BaseModel):
    model_config = _IGNORE

    seller_transaction_id: str = ""
    buyer_transaction_id: str = ""
    invoice_number: str | None = None
    custom: str | None = None
    buyer: Party | None = None


class Message(BaseModel):
    model_config = _IGNORE

    posted_by: str = ""
    time_posted: str = ""
    content: str = ""


class DisputeOutcome(BaseModel):
    model_config = _IGNORE

    outcome_code: str = ""


class Dispute(BaseModel):
    """CUSTOMER.DISPUTE.CREATED|UPDATED|RESOLVED: the resource is the dispute."""

    model_config = _IGNORE

    dispute_id: str = Field(min_length=1, max_length=64)
    status: str = ""
    reason: str = ""
    dispute_life_cycle_stage: str = ""
    dispute_amount: Money | None = None
    dispute_outcome: DisputeOutcome | None = None
    disputed_transactions: list[DisputedTransaction] = Field(default_factory=list)
    messages: list[Message] = Field(default_factory=list)
    create_time: str | None = None
