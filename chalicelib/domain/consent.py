"""Pure consent rules: what a choice means after signals (GPC), Google Consent Mode v2, when to ask again, and the
proof context kept with each event (truncated IP, user-agent family, country)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

from chalicelib.domain.privacy import truncate_ip
from chalicelib.domain.retention import DAY
from chalicelib.domain.subjects import keyed_hash

Action = Literal["accept_all", "reject_all", "custom", "withdraw"]
Source = Literal["banner", "privacy_center", "checkout"]
Grant = Literal["granted", "denied"]

PURPOSES = ("preferences", "analytics", "marketing")
GPC_REASON = "gpc"
VISITOR_HASH_PURPOSE = "consent-visitor"


@dataclass(frozen=True)
class Choices:
    """The optional purposes; essential cookies are always on and cannot be refused."""

    preferences: bool
    analytics: bool
    marketing: bool

    @classmethod
    def all(cls, value: bool) -> Choices:
        return cls(value, value, value)

    def as_dict(self) -> dict[str, bool]:
        return {"essential": True, "preferences": self.preferences, "analytics": self.analytics,
                "marketing": self.marketing}

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> Choices:
        return cls(bool(data["preferences"]), bool(data["analytics"]), bool(data["marketing"]))


NOTHING = Choices.all(False)


class ChoicesMismatchError(ValueError):
    """The choices contradict the action (e.g. accept_all with analytics false)."""


def choices_for_action(action: Action, asked: Choices | None) -> Choices:
    """What the visitor chose: accept_all = everything, reject_all and withdraw = nothing, custom = as asked.
    For the fixed actions the choices may be omitted, but when sent they must agree with the action."""
    if action == "custom":
        if asked is None:
            raise ChoicesMismatchError("choices are required for action custom")
        return asked
    implied = Choices.all(action == "accept_all")
    if asked is not None and asked != implied:
        raise ChoicesMismatchError(f"choices contradict action {action}")
    return implied


@dataclass(frozen=True)
class Effective:
    """The choices after signals, and why a purpose was overridden ({purpose: reason})."""

    choices: Choices
    overrides: dict[str, str] = field(default_factory=dict)


def apply_signals(asked: Choices, *, gpc: bool) -> Effective:
    """Global Privacy Control (`Sec-GPC: 1`) is an opt-out of sale/sharing: marketing is off whatever was asked."""
    if gpc and asked.marketing:
        return Effective(Choices(asked.preferences, asked.analytics, False), {"marketing": GPC_REASON})
    return Effective(asked)


def consent_mode(choices: Choices) -> dict[str, Grant]:
    """Google Consent Mode v2 signals derived from the effective choices."""

    def grant(value: bool) -> Grant:
        return "granted" if value else "denied"

    return {
        "ad_storage": grant(choices.marketing),
        "analytics_storage": grant(choices.analytics),
        "ad_user_data": grant(choices.marketing),
        "ad_personalization": grant(choices.marketing),
    }


ReconsentReason = Literal["no_consent", "policy_changed", "expired"]


def reconsent_after(recorded_at: int, policy_version: str, *, current_policy_version: str,
                    validity_days: int) -> int:
    """When the visitor must be asked again: at once for a policy other than the current one, else after the
    validity period."""
    if policy_version != current_policy_version:
        return recorded_at
    return recorded_at + validity_days * DAY


def reconsent_reason(recorded_at: int | None, policy_version: str | None, *, now: int, current_policy_version: str,
                     validity_days: int) -> ReconsentReason | None:
    """Why the visitor must be asked again, or None while their consent holds."""
    if recorded_at is None or policy_version is None:
        return "no_consent"
    if policy_version != current_policy_version:
        return "policy_changed"
    if now >= recorded_at + validity_days * DAY:
        return "expired"
    return None


# -- holders: whose consent an event is -----------------------------------------------------------------------------
def holder_for_visitor(visitor_id: str, pepper: str) -> str:
    """A visitor is keyed by a keyed hash of their cookie id: the raw cookie value is never stored."""
    return "V." + keyed_hash(visitor_id, pepper, VISITOR_HASH_PURPOSE)


def holder_for_account(subject: str) -> str:
    """A customer's own consent (recorded in the privacy center without a visitor id)."""
    return "A." + subject


