"""Texts of the restriction (GDPR Art. 18) and objection (Art. 21) mails: to the subject (in the request's language,
from `notice_texts`) and to the processors (English)."""

from __future__ import annotations

from collections.abc import Sequence

from chalicelib.mail.notice_texts import moment_in, notice_texts
from chalicelib.mail.templates import Sender

ACTIONS = {
    "restriction": ("restrict the processing of", "Art. 18 and 19",
                    "keep the data but do not use it (no marketing, analytics, advertising or profiling) until we "
                    "tell you that the restriction is lifted"),
    "objection": ("stop processing for analytics, profiling, advertising and marketing", "Art. 21 and 19",
                  "stop using the data for analytics, profiling, advertising and marketing"),
}


def _signed(text: str, sender: Sender | None, language: str = "en") -> str:
    return text + sender.signature(language) if sender else text


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


def restriction_applied(*, request_id: str, since: int, processors: Sequence[str], sender: Sender | None,
                        language: str = "en") -> tuple[str, str]:
    words = notice_texts(language)
    told = ", ".join(processors) if processors else words.restricted_nobody
    text = words.restricted.format(since=moment_in(language, since), ref=request_id, told=told)
    return words.restricted_subject, _signed(text, sender, language)


def restriction_lifting(*, request_id: str, reason: str, sender: Sender | None,
                        language: str = "en") -> tuple[str, str]:
    """The notice GDPR Art. 18(3) requires before a restriction is lifted."""
    words = notice_texts(language)
    return words.lifting_subject, _signed(words.lifting.format(ref=request_id, reason=reason), sender, language)


def objection_applied(*, request_id: str, withdrawn: Sequence[str], processors: Sequence[str],
                      sender: Sender | None, language: str = "en") -> tuple[str, str]:
    words = notice_texts(language)
    categories = (", ".join(words.categories.get(name, name) for name in withdrawn) if withdrawn
                  else words.objection_none_granted)
    told = ", ".join(processors) if processors else words.objection_nobody
    text = words.objection.format(ref=request_id, categories=categories, told=told)
    return words.objection_subject, _signed(text, sender, language)
