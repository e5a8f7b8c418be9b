"""Use case: ingest one message sent to the privacy mailbox, and answer it through SES exactly once.

    claim the SES message id (conditional write; a duplicate or a message being handled elsewhere stops here)
    -> spam/virus FAIL: quarantined, never answered
    -> auto-reply, bounce, list mail, null sender: never answered
    -> our own mail (loop guard): never answered
    -> the same RFC 5322 message (Message-ID and sender) already taken by another SES message id (an MTA retry
       delivered it again): never answered again (`duplicate_message`); keyed on an HMAC, nothing personal
    -> a processor's reply to a batched erasure request (its `ERB-` reference, from its domain, authenticated): the
       requests of the batch are marked acknowledged for it (processor_propagation); not answered, not kept
    -> keep the message as correspondence (sealed with the sender's key, so it is exported and erased with them)
    -> over MAIL_MAX_PER_SENDER_PER_DAY answered today: not answered
    -> classify; create the privacy request (channel email, clock from SES receipt time; SPF/DKIM/DMARC failing
       always needs link verification); compose the reply in the sender's language (acknowledgement with the link,
       or what can be asked); a child's data: a deletion request marked child (due within 3 days), or, from an
       address with nothing on file, a reply asking for the child's account address; not a request (`other`) or
       unclear: the reply says a person answers, and the message goes into the queue for a person (one month)
    -> keep the composed reply sealed on the receipt (`replying`), send it, mark the receipt `done`.

A crash or an SES failure after the request was created leaves the receipt `replying`: the next attempt (SNS retry
or the scheduled pickup) sends the kept reply instead of creating a second request.  The raw MIME is removed from
the inbound bucket once the message is done.  Nothing personal is logged: message ids, outcomes and counts only.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from chalicelib.adapters.mailer import OutgoingMail
from chalicelib.domain.clock import parse_iso
from chalicelib.domain.subjects import normalise_email
from chalicelib.errors import StorageUnavailableError, SubjectSuppressedError
from chalicelib.mail import replies
from chalicelib.mail.classify import Classification, classify
from chalicelib.mail.inbound import Envelope, ParsedMail, Verdicts, automated_reason, envelope_from_raw, parse_message
from chalicelib.observability import count, logger, metric_name
from chalicelib.payloads.ses import SesNotification
from chalicelib.storage.mail import Correspondence

if TYPE_CHECKING:
    from chalicelib.services.ports import MailPorts

CLAIM_SECONDS = 300
MAX_RAW_BYTES = 10 * 1024 * 1024
PENDING_MAX_AGE = 25 * 86_400  # older raw objects are left to the bucket's 30-day lifecycle (receipts live 30 days)
KEPT_BODY_CHARS = 20_000


@dataclass(frozen=True)
class IngestResult:
    message_id: str
    outcome: str  # answered | duplicate | duplicate_message | quarantined | ignored_<why> | loop | processor_reply |
    #               rate_limited | missing | resent
    request_id: str | None = None
    kind: str | None = None


# -- entry points ---------------------------------------------------------------------------------------------------
def envelope_from_notification(notification: SesNotification) -> Envelope:
    receipt = notification.receipt
    verdicts = Verdicts(spam=receipt.spam_verdict.status, virus=receipt.virus_verdict.status,
                        spf=receipt.spf_verdict.status, dkim=receipt.dkim_verdict.status,
                        dmarc=receipt.dmarc_verdict.status)
    received = int(parse_iso(receipt.timestamp or notification.mail.timestamp))
    return Envelope(notification.mail.message_id, received, notification.mail.source, verdicts,
                    receipt.action.bucket_name, receipt.action.object_key)


def ingest_notification(ports: MailPorts, notification: SesNotification) -> IngestResult:
    """The SNS-triggered path: SES's notification (S3 action: the MIME is in the bucket; SNS action: inline)."""
    envelope = envelope_from_notification(notification)
    raw = _inline_content(notification)
    return ingest(ports, envelope, raw)