def is_account_holder(holder: str) -> bool:
    return holder.startswith("A.")


# -- proof context ------------------------------------------------------------------------------------------------
_UA_FAMILIES: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (name, re.compile(pattern, re.IGNORECASE))
    for name, pattern in (
        ("Bot", r"bot\b|crawler|spider|slurp|headless"),
        ("Edge", r"\bEdg(?:e|A|iOS)?/"),
        ("Opera", r"\bOPR/|\bOpera\b"),
        ("Samsung Internet", r"SamsungBrowser/"),
        ("Yandex Browser", r"YaBrowser/"),
        ("Firefox", r"\bFirefox/|\bFxiOS/"),
        ("Chrome", r"\bChrome/|\bCriOS/|\bChromium/"),
        ("Safari", r"\bSafari/|AppleWebKit/"),
        ("curl", r"^curl/"),
    )
)


def user_agent_family(user_agent: str | None) -> str | None:
    """The browser family only (no version, no OS, no device): enough to show how a choice was made."""
    if not user_agent or not user_agent.strip():
        return None
    text = user_agent[:512]
    for name, pattern in _UA_FAMILIES:
        if pattern.search(text):
            return name
    return "Other"


def viewer_country(value: str | None) -> str | None:
    """CloudFront-Viewer-Country: an ISO 3166-1 alpha-2 code, anything else is dropped."""
    if not value:
        return None
    code = value.strip().upper()
    return code if re.fullmatch(r"[A-Z]{2}", code) else None


def viewer_ip(cloudfront_viewer_address: str | None, source_ip: str | None) -> str | None:
    """The viewer's address: CloudFront-Viewer-Address (`ip:port`) when present, else the request's source IP."""
    if cloudfront_viewer_address:
        host, _, port = cloudfront_viewer_address.strip().rpartition(":")
        if host and port.isdigit():
            return host.strip("[]")
    return source_ip


def ip_prefix(address: str | None) -> str | None:
    """IPv4 /24 and IPv6 /48: the address itself is never stored."""
    return truncate_ip(address, v4_prefix=24, v6_prefix=48)


@dataclass(frozen=True)
class ProofContext:
    gpc: bool = False
    country: str | None = None
    ip_prefix: str | None = None
    user_agent_family: str | None = None

    @classmethod
    def from_request(cls, *, gpc_header: str | None, country_header: str | None, viewer_address: str | None,
                     source_ip: str | None, user_agent: str | None) -> ProofContext:
        return cls(gpc=(gpc_header or "").strip() == "1", country=viewer_country(country_header),
                   ip_prefix=ip_prefix(viewer_ip(viewer_address, source_ip)),
                   user_agent_family=user_agent_family(user_agent))

    def proof(self) -> dict[str, str]:
        """The personal part of the context (kept sealed for customers, plain for anonymous visitors)."""
        values = {"country": self.country, "ip_prefix": self.ip_prefix, "user_agent_family": self.user_agent_family}
        return {k: v for k, v in values.items() if v is not None}


# -- the ledger -----------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ConsentEvent:
    """One ledger entry: never updated in place."""

    holder: str
    consent_id: str
    recorded_at: int
    action: Action
    asked: Choices
    effective: Choices
    overrides: dict[str, str]
    gpc: bool
    policy_version: str
    source: Source
    notice_hash: str | None = None
    locale: str | None = None
    country: str | None = None
    ip_prefix: str | None = None
    user_agent_family: str | None = None
    subject: str | None = None  # set when recorded with a valid bearer token: the entry belongs to the customer
    customer_id: str | None = None


@dataclass(frozen=True)
class ConsentState:
    """The current state of a holder: the last effective event."""

    holder: str
    consent_id: str
    recorded_at: int
    action: Action
    effective: Choices
    overrides: dict[str, str]
    gpc: bool
    policy_version: str
    source: Source

    @classmethod
    def of(cls, event: ConsentEvent) -> ConsentState:
        return cls(event.holder, event.consent_id, event.recorded_at, event.action, event.effective,
                   dict(event.overrides), event.gpc, event.policy_version, event.source)
