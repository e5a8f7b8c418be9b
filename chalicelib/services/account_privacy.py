"""Use cases of the customer's privacy settings: what we hold about them, their cookie consent, their marketing
preference.  The subject always comes from the verified token (a Principal), never from the request."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalicelib.domain.clock import iso
from chalicelib.domain.consent import ProofContext, holder_for_account, holder_for_visitor
from chalicelib.services.marketing import marketing_state, set_marketing_preference
from chalicelib.services.record_consent import (
    ConsentCommand,
    ConsentReceipt,
    ConsentRules,
    Owner,
    record_consent,
    view_of,
)
from chalicelib.storage.consent import consent_repository, held_categories

if TYPE_CHECKING:
    from chalicelib.auth import Principal
    from chalicelib.container import Container
    from chalicelib.domain.consent import ConsentState


def latest_consent(container: Container, subject: str) -> tuple[ConsentState | None, int]:
    """The most recent current state among the holders linked to the subject, and how many holders there are."""
    repo, now = consent_repository(container), container.now()
    holders = repo.linked_holders(subject, now=now)
    states = [state for state in (repo.current(holder, now=now) for holder in holders) if state is not None]
    latest = max(states, key=lambda state: state.recorded_at, default=None)
    return latest, len(holders)


def data_categories(container: Container, subject: str) -> list[dict[str, Any]]:
    """The categories of data held about the subject, with retention period and legal basis from the policy."""
    held = held_categories(container.table, subject, now=container.now())
    listed = []
    for name in sorted(held):
        rule = container.policy.rule(name)
        listed.append({"category": name, "items": held[name], "retention_days": rule.days,
                       "action_at_expiry": rule.action, "legal_basis": rule.legal_basis, "purpose": rule.purpose})
    return listed


def account_privacy(container: Container, principal: Principal, *, gpc: bool = False) -> dict[str, Any]:
    state, holders = latest_consent(container, principal.subject)
    view = view_of(state, now=container.now(), rules=ConsentRules.from_settings(container.settings), gpc=gpc)
    marketing = marketing_state(container, principal.subject)
    return {
        "customer_id": principal.customer_id,
        "consent": {**view.as_json(), "linked_holders": holders},
        "marketing": {"email_marketing": marketing.email_marketing if marketing else None,
                      "source": marketing.source if marketing else None,
                      "updated_at": iso(marketing.updated_at) if marketing else None},
        "data_categories": data_categories(container, principal.subject),
    }


def record_account_consent(container: Container, principal: Principal, command: ConsentCommand,
                           context: ProofContext, *, visitor_id: str | None) -> ConsentReceipt:
    """A consent event from the privacy center, for the browser it was made in (when given) or the account."""
    holder = (holder_for_visitor(visitor_id, container.pepper) if visitor_id
              else holder_for_account(principal.subject))
    return record_consent(consent_repository(container), command, context, holder=holder, now=container.now(),
                          rules=ConsentRules.from_settings(container.settings),
                          owner=Owner(principal.subject, principal.customer_id))


def change_marketing(container: Container, principal: Principal, email_marketing: bool,
                     context: ProofContext) -> dict[str, Any]:
    """The account switch (also the objection to marketing): recorded with proof of how it was made."""
    at = container.now()
    proof: dict[str, Any] = {"channel": "account_privacy_settings", **context.proof()}
    set_marketing_preference(container, subject=principal.subject, customer_id=principal.customer_id,
                             email_marketing=email_marketing, source="account", at=at, proof=proof)
    return {"email_marketing": email_marketing, "source": "account", "updated_at": iso(at)}