def ingest_pending(ports: MailPorts, *, now: int, dry_run: bool, limit: int = 50,
                   out_of_time: Callable[[], bool] = lambda: False) -> dict[str, int]:
    """The scheduled pickup: every message still in the inbound prefix (its notification was lost or failed).
    When `out_of_time()` says so, the rest waits for the next run (counted as `deferred`)."""
    bucket = ports.inbound_mail
    counts = {"pending": 0, "ingested": 0, "answered": 0, "failed": 0, "cleaned": 0}
    for stored in bucket.pending(limit=limit):
        if not dry_run and out_of_time():
            counts["deferred"] = counts.get("deferred", 0) + 1
            continue
        if stored.stored_at < now - PENDING_MAX_AGE:
            continue
        message_id = stored.key.rsplit("/", 1)[-1]
        receipt = ports.mail_store.receipt(message_id, now=now)
        if receipt is not None and receipt.state == "done":
            if not dry_run:
                bucket.remove(stored.key)  # done, but its raw copy was not removed (e.g. a crash): tidy up
                counts["cleaned"] += 1
            continue
        counts["pending"] += 1
        if dry_run:
            continue
        try:
            raw = bucket.read(stored.key, max_bytes=MAX_RAW_BYTES)
            if raw is None:
                continue
            envelope = envelope_from_raw(raw, key=stored.key, bucket=bucket.bucket, stored_at=stored.stored_at)
            result = ingest(ports, envelope, raw)
            counts["ingested"] += 1
            counts["answered"] += result.outcome in ("answered", "resent")
        except Exception as error:  # one message must not stop the others; it stays pending for the next run
            counts["failed"] += 1
            logger.warning("pending mail not ingested", extra={"message_id": message_id,
                                                                "error_type": type(error).__name__})
    return counts


def ingest(ports: MailPorts, envelope: Envelope, raw: bytes | None = None) -> IngestResult:
    now = ports.now()
    store = ports.mail_store
    token = uuid.uuid4().hex
    claim = store.claim(envelope.message_id, token, now=now, lease_seconds=CLAIM_SECONDS)
    if not claim.claimed:
        count("MailDuplicate")
        logger.info("mail already handled", extra={"message_id": envelope.message_id, "state": claim.state})
        return IngestResult(envelope.message_id, "duplicate")
    try:
        if claim.state == "replying":
            result = _resend(ports, envelope, token, claim.fields)
        else:
            result = _handle(ports, envelope, token, raw)
    except Exception:
        store.release(envelope.message_id, token)  # retried by SNS or picked up by the next scheduled run
        raise
    _tidy(ports, envelope, result)
    count("MailIngested")
    count(metric_name("Mail", result.outcome))
    logger.info("mail ingested", extra={"message_id": envelope.message_id, "outcome": result.outcome,
                                        "kind": result.kind, "request_id": result.request_id})
    return result


# -- the work -------------------------------------------------------------------------------------------------------
def _handle(ports: MailPorts, envelope: Envelope, token: str, raw: bytes | None) -> IngestResult:
    message_id = envelope.message_id
    if envelope.verdicts.quarantine:
        return _finish(ports, envelope, token, "quarantined")
    if raw is None and envelope.key:
        raw = ports.inbound_mail.read(envelope.key, max_bytes=MAX_RAW_BYTES, bucket=envelope.bucket)
    if raw is None:
        return _finish(ports, envelope, token, "missing")
    mail = parse_message(raw)
    unanswered = _unanswered(ports, envelope, mail)
    if unanswered:
        return _finish(ports, envelope, token, unanswered)
    settings = ports.settings
    subject = ports.subject_for_email(mail.from_address)
    classification = classify(mail.subject, mail.body)
    suppressed = not _keep(ports, subject, message_id, envelope.received_at, "in", mail, classification)
    if not ports.mail_store.take_quota(subject, now=ports.now(), limit=settings.mail_max_per_sender_per_day):
        return _finish(ports, envelope, token, "rate_limited", kind=classification.kind)
    reply, request_id, url, for_person = _compose(ports, envelope, mail, classification, suppressed)
    if for_person and not suppressed:
        _enqueue(ports, envelope, subject, classification)
    sealed_reply = None
    if not suppressed:
        cipher = ports.vault.cipher_for_writing(subject)
        sealed_reply = cipher.seal_json("reply", _reply_fields(reply, url))
    moved = ports.mail_store.advance(
        message_id, token, from_state="processing", to_state="replying", now=ports.now(),
        fields={"outcome": "answered", "kind": classification.kind, "request_id": request_id,
                "language": classification.language, "reply": sealed_reply, "subject": subject})
    if not moved:  # our claim ran out and another attempt took the message over
        return IngestResult(message_id, "duplicate")
    return _send(ports, envelope, token, subject, reply, url, suppressed, classification.kind, request_id)


