"""Replies to privacy@ mail: pure composition (no I/O).

Every reply threads under the message it answers (`In-Reply-To`, `References`, `Re:` subject) and never says
what, if anything, is held: it names no account, order or record.  Its deadline is the one of the request's regime
(decided by the billing country on file, so an address with an EEA, UK or Californian billing address reads the
deadline of that law; the reply goes only to the address the message came from).  It is signed by the `Sender`
(the controller of the store's policy), written in the languages the policy lists, and offers only the request
types the store offers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from chalicelib.domain.privacy_requests import Regime
from chalicelib.mail.classify import Kind, Language
from chalicelib.mail.inbound import clean_line
from chalicelib.mail.templates import Sender, deadline_text

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
    regime: Regime = Regime.STRICTEST


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


_NEXT_STEPS: dict[str, str] = {
    "access": ("Once you confirm, we will prepare a copy of the personal data we hold about this address and e-mail "
               "you a download link (valid for 7 days)."),
    "deletion": ("Once you confirm, the deletion is scheduled and carried out after a grace period of {grace} days, "
                 "during which you can still cancel it.{kept} We will e-mail you a confirmation when it is done."),
    "correction": ("Once you confirm, please reply to this e-mail stating which details are wrong and what they "
                   "should be (please do not send identity documents). We will correct them and let you know."),
    "opt_out": ("We will stop sending marketing e-mails to this address. Service messages about orders or about this "
                "request may still be sent."),
    "restriction": ("Once you confirm, we keep your data but stop using it (no marketing, analytics or advertising) "
                    "until the restriction is lifted; we will tell you before it is lifted."),
    "objection": ("Once you confirm, we stop using your data for analytics, profiling, advertising and marketing, "
                  "and tell the services that process it for us."),
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
    "restriction": "restriction of the processing of your personal data",
    "objection": "objection to the processing of your personal data (analytics, profiling, advertising)",
}

_ASK: dict[str, str] = {
    "access": "- Access / export: \"Please send me a copy of my personal data.\"\n",
    "deletion": "- Deletion: \"Please delete my personal data.\"\n",
    "correction": "- Correction: \"Please correct my personal data: ...\"\n",
    "opt_out": "- Marketing opt-out: \"Please unsubscribe me from marketing e-mails.\"\n",
    "restriction": "- Restriction: \"Please restrict the processing of my personal data.\"\n",
    "objection": "- Objection: \"I object to the use of my data for analytics and advertising.\"\n",
}

LANGUAGE_NAMES: dict[str, str] = {"en": "English", "de": "German (Deutsch)", "et": "Estonian (eesti keeles)"}

_FOOTER = ("\n\nThis is an automatic reply. If you did not write to us, you can ignore this e-mail: nothing happens "
           "without confirmation.\n")


def reply_language(detected: Language, sender: Sender) -> Language:
    """The language of the reply: the one the message was written in when the store lists it, else English (or
    the store's first language when it does not list English)."""
    listed: list[Language] = [code for code in _INTRO if code in sender.languages]
    if detected in listed:
        return detected
    return "en" if "en" in listed or not listed else listed[0]


def _languages(sender: Sender) -> str:
    names = [LANGUAGE_NAMES.get(code, code) for code in sender.languages] or [LANGUAGE_NAMES["en"]]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]


def _footer(sender: Sender) -> str:
    return _FOOTER + sender.signature()


def acknowledgement(ack: Acknowledgement, thread: Thread, *, language: Language, sender: Sender) -> Reply:
    kept = (f" Records the law obliges us to keep ({sender.kept_by_law}) are anonymised instead of deleted."
            if sender.kept_by_law else "")
    lines = [
        _INTRO[reply_language(language, sender)].format(ref=ack.request_id),
        "Hello,\n\n",
        f"we have received your request for {_KIND_NAMES[ack.kind]}.\n\n",
        f"Request reference: {ack.request_id}\n\n",
    ]
    if ack.verification_url:
        lines.append("To protect your data, we need to confirm that this request comes from the owner of this "
                     "e-mail address. Please open this link within 24 hours:\n\n"
                     f"{ack.verification_url}\n\n")
    lines.append(_NEXT_STEPS[ack.kind].format(grace=ack.grace_days, kept=kept) + "\n\n")
    lines.append(f"We will complete your request by {deadline_text(ack.regime, ack.due_at)} at the latest. "
                 "If we need more time, we will tell you why before then.")
    return _reply(thread, "".join(lines) + _footer(sender))


def help_reply(thread: Thread, *, sender: Sender, offered: Sequence[str], regime: Regime, due_at: int) -> Reply:
    """The reply to a message that is not a recognisable privacy request: what can be asked (the request types the
    store offers), and how."""
    text = (
        "Hello,\n\n"
        "thank you for your message to our privacy team. We could not tell which privacy request you would like to "
        "make, so here is what you can ask for. Reply to this e-mail (or write to "
        f"{sender.privacy}) with one of these in your own words:\n\n"
        + "".join(_ASK[kind] for kind in offered if kind in _ASK) + "\n"
        f"You can write in {_languages(sender)}. Every request is confirmed through a link we send to the address "
        f"it came from; a request made today is answered by {deadline_text(regime, due_at)} at the latest.\n\n"
        "For questions about an order, please contact our customer service instead."
    ) + _footer(sender)
    return _reply(thread, text)


def not_offered_reply(thread: Thread, *, kind: Kind, sender: Sender, offered: Sequence[str]) -> Reply:
    """The reply to a request of a type the store does not offer: nothing is registered; what can be asked."""
    text = (
        "Hello,\n\n"
        f"thank you for your message to our privacy team. You asked for {_KIND_NAMES.get(kind, kind)}, which this "
        "store does not offer as a privacy request, so no request was registered. Here is what you can ask for "
        f"(reply to this e-mail or write to {sender.privacy}):\n\n"
        + "".join(_ASK[name] for name in offered if name in _ASK)
        + "\nIf you believe this is wrong, write to us in your own words and we will answer you personally."
    ) + _footer(sender)
    return _reply(thread, text)


def received_reply(thread: Thread, *, sender: Sender, regime: Regime, due_at: int) -> Reply:
    """A plain acknowledgement when no request could be registered for the address (it reveals nothing)."""
    text = ("Hello,\n\nwe have received your message to our privacy team and will answer it by "
            f"{deadline_text(regime, due_at)} at the latest.") + _footer(sender)
    return _reply(thread, text)


def without_secrets(text: str, url: str | None) -> str:
    """The reply as kept in the correspondence: the single-use verification link is not stored."""
    return text.replace(url, "[verification link]") if url else text
