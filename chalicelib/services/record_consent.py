"""Use cases: record a consent event (banner, privacy center, checkout) and read a holder's current consent."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from chalicelib.domain.clock import iso
from chalicelib.domain.consent import (
    ESSENTIAL,
    Action,
    ChoicesError,
    ConsentEvent,
    ConsentScheme,
    ConsentState,
    Effective,
    ProofContext,
    ReconsentReason,
    Signal,
    Source,
    apply_signals,
    choices_for_action,
    reconsent_after,
    reconsent_reason,
)
from chalicelib.errors import InvalidInputError
from chalicelib.observability import count, logger
from chalicelib.storage.consent import ConsentRepository

if TYPE_CHECKING:
    from chalicelib.policy.model import StorePolicy
    from chalicelib.services.ports import Basics

SALE_OR_SHARING = "marketing"  # the category GPC turns off wherever a store has it


def consent_scheme(policy: StorePolicy) -> ConsentScheme:
    """The store's consent categories from its [cookies] sections (file order, essential aside), the category
    listing each Consent Mode signal, and what GPC turns off: marketing and every category gating an advertising
    recipient (a GPC signal is an opt-out of sale/sharing, CCPA § 7025)."""
    optional = tuple(name for name in policy.cookies if name != ESSENTIAL)
    signals: tuple[tuple[Signal, str], ...] = tuple(
        (signal, name) for name, category in policy.cookies.items() for signal in category.consent_mode)
    advertising = {recipient.consent for recipient in policy.recipients.values()
                   if recipient.kind == "advertising" and recipient.consent is not None}
    advertising |= {name for name, category in policy.cookies.items()
                    if any(policy.recipients[key].kind == "advertising" for key in category.vendors
                           if key in policy.recipients)}
    gpc_off = frozenset(name for name in optional if name == SALE_OR_SHARING or name in advertising)
    return ConsentScheme(optional, signals, gpc_off)


@dataclass(frozen=True)
class ConsentRules:
    current_policy_version: str
    validity_days: int
    scheme: ConsentScheme
    store_ip: bool = True  # False: the store promises to keep no IP address (not even truncated)

    @classmethod
    def of(cls, ports: Basics) -> ConsentRules:
        """The current policy version, the categories and the IP promise come from the store's policy file; the
        validity from the settings."""
        policy = ports.store_policy
        return cls(policy.policy.version, ports.settings.consent_validity_days, consent_scheme(policy),
                   policy.ip_addresses.store != "none")


@dataclass(frozen=True)
class ConsentCommand:
    action: Action
    choices: Mapping[str, object] | None
    policy_version: str
    source: Source
    notice_hash: str | None = None
    locale: str | None = None


@dataclass(frozen=True)
class Owner:
    """The logged-in customer a consent is recorded for (from a verified token only)."""

    subject: str
    customer_id: str


def _effective_json(effective: Effective, scheme: ConsentScheme) -> dict[str, Any]:
    return {"effective": effective.choices.as_dict(), "consent_mode": scheme.consent_mode(effective.choices),
            "overrides": dict(effective.overrides)}


@dataclass(frozen=True)
class ConsentReceipt:
    consent_id: str
    recorded_at: int
    effective: Effective
    gpc: bool
    needs_reconsent_after: int
    scheme: ConsentScheme

    def as_json(self) -> dict[str, Any]:
        return {"consent_id": self.consent_id, "recorded_at": iso(self.recorded_at),
                **_effective_json(self.effective, self.scheme), "gpc": self.gpc,
                "needs_reconsent_after": iso(self.needs_reconsent_after)}


def record_consent(repo: ConsentRepository, command: ConsentCommand, context: ProofContext, *, holder: str,
                   now: int, rules: ConsentRules, owner: Owner | None = None) -> ConsentReceipt:
    """Append one event to the holder's ledger (refusals and withdrawals too) and make it their current state."""
    try:
        asked = choices_for_action(command.action, command.choices, rules.scheme)
    except ChoicesError as error:
        raise InvalidInputError(str(error), field=error.field) from None
    effective = apply_signals(asked, gpc=context.gpc, scheme=rules.scheme)
    if not rules.store_ip:
        context = context.without_ip()
    event = ConsentEvent(
        holder=holder, consent_id=uuid.uuid4().hex, recorded_at=now, action=command.action, asked=asked,
        effective=effective.choices, overrides=dict(effective.overrides), gpc=context.gpc,
        policy_version=command.policy_version, source=command.source, notice_hash=command.notice_hash,
        locale=command.locale, country=context.country, ip_prefix=context.ip_prefix,
        user_agent_family=context.user_agent_family, subject=owner.subject if owner else None,
        customer_id=owner.customer_id if owner else None)
    repo.append(event)
    count("ConsentRecorded")
    logger.info("consent recorded", extra={"consent_id": event.consent_id, "action": event.action,
                                           "source": event.source, "gpc": event.gpc, "linked": owner is not None})
    return ConsentReceipt(event.consent_id, now, effective, context.gpc,
                          reconsent_after(now, command.policy_version,
                                          current_policy_version=rules.current_policy_version,
                                          validity_days=rules.validity_days), rules.scheme)


@dataclass(frozen=True)
class ConsentView:
    """What a storefront needs to decide whether to show the banner and which tags to load."""

    state: ConsentState | None
    effective: Effective
    reason: ReconsentReason | None
    needs_reconsent_after: int | None
    scheme: ConsentScheme

    @property
    def needs_reconsent(self) -> bool:
        return self.reason is not None

    def as_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"needs_reconsent": self.needs_reconsent, "reason": self.reason,
                                **_effective_json(self.effective, self.scheme)}
        if self.state is not None:
            body.update({"consent_id": self.state.consent_id, "recorded_at": iso(self.state.recorded_at),
                         "policy_version": self.state.policy_version, "action": self.state.action,
                         "source": self.state.source, "gpc": self.state.gpc})
        if self.needs_reconsent_after is not None:
            body["needs_reconsent_after"] = iso(self.needs_reconsent_after)
        return body


def view_of(state: ConsentState | None, *, now: int, rules: ConsentRules, gpc: bool = False) -> ConsentView:
    """The current state as seen now: nothing granted without a consent, GPC on this request applied on top."""
    scheme = rules.scheme
    if state is None:
        return ConsentView(None, Effective(scheme.all(False)), "no_consent", None, scheme)
    stored = Effective(scheme.project(state.effective), {k: v for k, v in state.overrides.items()
                                                         if k in scheme.categories})
    signalled = apply_signals(stored.choices, gpc=gpc, scheme=scheme)
    effective = Effective(signalled.choices, {**stored.overrides, **signalled.overrides})
    reason = reconsent_reason(state.recorded_at, state.policy_version, now=now,
                              current_policy_version=rules.current_policy_version, validity_days=rules.validity_days)
    after = reconsent_after(state.recorded_at, state.policy_version,
                            current_policy_version=rules.current_policy_version, validity_days=rules.validity_days)
    return ConsentView(state, effective, reason, after, scheme)


def read_consent(repo: ConsentRepository, holder: str, *, now: int, rules: ConsentRules,
                 gpc: bool = False) -> ConsentView:
    return view_of(repo.current(holder, now=now), now=now, rules=rules, gpc=gpc)
