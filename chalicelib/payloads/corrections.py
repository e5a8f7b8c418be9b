"""The changes a correction request (GDPR Art. 16) asks for: only fields this backend and the store know.

    {"first_name": "...", "last_name": "...", "email": "...",
     "billing":  {"first_name", "last_name", "company", "address_1", "address_2", "city", "postcode", "state",
                  "country", "phone"},
     "shipping": {the same}}

The names are WooCommerce's customer schema (REST API v3: `first_name`, `last_name`, `email`, `billing{...}`,
`shipping{...}`), so a change relays to the store as it is.  An unknown field is refused naming it (`changes.<name>`,
`changes.billing.<name>`); values are text of sane length without control or format characters (a value may be
empty only where the field is optional: company, address_2, state, phone).  The values are personal data: the
request keeps them sealed under the subject's key; only the field NAMES (`changed_fields`) are kept in the clear.
"""

from __future__ import annotations

import unicodedata
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, model_validator

from chalicelib.payloads.fields import EmailAddress, Identifier

MAX_ORDERS = 20


def _printable(value: str) -> str:
    """No control, format (bidi), surrogate or unassigned characters, and no line or paragraph separators."""
    for character in value:
        category = unicodedata.category(character)
        if category[0] == "C" or category in ("Zl", "Zp"):
            raise ValueError("must not contain control characters")
    if value != value.strip():
        raise ValueError("must not start or end with spaces")
    return value


Name = Annotated[str, StringConstraints(min_length=1, max_length=100), AfterValidator(_printable)]
Line = Annotated[str, StringConstraints(min_length=1, max_length=200), AfterValidator(_printable)]
OptionalLine = Annotated[str, StringConstraints(min_length=0, max_length=200), AfterValidator(_printable)]
Company = OptionalLine
City = Name
Postcode = Annotated[str, StringConstraints(min_length=1, max_length=20, pattern=r"^[A-Za-z0-9][A-Za-z0-9 -]*$")]
State = Annotated[str, StringConstraints(min_length=0, max_length=100), AfterValidator(_printable)]
Country = Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]  # ISO 3166-1 alpha-2, as WooCommerce stores it
Phone = Annotated[str, StringConstraints(min_length=0, max_length=32, pattern=r"^[0-9+()./ -]*$")]


class AddressChanges(BaseModel):
    """Parts of a billing or shipping address (WooCommerce's names)."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    first_name: Name | None = None
    last_name: Name | None = None
    company: Company | None = None
    address_1: Line | None = None
    address_2: OptionalLine | None = None
    city: City | None = None
    postcode: Postcode | None = None
    state: State | None = None
    country: Country | None = None
    phone: Phone | None = None

    def given(self) -> dict[str, str]:
        return self.model_dump(exclude_none=True)


class CorrectionChanges(BaseModel):
    """What a correction asks to change (at least one field)."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    first_name: Name | None = None
    last_name: Name | None = None
    email: EmailAddress | None = None
    billing: AddressChanges | None = None
    shipping: AddressChanges | None = None

    @model_validator(mode="after")
    def _not_empty(self) -> CorrectionChanges:
        if not changed_fields(self.given()):
            raise ValueError("name at least one field to correct")
        return self

    def given(self) -> dict[str, Any]:
        """The changes as a plain mapping (absent fields left out; an address without parts left out)."""
        found: dict[str, Any] = {}
        for name in ("first_name", "last_name", "email"):
            value = getattr(self, name)
            if value is not None:
                found[name] = value
        for name in ("billing", "shipping"):
            address: AddressChanges | None = getattr(self, name)
            if address is not None and address.given():
                found[name] = address.given()
        return found


OrderIds = Annotated[list[Identifier], Field(min_length=1, max_length=MAX_ORDERS)]


def changed_fields(changes: dict[str, Any]) -> list[str]:
    """The NAMES of the fields a change touches ("first_name", "billing.city", ...), sorted: what the audit, the
    logs and the subject's mail may carry (never a value)."""
    names: list[str] = []
    for name, value in changes.items():
        if isinstance(value, dict):
            names.extend(f"{name}.{part}" for part in value)
        else:
            names.append(name)
    return sorted(names)
