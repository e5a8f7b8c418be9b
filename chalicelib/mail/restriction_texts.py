"""Texts of the restriction (GDPR Art. 18) and objection (Art. 21) mails: to the subject and to the processors."""

from __future__ import annotations

from collections.abc import Sequence

from chalicelib.domain.clock import iso
from chalicelib.mail.templates import Sender

ACTIONS = {
    "restriction": ("restrict the processing of", "Art. 18 and 19",
                    "keep the data but do not use it (no marketing, analytics, advertising or profiling) until we "
                    "tell you that the restriction is lifted"),
    "objection": ("stop processing for analytics, profiling, advertising and marketing", "Art. 21 and 19",
                  "stop using the data for analytics, profiling, advertising and marketing"),
}


def _signed(text: str, sender: Sender | None) -> str:
    return text + sender.signature() if sender else text


def processor_notice(*, action: str, reference: str, processor: str, email: str | None,
                     customer_ids: Sequence[str], request_id: str, sender: Sender | None) -> tuple[str, str]:
    """One person's restriction or objection, told to a processor's privacy address (GDPR Art. 19, 28(3))."""
    verb, articles, what = ACTIONS[action]
    ids = f", customer id {', '.join(customer_ids)}" if customer_ids else ""
    text = (f"Dear {processor} privacy team,\n\n"
            f"A person whose data we shared with you asked us to {verb} their personal data (GDPR {articles}). "
            f"As our processor, please {what}, and confirm by replying with the reference {reference} in the "
            f"subject.\n\n  - {email or '(no e-mail address)'}{ids} (our request {request_id})\n\n"
            f"Reference: {reference}\n")
    title = "Restriction of processing" if action == "restriction" else "Objection to processing"
    return f"{title} {reference}: 1 person", _signed(text, sender)


def restriction_applied(*, request_id: str, since: int, processors: Sequence[str],
                        sender: Sender | None) -> tuple[str, str]:
    told = ", ".join(processors) if processors else "no other company held your data"
    text = (f"Your data is restricted since {iso(since)} (request {request_id}): we keep it but no longer use it. "
            "No marketing, analytics or advertising uses it, and new records about you (such as orders) are kept "
            f"and marked as restricted.\n\nWe told the companies that process your data for us: {told}.\n\n"
            "We will tell you before the restriction is lifted.\n")
    return "Your data is restricted", _signed(text, sender)


def restriction_lifting(*, request_id: str, reason: str, sender: Sender | None) -> tuple[str, str]:
    """The notice GDPR Art. 18(3) requires before a restriction is lifted."""
    text = (f"The restriction of your data (request {request_id}) is being lifted.\n\nReason: {reason}\n\n"
            "From now on we may use your data again for the purposes in our privacy policy. Cookie and marketing "
            "choices you withdrew stay withdrawn until you choose again. You may object to the processing or ask "
            "for its erasure at any time by replying to this e-mail.\n")
    return "The restriction of your data is lifted", _signed(text, sender)


def objection_applied(*, request_id: str, withdrawn: Sequence[str], processors: Sequence[str],
                      sender: Sender | None) -> tuple[str, str]:
    categories = ", ".join(withdrawn) if withdrawn else "none were granted"
    told = ", ".join(processors) if processors else "no other company held your data for these purposes"
    text = (f"Your objection (request {request_id}) is in effect: we no longer use your data for analytics, "
            f"profiling, advertising or marketing e-mails.\n\nCookie categories withdrawn: {categories}.\n"
            f"We told the companies that process your data for these purposes: {told}.\n")
    return "Your objection is in effect", _signed(text, sender)
