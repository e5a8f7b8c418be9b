"""The store's policy file as pydantic models: what one store promises, read from TOML (`chalicelib.policy.load`).

Every section forbids unknown keys (a typo is an error, not a silently ignored promise).  What pydantic cannot
say about one field alone (a recipient's categories exist, a transfer has a safeguard, no cookie is named twice,
a retention stays under its ceiling) is checked by `cross_check`, which returns every problem with its place in
the file, so `python -m chalicelib.policy check` can print them all at once.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field

from chalicelib.domain.privacy_requests import EEA, UK
from chalicelib.domain.processors import CONNECTORS
from chalicelib.domain.retention import STORE_CATEGORIES, Category
from chalicelib.policy.durations import cookie_seconds, parse_days

Regime = Literal["gdpr", "uk_gdpr", "ccpa"]
Safeguard = Literal["adequacy", "sccs", "dpf", "bcr"]
Role = Literal["processor", "independent_controller"]
RecipientKind = Literal["platform", "hosting", "payment", "support", "analytics", "advertising", "mail", "other"]
CookieCategoryName = Literal["essential", "preferences", "analytics", "marketing", "support"]
ConsentSignal = Literal["ad_storage", "analytics_storage", "ad_user_data", "ad_personalization",
                        "functionality_storage", "personalization_storage", "security_storage"]
Right = Literal["access", "rectification", "erasure", "portability", "restriction", "objection",
                "marketing_objection", "know", "delete", "opt_out", "non_discrimination", "complaint"]
# letter, phone, in_person and agent requests are recorded by the operator (`cli submit`); agent: CCPA § 7063
RequestChannel = Literal["account", "web", "email", "letter", "phone", "in_person", "agent"]
Language = Literal["en", "de", "et"]

# Countries with an EU adequacy decision (Commission list, 2026); the US only for DPF-certified recipients.
ADEQUATE = frozenset({"AD", "AR", "CA", "CH", "FO", "GB", "GG", "IL", "IM", "JE", "JP", "KR", "NZ", "UY"})
GDPR_AREA = EEA | UK

_KEY = r"^[a-z][a-z0-9_]{0,39}$"
_ERASURE = re.compile(r"^(api:[a-z][a-z0-9_]{0,39}|email:.+|manual)$")


def _email(value: object) -> str:
    from chalicelib.domain.email_address import InvalidEmailError, parse_email

    try:
        return parse_email(value)
    except InvalidEmailError as error:
        raise ValueError(str(error)) from None


EmailAddress = Annotated[str, BeforeValidator(_email)]


def _country(value: str) -> str:
    if not re.fullmatch(r"[A-Z]{2}", value):
        raise ValueError(f"{value!r} is not an ISO 3166 alpha-2 country code (two capital letters)")
    return value


def _erasure(value: str) -> str:
    if not _ERASURE.match(value):
        raise ValueError(f"{value!r}: an erasure channel is api:<connector>, email:<address> or manual")
    if value.startswith("api:") and value.removeprefix("api:") not in CONNECTORS:
        raise ValueError(f"{value!r}: no such connector (there are: {', '.join(CONNECTORS)}); use email:<address> "
                         "or manual for this recipient")
    if value.startswith("email:"):
        from chalicelib.domain.email_address import InvalidEmailError, parse_email

        try:
            parse_email(value.removeprefix("email:"))
        except InvalidEmailError as error:
            raise ValueError(f"{value!r}: {error}") from None
    return value


def _duration(value: str) -> str:
    cookie_seconds(value)
    return value


def _text(value: str) -> str:
    if any(ord(ch) < 32 and ch not in "\n" for ch in value):
        raise ValueError("control characters are not allowed")
    return value


Country = Annotated[str, AfterValidator(_country)]
Text = Annotated[str, Field(min_length=1, max_length=2000), AfterValidator(_text)]
Key = Annotated[str, Field(pattern=_KEY)]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


def _duration_days(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, str):
        raise ValueError("a duration is text with a unit, e.g. \"7 years\" or \"30 days\" (a bare number has none)")
    return parse_days(value)


Period = Annotated[int, BeforeValidator(_duration_days)]


class PolicyInfo(_Section):
    version: str = Field(pattern=r"^[A-Za-z0-9._-]{1,40}$")
    effective: date
    privacy_policy_url: str = Field(pattern=r"^https://\S+$")
    cookie_policy_url: str | None = Field(default=None, pattern=r"^https://\S+$")
    cites: Text


class Contacts(_Section):
    privacy: EmailAddress
    support: EmailAddress | None = None
    dpo: EmailAddress | None = None
    postal: bool = False  # requests by letter to the controller's address are accepted


class Controller(_Section):
    legal_name: Text
    trading_name: Text | None = None
    registry_code: Text | None = None
    address: Text
    country: Country
    contacts: Contacts
    cites: Text

    @property
    def display_name(self) -> str:
        return f"{self.legal_name} ({self.trading_name})" if self.trading_name else self.legal_name


class Regimes(_Section):
    served: list[Regime] = Field(min_length=1)
    decided_by: Literal["billing_country"] = "billing_country"
    otherwise: Literal["strictest", "gdpr", "ccpa"] = "strictest"
    cites: Text


class Hosting(_Section):
    provider: Text
    region: Text
    country: Country
    safeguard: Safeguard | None = None  # needed when the host is outside the EEA/UK and GDPR is served
    cites: Text


class VariesBy(_Section):
    """Retention decided by an attribute of the customer's account (a WooCommerce customer meta key)."""

    attribute: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_.-]{0,63}$")
    values: dict[str, Period] = Field(min_length=1)  # unlisted or absent: the category's `retention`
    cites: Text