def _unanswered(ports: MailPorts, envelope: Envelope, mail: ParsedMail) -> str | None:
    """The outcome of a message that is never answered (automatic, our own, a processor's reply, or the same
    message already taken under another SES message id), else None."""
    reason = automated_reason(mail, envelope.source)
    if reason:
        return f"ignored_{reason}"
    if _is_our_own(ports, mail, envelope):
        return "loop"
    if _processor_reply(ports, envelope, mail):
        return "processor_reply"
    key = message_key(ports, mail.message_id, mail.from_address)
    if key and ports.mail_store.claim_message(key, envelope.message_id, now=ports.now()) != envelope.message_id:
        count("MailDuplicateMessage")  # the same message under another SES id (an MTA retry): answered once
        return "duplicate_message"
    return None


def _processor_reply(ports: MailPorts, envelope: Envelope, mail: ParsedMail) -> bool:
    """A processor confirming a batched erasure request (its reference, from its domain, authenticated): the
    requests of the batch are marked acknowledged for it; nothing is answered and nothing is kept (the mail is
    the processor's, and quotes the people's addresses)."""
    from chalicelib.services.processor_propagation import acknowledge_reply

    done = acknowledge_reply(ports, subject_line=mail.subject, body=mail.body, from_address=mail.from_address,
                             authenticated=envelope.verdicts.authenticated, now=ports.now())
    if done is None:
        return False
    count("ProcessorReplies")
    return True


def _compose(ports: MailPorts, envelope: Envelope, mail: ParsedMail, classification: Classification,
             suppressed: bool) -> tuple[replies.Reply, str | None, str | None, bool]:
    """(reply, request id, verification link, for a person): the request is created here when one is asked."""
    from chalicelib.domain.privacy_requests import due_at
    from chalicelib.services.privacy_requests import (
        offered_types,
        regime_for_subject,
        sender,
        submit_request,
    )

    settings = ports.settings
    signed_by = sender(ports)
    offered = [kind.value for kind in offered_types(ports)]
    language = classification.language
    thread = replies.Thread(mail.from_address, mail.subject, mail.message_id, mail.references)
    subject = ports.subject_for_email(mail.from_address)
    received = envelope.received_at
    if classification.kind in ("other", "unclear"):  # for a person: answered by one, within a month
        regime = regime_for_subject(ports, subject, now=received)
        compose = replies.help_reply if classification.kind == "other" else replies.unclear_reply
        return compose(thread, sender=signed_by, offered=offered, regime=regime, due_at=due_at(regime, received),
                       language=language, answer_by=queue_due(received)), None, None, True
    child = classification.kind == "child"
    request_type = "deletion" if child else classification.kind
    if request_type not in offered:  # a type the store does not offer: nothing is registered
        count("MailRequestNotOffered")
        return replies.not_offered_reply(thread, kind=request_type, sender=signed_by, offered=offered,
                                         language=language), None, None, False
    if child and not _has_data(ports, subject, now=received):  # ask for the child's account address
        count("MailChildWithoutData")
        regime = regime_for_subject(ports, subject, now=received)
        return replies.child_account_reply(thread, sender=signed_by, regime=regime, due_at=due_at(regime, received),
                                           language=language), None, None, False
    # An authenticated opt-out needs no link; nor does an authenticated child's request: it is acted on at once (in
    # the operator's list now), and the operator confirms the parent's or guardian's authority before any erasure.
    needs_verification = not (envelope.verdicts.authenticated and (request_type == "opt_out" or child))
    try:
        submitted = submit_request(ports, email=mail.from_address, request_type=request_type,
                                   channel="email", received_at=received, needs_verification=needs_verification,
                                   source_ref=envelope.message_id, child=child,
                                   params={"source": "mail", "language": language} if child else
                                   {"language": language})
    except SubjectSuppressedError:  # an erased subject writes again: answer without registering anything
        regime = regime_for_subject(ports, subject, now=received)
        return replies.received_reply(thread, sender=signed_by, regime=regime, due_at=due_at(regime, received),
                                      language=language), None, None, False
    if child:
        count("MailChildRequest")
    also = tuple(kind for kind in classification.also if kind in offered)
    ack = replies.Acknowledgement(request_type, submitted.request_id, submitted.due_at,
                                  submitted.verification_url, settings.deletion_grace_days, submitted.regime,
                                  also=also, child=child)
    reply = replies.acknowledgement(ack, thread, language=language, sender=signed_by)
    return reply, submitted.request_id, submitted.verification_url, False


