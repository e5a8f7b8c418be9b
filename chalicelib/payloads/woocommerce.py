"""WooCommerce webhook payloads (REST API v3 shapes, as `WC_Webhook::build_payload` sends them).

Only the fields the store's policies need are modelled; everything else in the payload is ignored (never stored).
Personal fields are modelled so that they can be sealed; the user agent and other browser data are not modelled.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from chalicelib.payloads.fields import Identifier, Quantity

_IGNORE = ConfigDict(extra="ignore", frozen=True)
Money = str | int | float | None


def _text(value: Any) -> Any:
    """WooCommerce sends numbers as strings and sometimes empty strings/nulls: keep text, normalise None to ''."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int | float):
        return str(value)
    return value


class _TextModel(BaseModel):
    """A WooCommerce object whose every field is text (numbers and nulls arrive in any shape)."""

    model_config = _IGNORE

    @field_validator("*", mode="before")
    @classmethod
    def _strings(cls, value: Any) -> Any:
        return _text(value)


class Address(_TextModel):
    first_name: str = ""
    last_name: str = ""
    company: str = ""
    address_1: str = ""
    address_2: str = ""
    city: str = ""
    state: str = ""
    postcode: str = ""
    country: str = ""
    email: str = ""
    phone: str = ""

    def personal(self) -> dict[str, str]:
        """The non-empty fields (personal data: sealed as a whole)."""
        return {k: v for k, v in self.model_dump().items() if v}


class MetaEntry(BaseModel):
    model_config = _IGNORE

    key: str = ""
    value: Any = None


class LineItem(BaseModel):
    model_config = _IGNORE

    product_id: Identifier = 0
    variation_id: Identifier = 0
    name: str = ""
    sku: str = ""
    quantity: Quantity = 0
    price: Quantity | str | None = None
    subtotal: str = ""
    subtotal_tax: str = ""
    total: str = ""
    total_tax: str = ""

    @field_validator("name", "sku", "subtotal", "subtotal_tax", "total", "total_tax", mode="before")
    @classmethod
    def _strings(cls, value: Any) -> Any:
        return _text(value)


class TaxLine(BaseModel):
    model_config = _IGNORE

    rate_code: str = ""
    label: str = ""
    rate_percent: Quantity | None = None
    tax_total: str = ""
    shipping_tax_total: str = ""

    @field_validator("rate_code", "label", "tax_total", "shipping_tax_total", mode="before")
    @classmethod
    def _strings(cls, value: Any) -> Any:
        return _text(value)


class ShippingLine(_TextModel):
    method_id: str = ""
    method_title: str = ""
    total: str = ""
    total_tax: str = ""


class FeeLine(_TextModel):
    name: str = ""
    total: str = ""
    total_tax: str = ""


class CouponLine(_TextModel):
    code: str = ""
    discount: str = ""
    discount_tax: str = ""


class Refund(BaseModel):
    model_config = _IGNORE

    id: Identifier
    total: str = ""

    @field_validator("total", mode="before")
    @classmethod
    def _strings(cls, value: Any) -> Any:
        return _text(value)


class OrderPayload(BaseModel):
    """`order.created|updated|restored`: the full order."""

    model_config = _IGNORE

    id: Identifier = Field(gt=0)
    parent_id: Identifier = 0
    number: str = ""
    status: str = Field(min_length=1, max_length=64)
    currency: str = Field(default="", max_length=8)
    prices_include_tax: bool = False
    date_created_gmt: str | None = None
    date_modified_gmt: str = Field(min_length=10, max_length=40)
    date_paid_gmt: str | None = None
    date_completed_gmt: str | None = None
    discount_total: str = ""
    discount_tax: str = ""
    shipping_total: str = ""
    shipping_tax: str = ""
    cart_tax: str = ""
    total: str = ""
    total_tax: str = ""
    customer_id: Identifier = 0
    billing: Address = Field(default_factory=Address)
    shipping: Address = Field(default_factory=Address)
    payment_method: str = ""
    payment_method_title: str = ""
    transaction_id: str = ""
    customer_ip_address: str = ""
    customer_note: str = ""
    created_via: str = ""
    meta_data: list[MetaEntry] = Field(default_factory=list)
    line_items: list[LineItem] = Field(default_factory=list)
    tax_lines: list[TaxLine] = Field(default_factory=list)
    shipping_lines: list[ShippingLine] = Field(default_factory=list)
    fee_lines: list[FeeLine] = Field(default_factory=list)
    coupon_lines: list[CouponLine] = Field(default_factory=list)
    refunds: list[Refund] = Field(default_factory=list)

    @field_validator("number", "discount_total", "discount_tax", "shipping_total", "shipping_tax", "cart_tax",
                     "total", "total_tax", "payment_method", "payment_method_title", "transaction_id",
                     "customer_ip_address", "customer_note", "created_via", mode="before")
    @classmethod
    def _strings(cls, value: Any) -> Any:
        return _text(value)

    def meta(self, key: str) -> Any:
        for entry in self.meta_data:
            if entry.key == key:
                return entry.value
        return None


class CustomerPayload(BaseModel):
    """`customer.created|updated`: the full customer."""

    model_config = _IGNORE

    id: Identifier = Field(gt=0)
    email: str = ""
    first_name: str = ""
    last_name: str = ""
    username: str = ""
    role: str = ""
    is_paying_customer: bool = False
    date_created_gmt: str | None = None
    date_modified_gmt: str | None = None
    billing: Address = Field(default_factory=Address)
    shipping: Address = Field(default_factory=Address)

    @field_validator("email", "first_name", "last_name", "username", "role", mode="before")
    @classmethod
    def _strings(cls, value: Any) -> Any:
        return _text(value)

    @property
    def modified(self) -> str | None:
        return self.date_modified_gmt or self.date_created_gmt


class DeletedPayload(BaseModel):
    """`order.deleted` / `customer.deleted`: exactly `{"id": N}` (anything more is not a deletion body)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: Identifier = Field(gt=0)
