"""Use case: may the mailing tool e-mail an address?  True only with a current opt-in (a recorded opt-in and no
later opt-out, restriction or objection: each of those records the preference false), the subject not erased, and
not restricted (GDPR Art. 18: an opt-in recorded during a restriction, at a checkout, is kept but not used)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalicelib.observability import count

if TYPE_CHECKING:
    from chalicelib.services.ports import SenderPorts


def may_email(ports: SenderPorts, email: str) -> bool:
    now = ports.now()
    subject = ports.subject_for_email(email)
    state = ports.marketing.current(subject, now=now)
    allowed = state is not None and state.email_marketing is True
    if allowed and ports.subject_keys.is_suppressed(subject, now=now):
        allowed = False
    if allowed and ports.restrictions.current(subject, now=now) is not None:
        allowed = False
    count("MarketingPermissionAllowed" if allowed else "MarketingPermissionRefused")
    return allowed
