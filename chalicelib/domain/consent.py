"""Pure consent rules: a store's consent categories (a `ConsentScheme`, built from its policy file), what a choice
means after signals (GPC), Google Consent Mode v2, when to ask again, and the proof context kept with each event
(truncated IP when the store keeps one, user-agent family, country)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import Literal

from chalicelib.domain.privacy import truncate_ip
from chalicelib.domain.retention import DAY
from chalicelib.domain.subjects import keyed_hash

Action = Literal["accept_all", "reject_all", "custom", "withdraw"]
Source = Literal["banner", "privacy_center", "checkout", "objection", "restriction"]
# What a browser or the privacy center may say it is; `objection` and `restriction` are written only by the
# privacy requests of those rights (server-side, with the request id as proof).
PublicSource = Literal["banner", "privacy_center", "checkout"]
Grant = Literal["granted", "denied"]
Signal = Literal["ad_storage", "analytics_storage", "ad_user_data", "ad_personalization", "functionality_storage",
                 "personalization_storage", "security_storage"]

ESSENTIAL = "essential"
SIGNALS: tuple[Signal, ...] = ("ad_storage", "analytics_storage", "ad_user_data", "ad_personalization",
                               "functionality_storage", "personalization_storage", "security_storage")
GPC_REASON = "gpc"
VISITOR_HASH_PURPOSE = "consent-visitor"
_CATEGORY_NAME = re.compile(r"[a-z][a-z0-9_]{0,39}")


class Choices(Mapping[str, bool]):
    """The optional categories a visitor chose ({category: granted}), immutable; essential is always on and is
    never a choice.  A category it does not name is not granted."""

    __slots__ = ("_values",)

    def __init__(self, values: Mapping[str, bool] | None = None, /, **named: bool) -> None:
        merged = {**(values or {}), **named}
        if ESSENTIAL in merged:
            raise ValueError("essential is always on: it is not a choice")
        self._values: dict[str, bool] = {str(name): bool(value) for name, value in merged.items()}

    def __getitem__(self, category: str) -> bool:
        return self._values[category]

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Mapping):
            return self._values == dict(other.items())
        return NotImplemented

    def __hash__(self) -> int:
        return hash(frozenset(self._values.items()))

    def __repr__(self) -> str:
        return f"Choices({self._values!r})"

    def granted(self, category: str) -> bool:
        return category == ESSENTIAL or self._values.get(category, False)

    @classmethod
    def all(cls, categories: Iterable[str], value: bool) -> Choices:
        return cls({name: value for name in categories})

    def turned_off(self, categories: Iterable[str]) -> Choices:
        off = set(categories)
        return Choices({name: value and name not in off for name, value in self._values.items()})

    def as_dict(self) -> dict[str, bool]:
        """What is stored and answered: essential (always True) first, then the categories."""
        return {ESSENTIAL: True, **self._values}

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> Choices:
        return cls({str(name): bool(value) for name, value in data.items() if name != ESSENTIAL})


class ChoicesError(ValueError):
    """The choices do not fit the store's categories or contradict the action; `field` names the place."""

    def __init__(self, message: str, field: str = "choices") -> None:
        super().__init__(message)
        self.field = field


ChoicesMismatchError = ChoicesError  # the earlier name


@dataclass(frozen=True)
class ConsentScheme:
    """A store's consent categories (from its policy file's [cookies]): the optional ones in the file's order,
    which category grants each Consent Mode signal (essential: always granted), and the categories a GPC signal
    turns off (sale/sharing: marketing and any category whose recipients advertise)."""

    categories: tuple[str, ...]
    signals: tuple[tuple[Signal, str], ...] = ()
    gpc_off: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        if ESSENTIAL in self.categories:
            raise ValueError("essential is always on: it is not an optional category")

    def all(self, value: bool) -> Choices:
        return Choices.all(self.categories, value)

    def project(self, choices: Choices) -> Choices:
        """The choices over this store's categories (a stored choice of another policy's category is dropped, a
        category it did not know is not granted)."""
        return Choices({name: choices.granted(name) for name in self.categories})

    def check(self, asked: Mapping[str, object]) -> Choices:
        """Exactly the store's optional categories, each a boolean; essential may be sent, only as true."""
        for name, value in asked.items():
            if name == ESSENTIAL:
                if value is not True:
                    raise ChoicesError("choices.essential: essential is always on", "choices.essential")
                continue
            if name not in self.categories:
                place = f"choices.{name}" if _CATEGORY_NAME.fullmatch(name) else "choices"
                raise ChoicesError(f"{place}: not a cookie category of this store", place)
            if not isinstance(value, bool):
                raise ChoicesError(f"choices.{name}: a boolean is required", f"choices.{name}")
        for name in self.categories:
            if name not in asked:
                raise ChoicesError(f"choices.{name}: field required", f"choices.{name}")
        return Choices({name: bool(asked[name]) for name in self.categories})

    def consent_mode(self, choices: Choices) -> dict[Signal, Grant]:
        """Google Consent Mode v2: a signal is granted when the category listing it is (essential's always),
        denied otherwise, also when no category lists it."""
        granted_by = dict(self.signals)

        def grant(signal: Signal) -> Grant:
            category = granted_by.get(signal)
            return "granted" if category is not None and choices.granted(category) else "denied"

        return {signal: grant(signal) for signal in SIGNALS}

    def defaults(self) -> dict[Signal, Grant]:
        """The signals before any choice: only what essential lists is granted."""
        return self.consent_mode(self.all(False))


def choices_for_action(action: Action, asked: Mapping[str, object] | None, scheme: ConsentScheme) -> Choices:
    """What the visitor chose: accept_all = every category, reject_all and withdraw = none, custom = as asked.
    For the fixed actions the choices may be omitted, but when sent they must name the store's categories and
    agree with the action."""
    if action == "custom":
        if asked is None:
            raise ChoicesError("choices: required for action custom")
        return scheme.check(asked)
    implied = scheme.all(action == "accept_all")
    if asked is not None and scheme.check(asked) != implied:
        raise ChoicesError(f"choices: contradict action {action}")
    return implied


@dataclass(frozen=True)
class Effective:
    """The choices after signals, and why a category was overridden ({category: reason})."""

    choices: Choices
    overrides: dict[str, str] = field(default_factory=dict)


def apply_signals(asked: Choices, *, gpc: bool, scheme: ConsentScheme) -> Effective:
    """Global Privacy Control (`Sec-GPC: 1`) is an opt-out of sale/sharing: the scheme's `gpc_off` categories are
    off whatever was asked, each with the reason."""
    if not gpc:
        return Effective(asked)
    overridden = [name for name in scheme.gpc_off if asked.granted(name)]
    if not overridden:
        return Effective(asked)
    return Effective(asked.turned_off(overridden), {name: GPC_REASON for name in sorted(overridden)})


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
                     source_ip: str | None, user_agent: str | None, store_ip: bool = True) -> ProofContext:
        """`store_ip=False` (the store promises to keep no IP address): not even the truncated prefix is kept."""
        return cls(gpc=(gpc_header or "").strip() == "1", country=viewer_country(country_header),
                   ip_prefix=ip_prefix(viewer_ip(viewer_address, source_ip)) if store_ip else None,
                   user_agent_family=user_agent_family(user_agent))

    def without_ip(self) -> ProofContext:
        return replace(self, ip_prefix=None)

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
