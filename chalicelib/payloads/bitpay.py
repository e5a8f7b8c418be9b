"""BitPay payloads: the IPN (only a trigger: which invoice to fetch) and the invoice as BitPay's API answers it.

Two IPN formats reach `POST /webhooks/bitpay`:
- standard: the flat invoice (`{"id": ..., "status": ..., ...}`);
- extended: `{"event": {"code": 1005, "name": "invoice_confirmed"}, "data": {"id": ..., ...}}`.
Only the invoice id is taken from an IPN; what is stored comes from `GET /invoices/{id}` (`{"data": {...}}`).

BitPay's documentation shows an IPN body with a trailing comma (`"buyerEmail": "...",}`).  `ipn_json` accepts that
one deviation and nothing else: a comma directly followed (after whitespace) by `}` or `]`, outside strings, is
dropped by a linear scan, and the result goes through the strict JSON reader like every body.  That is safe because
the IPN decides nothing but which invoice to fetch, and the scan cannot change a string's content.
Unknown fields are ignored and never stored.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from chalicelib.payloads.strict_json import JsonRejected, loads

_IGNORE = ConfigDict(extra="ignore", frozen=True)
INVOICE_ID = r"^[A-Za-z0-9]{8,64}$"

# BitPay's invoice status order (new < paid < confirmed < complete); expired, invalid and declined end an invoice
# (nothing follows them in BitPay's lifecycle), so they rank above every other status.  A refund does not change
# the invoice's status in BitPay's API (a `refundComplete` IPN re-reads the same status: a duplicate).
STATUS_RANK = {"new": 1, "paid": 2, "confirmed": 3, "complete": 4, "expired": 5, "invalid": 5, "declined": 5}


def strip_trailing_commas(text: str) -> str:
    """Drop each comma that only whitespace separates from a closing `}` or `]`, outside strings."""
    out: list[str] = []
    in_string = escaped = False
    pending: int | None = None  # index in `out` of a comma not yet known to be trailing
    for char in text:
        if in_string:
            out.append(char)
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
            continue
        if char in "}]" and pending is not None:
            out[pending] = ""
        if not char.isspace():
            pending = None
        if char == ",":
            pending = len(out)
        elif char == '"':
            in_string = True
        out.append(char)
    return "".join(out)


def ipn_json(body: bytes) -> Any:
    """The IPN body under the strict JSON rules, trailing commas before a closing bracket allowed."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise JsonRejected("body is not UTF-8") from None
    return loads(strip_trailing_commas(text))


class IpnEvent(BaseModel):
    model_config = _IGNORE

    code: int | None = None
    name: str = Field(default="", max_length=64)


class IpnInvoice(BaseModel):
    model_config = _IGNORE

    id: str = Field(pattern=INVOICE_ID)
    status: str = Field(default="", max_length=32)


class IpnExtended(BaseModel):
    """The extended IPN on the wire (`{"event": ..., "data": invoice}`), as GET /openapi.json describes it;
    `Ipn.from_json` reads both formats into `Ipn`."""

    model_config = _IGNORE

    event: IpnEvent | None = None
    data: IpnInvoice


class Ipn(BaseModel):
    """Either format: `invoice` is the flat body (standard) or `data` (extended)."""

    model_config = _IGNORE

    event: IpnEvent | None = None
    invoice: IpnInvoice

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Ipn:
        extended = isinstance(data.get("event"), dict) or isinstance(data.get("data"), dict)
        if extended:
            return cls.model_validate({"event": data.get("event"), "invoice": data.get("data")})
        return cls.model_validate({"invoice": data})


class BuyerFields(BaseModel):
    """`buyerFields` (IPN and API v2) or `buyer` (API): every value is personal and sealed."""

    model_config = _IGNORE

    buyerName: str = Field(default="", max_length=512)  # field names are BitPay's
    buyerAddress1: str = Field(default="", max_length=512)
    buyerAddress2: str = Field(default="", max_length=512)
    buyerCity: str = Field(default="", max_length=256)
    buyerState: str = Field(default="", max_length=256)
    buyerZip: str = Field(default="", max_length=64)
    buyerCountry: str = Field(default="", max_length=64)
    buyerEmail: str = Field(default="", max_length=320)
    buyerPhone: str = Field(default="", max_length=64)
    buyerNotify: bool | None = None

    def personal(self) -> dict[str, Any]:
        fields = {"name": self.buyerName, "address1": self.buyerAddress1, "address2": self.buyerAddress2,
                  "city": self.buyerCity, "state": self.buyerState, "zip": self.buyerZip,
                  "country": self.buyerCountry, "email": self.buyerEmail, "phone": self.buyerPhone}
        return {k: v for k, v in fields.items() if v}


class Buyer(BaseModel):
    """The API's `buyer` object (the same data under other names)."""

    model_config = _IGNORE

    name: str = Field(default="", max_length=512)
    address1: str = Field(default="", max_length=512)
    address2: str = Field(default="", max_length=512)
    locality: str = Field(default="", max_length=256)
    region: str = Field(default="", max_length=256)
    postalCode: str = Field(default="", max_length=64)
    country: str = Field(default="", max_length=64)
    email: str = Field(default="", max_length=320)
    phone: str = Field(default="", max_length=64)

    def personal(self) -> dict[str, Any]:
        fields = {"name": self.name, "address1": self.address1, "address2": self.address2, "city": self.locality,
                  "state": self.region, "zip": self.postalCode, "country": self.country, "email": self.email,
                  "phone": self.phone}
        return {k: v for k, v in fields.items() if v}


class Invoice(BaseModel):
    """The invoice from `GET /invoices/{id}` (`data`): what is stored."""

    model_config = _IGNORE

    id: str = Field(pattern=INVOICE_ID)
    status: str = Field(min_length=1, max_length=32)
    orderId: str | int | None = None
    posData: str | None = Field(default=None, max_length=4096)
    price: float | int | None = None
    currency: str = Field(default="", max_length=16)
    invoiceTime: int | None = None
    expirationTime: int | None = None
    currentTime: int | None = None
    exceptionStatus: bool | str | None = None
    transactionCurrency: str | None = Field(default=None, max_length=16)
    amountPaid: str | int | float | None = None
    buyerFields: BuyerFields | None = None
    buyer: Buyer | None = None
    buyerProvidedEmail: str | None = Field(default=None, max_length=320)

    def personal(self) -> dict[str, Any]:
        fields = {**(self.buyer.personal() if self.buyer else {}),
                  **(self.buyerFields.personal() if self.buyerFields else {})}
        if self.buyerProvidedEmail and "email" not in fields:
            fields["email"] = self.buyerProvidedEmail
        return fields