# The categories that show an account or data on file (a child's message from an address with none of them gets
# a reply asking for the child's account address).
_DATA_ON_FILE = frozenset({"customer_profile", "order", "payment", "dispute", "consent_state", "consent_ledger",
                           "marketing_preference", "analytics"})


def _has_data(ports: MailPorts, subject: str, *, now: int) -> bool:
    return any(category in _DATA_ON_FILE for category in ports.subject_data.categories(subject, now=now))


def queue_due(received_at: int) -> int:
    """Mail for a person is answered within one month."""
    from chalicelib.domain.privacy_requests import add_months

    return add_months(received_at, 1)


def _enqueue(ports: MailPorts, envelope: Envelope, subject: str, classification: Classification) -> None:
    from chalicelib.storage.mail import QueueEntry

    ports.mail_store.enqueue(QueueEntry(envelope.message_id, subject, envelope.received_at,
                                        queue_due(envelope.received_at), classification.kind,
                                        classification.language, reason=classification.reason))
    count("MailForAPerson")


def normalise_message_id(message_id: str) -> str:
    """A Message-ID as compared: without angle brackets, white space and case."""
    return "".join(message_id.split()).strip("<>").casefold()


def message_key(ports: MailPorts, message_id: str, sender: str) -> str | None:
    """The keyed hash (HMAC-SHA256 with the pepper) of (normalised Message-ID, sender); None without an id."""
    ident = normalise_message_id(message_id or "")
    if not ident:
        return None
    material = f"mail-message\n{ident}\n{normalise_email(sender or '')}".encode()
    return hmac.new(ports.pepper.encode(), material, hashlib.sha256).hexdigest()


def _send(ports: MailPorts, envelope: Envelope, token: str, subject: str, reply: replies.Reply,
          url: str | None, suppressed: bool, kind: str | None, request_id: str | None) -> IngestResult:
    ports.mailer.send(OutgoingMail(reply.to, reply.subject_line, reply.text, kind="privacy_reply",
                                       in_reply_to=reply.in_reply_to, references=reply.references))
    # The reply is out: what records it is retried through a storage hiccup here, or the next attempt (which
    # finds the message still `replying`) would send it again.
    if not suppressed:
        _after_sending(lambda: _keep_reply(ports, subject, envelope.message_id, reply, url, kind, request_id))
    _after_sending(lambda: ports.mail_store.advance(envelope.message_id, token, from_state="replying",
                                                    to_state="done", now=ports.now(), remove=("reply", "subject")))
    count("MailAnswered")
    return IngestResult(envelope.message_id, "answered", request_id, kind)


RECORD_ATTEMPTS = 3  # a write that records a mail already sent: tried this often (0.2 s, then 0.4 s apart)


def _after_sending(record: Callable[[], Any]) -> None:
    for attempt in range(RECORD_ATTEMPTS):
        try:
            record()
            return
        except StorageUnavailableError:
            if attempt == RECORD_ATTEMPTS - 1:
                raise
            time.sleep(0.2 * 2 ** attempt)


def _resend(ports: MailPorts, envelope: Envelope, token: str, fields: dict[str, Any]) -> IngestResult:
    """An earlier attempt created the request and composed the reply but did not finish sending it."""
    subject = fields.get("subject")
    sealed = fields.get("reply")
    if not subject or not sealed:
        return _finish(ports, envelope, token, "reply_lost", from_state="replying")
    stored = ports.vault.cipher_for_reading(str(subject)).open_json("reply", str(sealed))
    reply = replies.Reply(stored["to"], stored["subject"], stored["text"], stored.get("in_reply_to"),
                          list(stored.get("references") or []))
    result = _send(ports, envelope, token, str(subject), reply, stored.get("url"), False, fields.get("kind"),
                   fields.get("request_id"))
    return IngestResult(result.message_id, "resent", result.request_id, result.kind)


