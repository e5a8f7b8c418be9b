"""Use cases: record a consent event (banner, privacy center, checkout) and read a holder's current consent."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from chalicelib.domain.clock import iso
from chalicelib.domain.consent import (
    Action,
    Choices,
    ChoicesMismatchError,
    ConsentEvent,
    ConsentState,
    Effective,
    ProofContext,
    ReconsentReason,
    Source,
    apply_signals,
    choices_for_action,
    consent_mode,
    reconsent_after,
    reconsent_reason,
)
from chalicelib.errors import InvalidInputError
from chalicelib.observability import count, logger
from chalicelib.storage.consent import ConsentRepository

if TYPE_CHECKING:
    from chalicelib.services.ports import Basics


@dataclass(frozen=True)
class ConsentRules:
    current_policy_version: str
    validity_days: int

    @classmethod
    def of(cls, ports: Basics) -> ConsentRules:
        """The current policy version comes from the store's policy file; the validity from the settings."""
        return cls(ports.store_policy.policy.version, ports.settings.consent_validity_days)


@dataclass(frozen=True)
class ConsentCommand:
    action: Action
    choices: Choices | None
    policy_version: str
    source: Source
    notice_hash: str | None = None
    locale: str | None = None


@dataclass(frozen=True)
class Owner:
    """The logged-in customer a consent is recorded for (from a verified token only)."""

    subject: str
    customer_id: str


def _effective_json(effective: Effective) -> dict[str, Any]:
    return {"effective": effective.choices.as_dict(), "consent_mode": consent_mode(effective.choices),
            "overrides": dict(effective.overrides)}


@dataclass(frozen=True)
class ConsentReceipt:
    consent_id: str
    recorded_at: int
    effective: Effective
    gpc: bool
    needs_reconsent_after: int

    def as_json(self) -> dict[str, Any]:
        return {"consent_id": self.consent_id, "recorded_at": iso(self.recorded_at), **_effective_json(self.effective),
                "gpc": self.gpc, "needs_reconsent_after": iso(self.needs_reconsent_after)}


def record_consent(repo: ConsentRepository, command: ConsentCommand, context: ProofContext, *, holder: str,
                   now: int, rules: ConsentRules, owner: Owner | None = None) -> ConsentReceipt:
    """Append one event to the holder's ledger (refusals and withdrawals too) and make it their current state."""
    try:
        asked = choices_for_action(command.action, command.choices)
    except ChoicesMismatchError as error:
        raise InvalidInputError(f"choices: {error}", field="choices") from None
    effective = apply_signals(asked, gpc=context.gpc)
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
                                          validity_days=rules.validity_days))


@dataclass(frozen=True)
class ConsentView:
    """What a storefront needs to decide whether to show the banner and which tags to load."""

    state: ConsentState | None
    effective: Effective
    reason: ReconsentReason | None
    needs_reconsent_after: int | None

    @property
    def needs_reconsent(self) -> bool:
        return self.reason is not None

    def as_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"needs_reconsent": self.needs_reconsent, "reason": self.reason,
                                **_effective_json(self.effective)}
        if self.state is not None:
            body.update({"consent_id": self.state.consent_id, "recorded_at": iso(self.state.recorded_at),
                         "policy_version": self.state.policy_version, "action": self.state.action,
                         "source": self.state.source, "gpc": self.state.gpc})
        if self.needs_reconsent_after is not None:
            body["needs_reconsent_after"] = iso(self.needs_reconsent_after)
        return body


def view_of(state: ConsentState | None, *, now: int, rules: ConsentRules, gpc: bool = False) -> ConsentView:
    """The current state as seen now: nothing granted without a consent, GPC on this request applied on top."""
    if state is None:
        return ConsentView(None, Effective(Choices.all(False)), "no_consent", None)
    stored = Effective(state.effective, dict(state.overrides))
    signalled = apply_signals(stored.choices, gpc=gpc)
    effective = Effective(signalled.choices, {**stored.overrides, **signalled.overrides})
    reason = reconsent_reason(state.recorded_at, state.policy_version, now=now,
                              current_policy_version=rules.current_policy_version, validity_days=rules.validity_days)
    after = reconsent_after(state.recorded_at, state.policy_version,
                            current_policy_version=rules.current_policy_version, validity_days=rules.validity_days)
    return ConsentView(state, effective, reason, after)


def read_consent(repo: ConsentRepository, holder: str, *, now: int, rules: ConsentRules,
                 gpc: bool = False) -> ConsentView:
    return view_of(repo.current(holder, now=now), now=now, rules=rules, gpc=gpc)
