"""Airwallex webhook payloads: the event envelope and the objects of the events the store records
(`payment_intent.*`, `refund.*`, `payment_dispute.*`).

Shapes follow Airwallex's published examples: some spell the account `account_id`, others `accountId` (both are
accepted), and the event time `created_at` or `createdAt`.  Models are strict (a string where a number belongs, or
`true` for an amount, is a 400) and ignore unknown fields, which are never stored.  Card data is read only as far as
brand and last four digits: the PAN-like fields (`bin`, `number`, `fingerprint`), expiry, CVC results and the
cardholder name are not modelled, so they cannot be kept.
"""

from __future__ import annotations

from typing import Any

from pydantic import AliasChoices, BaseModel, ConfigDict, Field

_STRICT = ConfigDict(extra="ignore", frozen=True, strict=True)
Amount = float | int

PAYMENT_INTENT = "payment_intent"
REFUND = "refund"
DISPUTE = "payment_dispute"
RECORDED = frozenset({PAYMENT_INTENT, REFUND, DISPUTE})


class AirwallexEvent(BaseModel):
    """The envelope of every webhook event."""

    model_config = _STRICT

    id: str = Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9._-]+$")
    name: str = Field(min_length=1, max_length=128)
    account_id: str | None = Field(default=None, max_length=128,
                                   validation_alias=AliasChoices("account_id", "accountId"))
    created_at: str | None = Field(default=None, max_length=64,
                                   validation_alias=AliasChoices("created_at", "createdAt"))
    data: dict[str, Any] = Field(default_factory=dict)

    @property
    def object_type(self) -> str:
        """`payment_intent` of `payment_intent.succeeded` ("" for a name without an action)."""
        kind, _, action = self.name.partition(".")
        return kind if action else ""


class Address(BaseModel):
    model_config = _STRICT

    street: str = ""
    city: str = ""
    state: str = ""
    postcode: str = ""
    country_code: str = ""


class Person(BaseModel):
    """A customer, a shipping contact or a billing contact: every field is personal (sealed)."""

    model_config = _STRICT

    email: str = ""
    first_name: str = ""
    last_name: str = ""
    phone_number: str = ""
    address: Address | None = None
    shipping_method: str = ""

    def personal(self) -> dict[str, Any]:
        fields = self.model_dump(exclude_none=True)
        if self.address is not None:
            fields["address"] = {k: v for k, v in self.address.model_dump().items() if v}
        return {k: v for k, v in fields.items() if v}


class Card(BaseModel):
    model_config = _STRICT

    brand: str = Field(default="", max_length=32)
    last4: str = Field(default="", pattern=r"^(\d{4})?$")
    billing: Person | None = None


class PaymentMethod(BaseModel):
    model_config = _STRICT

    type: str = Field(default="", max_length=64)
    card: Card | None = None
    billing: Person | None = None


class PaymentAttempt(BaseModel):
    model_config = _STRICT

    id: str = Field(default="", max_length=128)
    status: str = Field(default="", max_length=64)
    payment_method: PaymentMethod | None = None


class OrderInfo(BaseModel):
    model_config = _STRICT

    shipping: Person | None = None


class PaymentIntent(BaseModel):
    model_config = _STRICT

    id: str = Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9_-]+$")
    merchant_order_id: str | None = Field(default=None, max_length=128)
    amount: Amount | None = None
    captured_amount: Amount | None = None
    currency: str = Field(default="", max_length=8)
    status: str = Field(default="", max_length=64)
    customer: Person | None = None
    shipping: Person | None = None
    order: OrderInfo | None = None
    latest_payment_attempt: PaymentAttempt | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)
    created_at: str | None = Field(default=None, max_length=64)
    updated_at: str | None = Field(default=None, max_length=64)


class Refund(BaseModel):
    model_config = _STRICT

    id: str = Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9_-]+$")
    payment_intent_id: str | None = Field(default=None, max_length=128)
    payment_attempt_id: str | None = Field(default=None, max_length=128)
    amount: Amount | None = None
    currency: str = Field(default="", max_length=8)
    status: str = Field(default="", max_length=64)
    reason: str = Field(default="", max_length=1024)
    metadata: dict[str, Any] = Field(default_factory=dict)
    created_at: str | None = Field(default=None, max_length=64)
    updated_at: str | None = Field(default=None, max_length=64)


class DisputeReason(BaseModel):
    model_config = _STRICT

    type: str = Field(default="", max_length=64)


class Dispute(BaseModel):
    model_config = _STRICT

    id: str = Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9_-]+$")
    payment_intent_id: str | None = Field(default=None, max_length=128)
    merchant_order_id: str | None = Field(default=None, max_length=128)
    amount: Amount | None = None
    currency: str = Field(default="", max_length=8)
    status: str = Field(default="", max_length=64)
    stage: str = Field(default="", max_length=64)
    reason: DisputeReason | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)
    created_at: str | None = Field(default=None, max_length=64)
    updated_at: str | None = Field(default=None, max_length=64)
