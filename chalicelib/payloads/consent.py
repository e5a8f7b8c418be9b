"""API bodies of the consent banner and the account privacy settings (strict: unknown fields and wrong types are
refused with a message naming the field; values are never echoed)."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, RootModel, StrictBool

from chalicelib.domain.consent import Action, Grant, PublicSource, Signal

MAX_BODY = 16 * 1024
MAX_CATEGORIES = 16

VISITOR_ID_PATTERN = r"^[A-Za-z0-9._~:-]{8,128}$"
VisitorId = Annotated[str, Field(pattern=VISITOR_ID_PATTERN)]
PolicyVersion = Annotated[str, Field(pattern=r"^[A-Za-z0-9._-]{1,40}$")]
NoticeHash = Annotated[str, Field(pattern=r"^(?:sha256:)?[A-Za-z0-9_-]{8,128}$")]
Locale = Annotated[str, Field(pattern=r"^[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{2,8}){0,2}$")]

_STRICT = ConfigDict(extra="forbid", strict=True, frozen=True)


class ChoicesIn(RootModel[Annotated[dict[str, Any], Field(max_length=MAX_CATEGORIES)]]):
    """{category: bool}: which categories a store has is the store's policy, so the names and values are checked
    against it by the use case (`ConsentScheme.check`: an unknown or missing category is a 400 naming it)."""

    model_config = ConfigDict(strict=True, frozen=True)

    def domain(self) -> dict[str, Any]:
        return dict(self.root)


class _ConsentFields(BaseModel):
    model_config = _STRICT

    action: Action
    choices: ChoicesIn | None = None
    policy_version: PolicyVersion
    notice_hash: NoticeHash | None = None
    locale: Locale | None = None


class ConsentIn(_ConsentFields):
    """POST /consent."""

    visitor_id: VisitorId
    source: PublicSource = "banner"


class AccountConsentIn(_ConsentFields):
    """PUT /account/privacy/consent: the source is the privacy center; a visitor id links that browser too."""

    visitor_id: VisitorId | None = None


class MarketingIn(BaseModel):
    """PUT /account/privacy/marketing: opt-in needs an explicit true."""

    model_config = _STRICT

    email_marketing: StrictBool


# -- GET /consent/config: what the banner reads (an output view) ------------------------------------------------------
class _View(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class VendorOut(_View):
    key: str
    name: str
    country: str
    purposes: list[str]


class CookieOut(_View):
    name: str
    vendor: str  # a vendor's key, or "first_party"
    duration: str
    purpose: str


class CategoryOut(_View):
    name: str
    label: str
    description: str
    locked: bool  # essential: always on, the banner shows no switch
    consent_mode: list[Signal]
    vendors: list[VendorOut]
    cookies: list[CookieOut]


class ConsentConfigOut(_View):
    policy_version: str
    controller: str
    privacy_policy_url: str
    cookie_policy_url: str | None
    categories: list[CategoryOut]
    consent_mode_defaults: dict[Signal, Grant]
    languages: list[str]
