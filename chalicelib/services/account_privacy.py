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

if TYPE_CHECKING:
    from chalicelib.domain.accounts import Principal
    from chalicelib.domain.consent import ConsentState
    from chalicelib.services.ports import ConsentPorts


def latest_consent(ports: ConsentPorts, subject: str) -> tuple[ConsentState | None, int]:
    """The most recent current state among the holders linked to the subject, and how many holders there are."""
    repo, now = ports.consent, ports.now()
    holders = repo.linked_holders(subject, now=now)
    states = [state for state in (repo.current(holder, now=now) for holder in holders) if state is not None]
    latest = max(states, key=lambda state: state.recorded_at, default=None)
    return latest, len(holders)


def data_categories(ports: ConsentPorts, subject: str) -> list[dict[str, Any]]:
    """The categories of data held about the subject, with retention period and legal basis from the policy."""
    held = ports.subject_data.categories(subject, now=ports.now())
    listed = []
    for name in sorted(held):
        rule = ports.policy.rule(name)
        listed.append({"category": name, "items": held[name], "retention_days": rule.days,
                       "action_at_expiry": rule.action, "legal_basis": rule.legal_basis, "purpose": rule.purpose})
    return listed


def account_privacy(ports: ConsentPorts, principal: Principal, *, gpc: bool = False) -> dict[str, Any]:
    state, holders = latest_consent(ports, principal.subject)
    view = view_of(state, now=ports.now(), rules=ConsentRules.of(ports), gpc=gpc)
    marketing = marketing_state(ports, principal.subject)
    return {
        "customer_id": principal.customer_id,
        "consent": {**view.as_json(), "linked_holders": holders},
        "marketing": {"email_marketing": marketing.email_marketing if marketing else None,
                      "source": marketing.source if marketing else None,
                      "updated_at": iso(marketing.updated_at) if marketing else None},
        "data_categories": data_categories(ports, principal.subject),
    }


def record_account_consent(ports: ConsentPorts, principal: Principal, command: ConsentCommand,
                           context: ProofContext, *, visitor_id: str | None) -> ConsentReceipt:
    """A consent event from the privacy center, for the browser it was made in (when given) or the account."""
    holder = (holder_for_visitor(visitor_id, ports.pepper) if visitor_id
              else holder_for_account(principal.subject))
    return record_consent(ports.consent, command, context, holder=holder, now=ports.now(),
                          rules=ConsentRules.of(ports),
                          owner=Owner(principal.subject, principal.customer_id))


def change_marketing(ports: ConsentPorts, principal: Principal, email_marketing: bool,
                     context: ProofContext) -> dict[str, Any]:
    """The account switch (also the objection to marketing): recorded with proof of how it was made."""
    at = ports.now()
    if not ConsentRules.of(ports).store_ip:
        context = context.without_ip()
    proof: dict[str, Any] = {"channel": "account_privacy_settings", **context.proof()}
    set_marketing_preference(ports, subject=principal.subject, customer_id=principal.customer_id,
                             email_marketing=email_marketing, source="account", at=at, proof=proof,
                             email=principal.email)
    return {"email_marketing": email_marketing, "source": "account", "updated_at": iso(at)}
