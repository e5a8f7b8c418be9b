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
from chalicelib.mail.classify import Language
from chalicelib.mail.inbound import clean_line
from chalicelib.mail.templates import Sender
from chalicelib.mail.texts import Texts, date_in, language_for, texts

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
    kind: str  # the request type registered
    request_id: str
    due_at: int
    verification_url: str | None
    grace_days: int
    regime: Regime = Regime.STRICTEST
    also: tuple[str, ...] = ()  # asked too, registered only when asked again (deletion after a copy)
    child: bool = False  # a parent's or guardian's request about a child's data


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


def reply_language(detected: str, sender: Sender) -> Language:
    """The language of the reply: the one the message was written in when the store lists it, else the store's
    default (the first of its policy's `rights.languages`; English when it lists none we write)."""
    return language_for(detected, sender.languages)  # type: ignore[return-value]


def _languages(sender: Sender, words: Texts) -> str:
    names = [words.language_names.get(code, code) for code in sender.languages] or [words.language_names["en"]]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + f" {words.or_word} " + names[-1]


def _footer(sender: Sender, words: Texts) -> str:
    return words.footer + sender.signed_in(words)


def deadline_sentence(regime: Regime, due: int, words: Texts, language: str) -> str:
    """The deadline that applies, in the reply's language: the date, the regime's period with its legal reference,
    the extension the law allows (with notice) and, under the CCPA, the 10 business days to acknowledge."""
    date = date_in(language, due)
    sentence = words.deadline.format(date=date, period=words.periods[regime]) + words.extension[regime].format(
        date=date)
    return (words.ccpa_acknowledged + sentence) if regime is Regime.CCPA else sentence


def acknowledgement(ack: Acknowledgement, thread: Thread, *, language: str, sender: Sender) -> Reply:
    return _reply(thread, _acknowledgement_text(ack, language=language, sender=sender))


def verification_mail(ack: Acknowledgement, *, language: str, sender: Sender) -> tuple[str, str]:
    """(subject, text) of a web request's verification mail: the acknowledgement a mailed request gets, with its
    link, next steps and deadline, in `language` when the store answers in it (else the store's default)."""
    return texts(reply_language(language, sender)).verification_subject, _acknowledgement_text(
        ack, language=language, sender=sender)


def _acknowledgement_text(ack: Acknowledgement, *, language: str, sender: Sender) -> str:
    lang = reply_language(language, sender)
    words = texts(lang)
    kept_by_law = sender.kept_by_law_in(lang)
    kept = words.kept.format(kept=kept_by_law) if kept_by_law else ""
    lines = [words.hello, words.child_received] if ack.child else [words.received.format(what=words.kinds[ack.kind])]
    lines.append(words.reference.format(ref=ack.request_id))
    if ack.verification_url:
        lines.append(words.verify.format(url=ack.verification_url))
    if ack.child:
        lines.append(words.child_next.format(kept=kept) + "\n\n")
    else:
        lines.append(words.next_steps[ack.kind].format(grace=ack.grace_days, kept=kept) + "\n\n")
    if "deletion" in ack.also:
        lines.append(words.also_deletion + "\n\n")
    lines.append(deadline_sentence(ack.regime, ack.due_at, words, lang))
    return "".join(lines) + _footer(sender, words)


def _asks(words: Texts, offered: Sequence[str]) -> str:
    return "".join(words.asks[kind] for kind in offered if kind in words.asks)


def help_reply(thread: Thread, *, sender: Sender, offered: Sequence[str], regime: Regime, due_at: int,
               language: str = "en", answer_by: int | None = None) -> Reply:
    """The reply to a message that is not a recognisable privacy request: a person answers it by `answer_by` (the
    queue's due date), and what can be asked (the request types the store offers), and how."""
    lang = reply_language(language, sender)
    words = texts(lang)
    text = (words.hello + words.help_intro.format(privacy=sender.privacy) + _asks(words, offered) + "\n"
            + (words.person.format(date=date_in(lang, answer_by)) if answer_by else "")
            + words.help_write_in.format(languages=_languages(sender, words), date=date_in(lang, due_at),
                                         period=words.periods[regime])
            + "\n\n" + words.customer_service) + _footer(sender, words)
    return _reply(thread, text)


def unclear_reply(thread: Thread, *, sender: Sender, offered: Sequence[str], regime: Regime, due_at: int,
                  language: str = "en", answer_by: int | None = None) -> Reply:
    """The reply to a message whose intent is unclear or conflicting: nothing is registered; it asks which
    request is meant (and a person reads the message meanwhile)."""
    lang = reply_language(language, sender)
    words = texts(lang)
    text = (words.hello + words.unclear + _asks(words, offered) + "\n"
            + (words.person.format(date=date_in(lang, answer_by)) if answer_by else "")
            + words.help_write_in.format(languages=_languages(sender, words), date=date_in(lang, due_at),
                                         period=words.periods[regime])) + _footer(sender, words)
    return _reply(thread, text)


def not_offered_reply(thread: Thread, *, kind: str, sender: Sender, offered: Sequence[str],
                      language: str = "en") -> Reply:
    """The reply to a request of a type the store does not offer: nothing is registered; what can be asked."""
    words = texts(reply_language(language, sender))
    text = (words.hello + words.not_offered.format(what=words.kinds.get(kind, kind), privacy=sender.privacy)
            + _asks(words, offered) + words.not_offered_after) + _footer(sender, words)
    return _reply(thread, text)


def received_reply(thread: Thread, *, sender: Sender, regime: Regime, due_at: int, language: str = "en") -> Reply:
    """A plain acknowledgement when no request could be registered for the address (it reveals nothing)."""
    lang = reply_language(language, sender)
    words = texts(lang)
    text = (words.hello + words.received_only.format(date=date_in(lang, due_at), period=words.periods[regime])
            + _footer(sender, words))
    return _reply(thread, text)


def child_account_reply(thread: Thread, *, sender: Sender, regime: Regime, due_at: int,
                        language: str = "en") -> Reply:
    """A parent's message about a child's data from an address with nothing on file: asks for the e-mail address
    of the child's account (it says nothing of what is held); no request is registered."""
    lang = reply_language(language, sender)
    words = texts(lang)
    text = words.hello + words.child_account + deadline_sentence(regime, due_at, words, lang) + _footer(sender, words)
    return _reply(thread, text)


def operator_answer(thread: Thread, *, text: str, sender: Sender, language: str = "en") -> Reply:
    """The operator's own answer to a message of the queue, threaded under it and signed."""
    words = texts(reply_language(language, sender))
    return _reply(thread, text.rstrip() + "\n" + sender.signed_in(words))


def without_secrets(text: str, url: str | None) -> str:
    """The reply as kept in the correspondence: the single-use verification link is not stored."""
    return text.replace(url, "[verification link]") if url else text