def _finish(ports: MailPorts, envelope: Envelope, token: str, outcome: str, *, kind: str | None = None,
            from_state: Any = "processing") -> IngestResult:
    ports.mail_store.advance(envelope.message_id, token, from_state=from_state, to_state="done",
                                  now=ports.now(), fields={"outcome": outcome, "kind": kind},
                                  remove=("reply", "subject"))
    return IngestResult(envelope.message_id, outcome, None, kind)


# -- helpers --------------------------------------------------------------------------------------------------------
def _is_our_own(ports: MailPorts, mail: ParsedMail, envelope: Envelope) -> bool:
    """Loop guard: mail from our own sender or mailbox, or carrying our loop marker."""
    settings = ports.settings
    ours = {normalise_email(settings.sender_email), normalise_email(settings.privacy_mailbox)}
    if normalise_email(mail.from_address) in ours or normalise_email(envelope.source or "") in ours:
        return True
    return any(address in marker for marker in mail.loop_markers for address in ours)


def _keep(ports: MailPorts, subject: str, message_id: str, at: int, direction: str, mail: ParsedMail,
          classification: Classification) -> bool:
    """Keep the inbound message as the sender's correspondence; False when the subject was erased."""
    try:
        cipher = ports.vault.cipher_for_writing(subject)
        sealed = {"from": cipher.seal_json("from", {"address": mail.from_address, "name": mail.from_name}),
                  "subject": cipher.seal_json("subject", mail.subject),
                  "body": cipher.seal_json("body", mail.body[:KEPT_BODY_CHARS]),
                  # how to answer in the thread (the operator's `mail answer`)
                  "thread": cipher.seal_json("thread", {"message_id": mail.message_id,
                                                        "references": mail.references[-20:]})}
        ports.mail_store.keep(Correspondence(
            subject, message_id, at, "in",
            {"message_id": message_id, "direction": direction, "received_at": at, "channel": "email",
             "classified_as": classification.kind, "language": classification.language}, sealed))
        return True
    except SubjectSuppressedError:
        count("MailFromErasedSubject")
        return False


def _keep_reply(ports: MailPorts, subject: str, message_id: str, reply: replies.Reply, url: str | None,
                kind: str | None, request_id: str | None) -> None:
    try:
        cipher = ports.vault.cipher_for_writing(subject)
        sealed = {"to": cipher.seal_json("to", reply.to), "subject": cipher.seal_json("subject", reply.subject_line),
                  "body": cipher.seal_json("body", replies.without_secrets(reply.text, url))}
        ports.mail_store.keep(Correspondence(
            subject, message_id, ports.now(), "out",
            {"message_id": message_id, "direction": "out", "in_reply_to_ses_id": message_id,
             "request_id": request_id, "reply_kind": kind}, sealed))
    except SubjectSuppressedError:
        return


def _reply_fields(reply: replies.Reply, url: str | None) -> dict[str, Any]:
    return {"to": reply.to, "subject": reply.subject_line, "text": reply.text, "in_reply_to": reply.in_reply_to,
            "references": reply.references, "url": url}


def _inline_content(notification: SesNotification) -> bytes | None:
    if not notification.content:
        return None
    if (notification.receipt.action.encoding or "").upper() == "BASE64":
        return base64.b64decode(notification.content)
    return notification.content.encode()


def _tidy(ports: MailPorts, envelope: Envelope, result: IngestResult) -> None:
    """Once done, the raw MIME leaves the inbound prefix (quarantined mail is kept aside for the operator)."""
    if not envelope.key or result.outcome == "duplicate":
        return
    bucket = ports.inbound_mail
    try:
        if result.outcome == "quarantined":
            bucket.quarantine(envelope.key, bucket=envelope.bucket)
        else:
            bucket.remove(envelope.key, bucket=envelope.bucket)
    except Exception as error:  # the scheduled pickup removes it later (the receipt says done)
        logger.warning("raw mail not removed", extra={"message_id": envelope.message_id,
                                                       "error_type": type(error).__name__})
