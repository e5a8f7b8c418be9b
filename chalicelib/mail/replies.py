"""Replies to privacy@ mail: pure composition (no I/O).

Every reply threads under the message it answers (`In-Reply-To`, `References`, `Re:` subject) and reads the same
whether or not the address has an account with the store: it never says what, if anything, is held.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from chalicelib.mail.classify import Kind, Language
from chalicelib.mail.inbound import clean_line

MAX_REFERENCES = 20
_REPLY_PREFIXES = ("re:", "aw:", "sv:", "vs:", "antw:")


@dataclass(frozen=True)
class Reply:
    to: str
    subject_line: str
    text: str
    in_reply_to: str | None
    references: list[str]


@dataclass(frozen=True)
class Thread:
    """The message being answered: who to answer and how to thread under it."""

    to: str
    original_subject: str
    message_id: str
    references: list[str]


def _reply(thread: Thread, text: str) -> Reply:
    return Reply(thread.to, reply_subject(thread.original_subject), text, thread.message_id or None,
                 thread_references(thread.message_id, thread.references))


@dataclass(frozen=True)
class Acknowledgement:
    kind: Kind
    request_id: str
    due_at: int
    verification_url: str | None
    grace_days: int


def reply_subject(original: str) -> str:
    subject = clean_line(original)[:180]
    if not subject:
        return "Re: Your message to our privacy team"
    if subject.lower().startswith(_REPLY_PREFIXES):
        return subject
    return f"Re: {subject}"


def thread_references(message_id: str, references: list[str]) -> list[str]:
    chain = [ref for ref in references if ref != message_id]
    if message_id:
        chain.append(message_id)
    return chain[-MAX_REFERENCES:]


def _date(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, tz=UTC).strftime("%d %B %Y")


_NEXT_STEPS: dict[str, str] = {
    "access": ("Once you confirm, we will prepare a copy of the personal data we hold about this address and e-mail "
               "you a download link (valid for 7 days)."),
    "deletion": ("Once you confirm, the deletion is scheduled and carried out after a grace period of {grace} days, "
                 "during which you can still cancel it. Records the law obliges us to keep (invoices: 7 years under "
                 "the Estonian Accounting Act) are anonymised instead of deleted. We will e-mail you a confirmation "
                 "when it is done."),
    "correction": ("Once you confirm, please reply to this e-mail stating which details are wrong and what they "
                   "should be (please do not send identity documents). We will correct them and let you know."),
    "opt_out": ("We will stop sending marketing e-mails to this address. Service messages about orders or about this "
                "request may still be sent."),
}

_INTRO: dict[Language, str] = {
    "en": "",
    "de": ("Wir haben Ihre Datenschutzanfrage erhalten (Referenz {ref}). Bitte bestätigen Sie sie über den Link "
           "unten; die Einzelheiten folgen auf Englisch.\n\n"),
    "et": ("Saime teie andmekaitsepäringu kätte (viide {ref}). Palun kinnitage see allpool oleva lingi kaudu; "
           "üksikasjad on allpool inglise keeles.\n\n"),
}

_KIND_NAMES: dict[str, str] = {
    "access": "a copy of your personal data (access / export)",
    "deletion": "deletion of your personal data",
    "correction": "correction of your personal data",
    "opt_out": "no more marketing e-mails (opt-out)",
}

_FOOTER = ("\n\nThis is an automatic reply from the privacy team of {site}. If you did not write to us, you can "
           "ignore this e-mail: nothing happens without confirmation.\n")


def acknowledgement(ack: Acknowledgement, thread: Thread, *, language: Language, site: str) -> Reply:
    lines = [
        _INTRO[language].format(ref=ack.request_id),
        "Hello,\n\n",
        f"we have received your request for {_KIND_NAMES[ack.kind]}.\n\n",
        f"Request reference: {ack.request_id}\n\n",
    ]
    if ack.verification_url:
        lines.append("To protect your data, we need to confirm that this request comes from the owner of this "
                     "e-mail address. Please open this link within 24 hours:\n\n"
                     f"{ack.verification_url}\n\n")
    lines.append(_NEXT_STEPS[ack.kind].format(grace=ack.grace_days) + "\n\n")
    lines.append(f"We will complete your request by {_date(ack.due_at)} at the latest (one month, GDPR Art. 12(3)). "
                 "If we need more time, we will tell you why before then.")
    return _reply(thread, "".join(lines) + _FOOTER.format(site=site))


def help_reply(thread: Thread, *, site: str, mailbox: str) -> Reply:
    """The reply to a message that is not a recognisable privacy request: what can be asked, and how."""
    text = (
        "Hello,\n\n"
        "thank you for your message to our privacy team. We could not tell which privacy request you would like to "
        "make, so here is what you can ask for. Reply to this e-mail (or write to "
        f"{mailbox}) with one of these in your own words:\n\n"
        "- Access / export: \"Please send me a copy of my personal data.\"\n"
        "- Deletion: \"Please delete my personal data.\"\n"
        "- Correction: \"Please correct my personal data: ...\"\n"
        "- Marketing opt-out: \"Please unsubscribe me from marketing e-mails.\"\n\n"
        "You can write in English, German (Deutsch) or Estonian (eesti keeles). Every request is confirmed through "
        "a link we send to the address it came from, and answered within one month.\n\n"
        "For questions about an order, please contact our customer service instead."
    ) + _FOOTER.format(site=site)
    return _reply(thread, text)


def received_reply(thread: Thread, *, site: str) -> Reply:
    """A plain acknowledgement when no request could be registered for the address (it reveals nothing)."""
    text = ("Hello,\n\nwe have received your message to our privacy team and will answer it within one month "
            "(GDPR Art. 12(3)).") + _FOOTER.format(site=site)
    return _reply(thread, text)


def without_secrets(text: str, url: str | None) -> str:
    """The reply as kept in the correspondence: the single-use verification link is not stored."""
    return text.replace(url, "[verification link]") if url else text
