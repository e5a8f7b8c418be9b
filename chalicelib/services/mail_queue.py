"""Use case: the queue of mail for a person (privacy@ messages that are not a request, or whose intent is
unclear) -- the operator lists it, reads a message (opened with its sender's key) and answers in the thread.

An answer goes through the mailer port threaded under the message (`In-Reply-To`/`References`), signed by the
policy's controller, is kept as the sender's sealed correspondence, and closes the entry (who answered, when, the
SES message id of the answer).  Nothing personal is logged: entry ids and counts only.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from chalicelib.adapters.mailer import OutgoingMail
from chalicelib.crypto.vault import open_fields
from chalicelib.errors import (
    ConflictError,
    InvalidInputError,
    KeyShreddedError,
    NotFoundError,
    SubjectSuppressedError,
)
from chalicelib.mail import replies
from chalicelib.observability import count, logger
from chalicelib.storage.mail import Correspondence, QueueEntry

if TYPE_CHECKING:
    from chalicelib.services.ports import MailPorts

NEAR_DUE_DAYS = 7
MAX_ANSWER_CHARS = 20_000
ANSWER_LEASE_SECONDS = 300  # an answer being sent; a crashed attempt's claim runs out after this


@dataclass(frozen=True)
class QueuedMessage:
    """One entry with its message, opened for the operator (personal: never logged)."""

    entry: QueueEntry
    from_address: str
    from_name: str | None
    subject_line: str
    body: str
    thread_id: str
    references: list[str]


def open_entries(ports: MailPorts, *, now: int, limit: int = 200) -> list[QueueEntry]:
    """Open entries, earliest due first."""
    return ports.mail_store.queue(now=now, limit=limit)


def due_entries(ports: MailPorts, *, now: int, within_days: int = NEAR_DUE_DAYS) -> list[QueueEntry]:
    """Open entries overdue or due within `within_days` (the operator's digest)."""
    return ports.mail_store.queue(now=now, due_before=now + within_days * 86_400)


def _entry(ports: MailPorts, entry_id: str, *, now: int) -> QueueEntry:
    entry = ports.mail_store.queue_entry(entry_id, now=now) if entry_id.isascii() and len(entry_id) <= 200 else None
    if entry is None:
        raise NotFoundError("no such message in the queue")
    return entry


def read_message(ports: MailPorts, entry_id: str, *, now: int) -> QueuedMessage:
    """The entry and its message, opened with the sender's key (KeyShreddedError once the sender was erased)."""
    entry = _entry(ports, entry_id, now=now)
    kept = [record for record in ports.mail_store.correspondence(entry.subject, now=now)
            if record.direction == "in" and record.message_id == entry.entry_id]
    if not kept:
        raise NotFoundError("the message is no longer kept (its sender's data was erased or has expired)")
    try:
        opened = open_fields(ports.vault.cipher_for_reading(entry.subject), kept[0].sealed)
    except KeyShreddedError:
        raise NotFoundError("the message can no longer be read: its sender's data was erased") from None
    sender: dict[str, Any] = opened.get("from") or {}
    thread: dict[str, Any] = opened.get("thread") or {}
    return QueuedMessage(entry, str(sender.get("address", "")), sender.get("name"), str(opened.get("subject", "")),
                         str(opened.get("body", "")), str(thread.get("message_id") or ""),
                         [str(ref) for ref in thread.get("references") or []])


def answer(ports: MailPorts, entry_id: str, *, text: str, actor: str, now: int) -> QueueEntry:
    """Answer a queued message in its thread and close the entry, once: the entry is claimed (`answering`, with a
    lease) before the mail is sent, given back if sending fails, and closed with who, when and the SES id
    (ConflictError when it is answered already or being answered)."""
    from chalicelib.services.privacy_requests import sender

    if not text.strip():
        raise InvalidInputError("the answer is empty", field="text")
    if len(text) > MAX_ANSWER_CHARS:
        raise InvalidInputError(f"the answer is longer than {MAX_ANSWER_CHARS} characters", field="text")
    message = read_message(ports, entry_id, now=now)
    entry = message.entry
    if entry.status == "answered":
        raise ConflictError("this message was already answered")
    token = uuid.uuid4().hex
    if not ports.mail_store.claim_entry(entry.entry_id, token, now=now, lease_seconds=ANSWER_LEASE_SECONDS):
        raise ConflictError("this message is being answered by someone else; try again later")
    thread = replies.Thread(message.from_address, message.subject_line, message.thread_id, message.references)
    reply = replies.operator_answer(thread, text=text, sender=sender(ports), language=entry.language)
    try:
        sent_id = ports.mailer.send(OutgoingMail(reply.to, reply.subject_line, reply.text, kind="privacy_answer",
                                                 in_reply_to=reply.in_reply_to, references=reply.references,
                                                 automatic=False))
    except Exception:
        ports.mail_store.release_entry(entry.entry_id, token)  # not sent: it can be answered again
        raise
    ports.mail_store.close_entry(entry.entry_id, token, at=now, by=actor, reply_message_id=sent_id)
    _keep_answer(ports, entry, reply, actor, now=now)
    count("MailAnsweredByOperator")
    logger.info("queued mail answered", extra={"entry_id": entry.entry_id, "kind": entry.kind})
    closed = ports.mail_store.queue_entry(entry.entry_id, now=now)
    return closed if closed is not None else entry


def _keep_answer(ports: MailPorts, entry: QueueEntry, reply: replies.Reply, actor: str, *, now: int) -> None:
    """The answer, kept as the sender's sealed correspondence (not when the sender was erased meanwhile)."""
    try:
        cipher = ports.vault.cipher_for_writing(entry.subject)
        ports.mail_store.keep(Correspondence(
            entry.subject, f"{entry.entry_id}.answer", now, "out",
            {"message_id": f"{entry.entry_id}.answer", "direction": "out", "in_reply_to_ses_id": entry.entry_id,
             "reply_kind": "operator_answer", "answered_by": actor},
            {"to": cipher.seal_json("to", reply.to), "subject": cipher.seal_json("subject", reply.subject_line),
             "body": cipher.seal_json("body", reply.text)}))
    except (SubjectSuppressedError, KeyShreddedError):
        return