class DataCategory(_Section):
    what: Text
    legal_basis: Text
    retention: Period
    at_expiry: Literal["delete", "anonymise"]
    ceiling: Period | None = None  # what the published text promises at most
    varies_by: VariesBy | None = None
    cites: Text


class Recipient(_Section):
    name: Text
    role: Role
    kind: RecipientKind
    purposes: list[Text] = Field(min_length=1)
    data_categories: list[str] = Field(min_length=1)
    country: Country
    safeguard: Safeguard | None = None
    consent: CookieCategoryName | None = None  # the cookie category that gates what it receives
    erasure: Annotated[str, AfterValidator(_erasure)]
    payment_methods: list[str] = Field(default_factory=list)  # WooCommerce payment_method values it handles
    # What an `api:ga4` connector names the person by: the WooCommerce customer id as GA4's user_id, or the
    # analytics client ids captured with consent.
    identifier: Literal["user_id", "client_id"] = "user_id"
    cites: Text


class Cookie(_Section):
    name: str = Field(min_length=1, max_length=128, pattern=r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
    vendor: str  # a recipient's key, or "first_party"
    duration: Annotated[str, AfterValidator(_duration)]
    purpose: Text


class CookieCategory(_Section):
    label: Text
    description: Text
    consent_mode: list[ConsentSignal] = Field(default_factory=list)
    vendors: list[str] = Field(default_factory=list)
    cookies: list[Cookie] = Field(default_factory=list)
    cites: Text


class IpAddresses(_Section):
    store: Literal["truncated", "none"]
    cites: Text


class Rights(_Section):
    offered: list[Right] = Field(min_length=1)
    channels: list[RequestChannel] = Field(min_length=1)
    languages: list[Language] = Field(min_length=1)
    cites: Text


class Branding(_Section):
    """How the customer-facing pages (the privacy center, the confirm page) look: not a promise, so optional."""

    primary: str = Field(default="#1d4ed8", pattern=r"^#[0-9A-Fa-f]{6}$")  # a hex colour, e.g. "#0f766e"
    cites: Text = "silent: the project's default colour"


class ConsentMode(_Section):
    """Google Consent Mode v2 defaults of the banner.  `regions` (ISO 3166-1 or 3166-2 codes): where the seven
    signals are denied until a choice; elsewhere Consent Mode starts granted.  Empty (the default): denied
    everywhere, the strictest reading."""

    regions: list[Annotated[str, Field(pattern=r"^[A-Z]{2}(-[A-Z0-9]{1,3})?$")]] = Field(default_factory=list,
                                                                                       max_length=300)
    wait_for_update_ms: int = Field(default=500, ge=0, le=10_000)
    cites: Text = "silent: denied everywhere until a choice (project default)"


class StorePolicy(_Section):
    schema_version: Literal[1] = Field(alias="schema")
    policy: PolicyInfo
    controller: Controller
    regimes: Regimes
    hosting: Hosting
    categories: dict[str, DataCategory]
    recipients: dict[Key, Recipient]
    cookies: dict[CookieCategoryName, CookieCategory]
    ip_addresses: IpAddresses
    rights: Rights
    branding: Branding = Field(default_factory=Branding)
    consent_mode: ConsentMode = Field(default_factory=ConsentMode)

    def category(self, name: Category | str) -> DataCategory | None:
        return self.categories.get(str(name))

    def serves(self, regime: str) -> bool:
        return regime in self.regimes.served


Problem = tuple[str, str]  # (place in the file, what is wrong)


def _transfer_problem(country: str, safeguard: str | None, hosting_country: str, gdpr: bool) -> str | None:
    """Why a transfer to `country` is not lawful as written, or None."""
    if not gdpr or country in GDPR_AREA or (country == hosting_country and hosting_country in GDPR_AREA):
        return None
    if safeguard is None:
        return f"a transfer to {country} (outside the EEA/UK) needs a safeguard (adequacy, sccs, dpf or bcr)"
    if safeguard == "adequacy" and country not in ADEQUATE:
        return f"{country} has no EU adequacy decision: use sccs, dpf (US) or bcr"
    if safeguard == "dpf" and country != "US":
        return "the Data Privacy Framework covers transfers to the US only"
    return None


KNOWN_CATEGORIES = frozenset(c.value for c in Category)


def cross_check(policy: StorePolicy) -> list[Problem]:
    """Every problem between sections, each with its place in the file."""
    return [*_categories(policy), *_transfers(policy), *_recipients(policy), *_cookie_categories(policy),
            *_cookies(policy), *_rights(policy)]


def _categories(policy: StorePolicy) -> list[Problem]:
    problems: list[Problem] = []
    for name, category in policy.categories.items():
        place = f"categories.{name}"
        if name not in KNOWN_CATEGORIES:
            problems.append((place, f"unknown data category {name!r} (known: {', '.join(sorted(KNOWN_CATEGORIES))})"))
            continue
        periods = [("retention", category.retention)]
        if category.varies_by:
            periods += [(f"varies_by.values.{k}", v) for k, v in category.varies_by.values.items()]
        problems += [(f"{place}.{field}", f"{days} days exceeds the promised ceiling of {category.ceiling}")
                     for field, days in periods if category.ceiling is not None and days > category.ceiling]
    problems += [(f"categories.{name}", "missing: say what the store keeps and for how long (where the published "
                                        "policy is silent, write the default and cite that)")
                 for name in sorted(STORE_CATEGORIES - set(policy.categories))]
    return problems


def _gdpr(policy: StorePolicy) -> bool:
    return policy.serves("gdpr") or policy.serves("uk_gdpr")


def _transfers(policy: StorePolicy) -> list[Problem]:
    hosting, problems = policy.hosting, []
    if _gdpr(policy) and (problem := _transfer_problem(hosting.country, hosting.safeguard, "", True)):
        problems.append(("hosting.safeguard", problem))
    for key, recipient in policy.recipients.items():
        if problem := _transfer_problem(recipient.country, recipient.safeguard, hosting.country, _gdpr(policy)):
            problems.append((f"recipients.{key}.safeguard", problem))
    return problems


def _recipients(policy: StorePolicy) -> list[Problem]:
    problems: list[Problem] = []
    for key, recipient in policy.recipients.items():
        place = f"recipients.{key}"
        problems += [(f"{place}.data_categories[{index}]", f"unknown data category {name!r}")
                     for index, name in enumerate(recipient.data_categories) if name not in KNOWN_CATEGORIES]
        if recipient.consent is not None and recipient.consent not in policy.cookies:
            problems.append((f"{place}.consent", f"no cookie category {recipient.consent!r} in [cookies]"))
        if recipient.kind == "payment" and not recipient.payment_methods:
            problems.append((f"{place}.payment_methods",
                             "a payment provider names the WooCommerce payment methods it handles"))
    return problems


def _cookie_categories(policy: StorePolicy) -> list[Problem]:
    problems: list[Problem] = []
    if "essential" not in policy.cookies:
        problems.append(("cookies.essential", "missing: essential cookies are always listed"))
    granted_by: dict[str, str] = {}
    for name, category in policy.cookies.items():
        for signal in category.consent_mode:
            if signal in granted_by:
                problems.append((f"cookies.{name}.consent_mode",
                                 f"{signal} is already granted by {granted_by[signal]}"))
            granted_by[signal] = name
        for index, vendor in enumerate(category.vendors):
            place, recipient = f"cookies.{name}.vendors[{index}]", policy.recipients.get(vendor)
            if recipient is None:
                problems.append((place, f"unknown recipient {vendor!r}"))
            elif name != "essential" and recipient.consent != name:
                problems.append((place, f"recipient {vendor!r} is not gated by {name!r} (its consent says "
                                        f"{recipient.consent!r})"))
    return problems


def _cookies(policy: StorePolicy) -> list[Problem]:
    problems: list[Problem] = []
    first_seen: dict[str, str] = {}
    for name, category in policy.cookies.items():
        for index, cookie in enumerate(category.cookies):
            place = f"cookies.{name}.cookies[{index}]"
            if cookie.name in first_seen:
                problems.append((f"{place}.name",
                                 f"duplicate cookie name {cookie.name!r} (also in {first_seen[cookie.name]})"))
            first_seen.setdefault(cookie.name, place)
            if cookie.vendor != "first_party" and cookie.vendor not in category.vendors:
                problems.append((f"{place}.vendor", f"{cookie.vendor!r} is not a vendor of {name}"))
    return problems


def _rights(policy: StorePolicy) -> list[Problem]:
    problems: list[Problem] = []
    if "ccpa" in policy.regimes.served:
        problems += [("rights.offered", f"CCPA is served: the right {right!r} must be offered")
                     for right in ("know", "delete", "opt_out", "non_discrimination")
                     if right not in policy.rights.offered]
    if "letter" in policy.rights.channels and not policy.controller.contacts.postal:
        problems.append(("rights.channels", "letters are accepted: set controller.contacts.postal = true"))
    return problems
