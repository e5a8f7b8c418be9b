"""Use case: an erasure reaches every processor that received the subject's data, tracked to a final state.

When the erasure has run (the subject's own data erased or anonymised, the key shredded), each recipient of the
store's policy that the plan found (`subject_recipients`) gets a tracking state (domain/processors.py) by its
`erasure` channel:

- `api:<connector>` (ga4, botpress): the connector is called by the scheduled job's `processors` step, retried with
  backoff (bounded: MAX_ATTEMPTS), idempotent (a deletion already done is `acknowledged` again);
- `email:<address>`: one batched mail per processor and run (SES), listing the people to erase, with a reference
  (`ERB-…`) that the privacy@ ingestion recognises when the processor replies from its address's domain
  (authenticated: SPF, DKIM and DMARC pass): the reply marks every request of the batch `acknowledged`;
- `manual`: an operator task (`cli processors list`, `cli processors done REQUEST KEY`);
- a `hosting` recipient with a manual channel holds this backend's own storage: `acknowledged` by the erasure itself.

What the processors need (the subject's address and WooCommerce customer ids) was sealed during the erasure's plan
under the request's own notice key (`notice#<request id>`), because the subject's key is shredded before any
processor is told.  Once every processor is final (or after NOTICE_MAX_SECONDS, when what is still open is marked
`failed` for the operator to follow up), the subject gets the final update mail and the notice key is shredded.

Every change is an audit entry of the request, and the request's receipt (`result.receipt.processors`) shows the
current states; overdue ones (`due_at` passed, not final) go into the operator's digest.  A connector's failure
never blocks the subject's own erasure: the erasure is complete before any connector runs.  Nothing personal is
logged: request ids, processor keys, outcomes and counts only.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from chalicelib.adapters.mailer import OutgoingMail
from chalicelib.adapters.processors import ConnectorResult, ErasureTarget, Outcome
from chalicelib.crypto.envelope import SealError
from chalicelib.domain import privacy_requests as request_rules
from chalicelib.domain import processors as tracking
from chalicelib.domain.clock import iso
from chalicelib.domain.processors import ProcessorState
from chalicelib.domain.retention import DAY, Category
from chalicelib.errors import KeyShreddedError, MailDeliveryError, NotFoundError
from chalicelib.observability import count, logger
from chalicelib.storage.privacy_requests import StaleRequestError, WorkItem
from chalicelib.storage.processor_batches import ProcessorBatch
from chalicelib.storage.table import ConditionFailed

if TYPE_CHECKING:
    from chalicelib.policy.model import Recipient, StorePolicy
    from chalicelib.services.ports import RightsPorts
    from chalicelib.storage.subject_data import ErasureProgress

PROCESSORS = "processors"  # the work queue: one marker per request with a processor not yet final
WORK_PER_RUN = 25
NOTICE_PREFIX = "notice#"
NOTICE_MAX_SECONDS = 90 * DAY
REFERENCE = re.compile(r"\bERB-[0-9a-f]{16}\b")
MAX_BATCH = 50  # people per batched mail
FAR_FUTURE = 9_999_999_999
RECEIPT_MAX_ATTEMPTS = 8  # a refused erasure receipt: tried again with backoff, then `failed` for the operator
RECEIPT_BACKOFF = 900  # seconds before the first retry (one scheduled run), doubling, at most a day


@dataclass(frozen=True)
class Notice:
    """What the processors and the final update need once the subject's key is gone (sealed, never logged)."""

    email: str | None
    customer_ids: tuple[str, ...] = ()
    client_ids: tuple[str, ...] = ()


class ProcessorNotFoundError(NotFoundError):
    """No such processor is tracked for that request (or it is already final)."""


# -- the notice (sealed under the request's own key) ----------------------------------------------------------------
def notice_subject(request_id: str) -> str:
    return f"{NOTICE_PREFIX}{request_id}"


def seal_notice(ports: RightsPorts, request_id: str, notice: Notice) -> dict[str, str]:
    cipher = ports.vault.cipher_for_writing(notice_subject(request_id))
    return {"notice": cipher.seal_json("notice", {"email": notice.email, "customer_ids": list(notice.customer_ids),
                                                  "client_ids": list(notice.client_ids)})}


def open_notice(ports: RightsPorts, progress: ErasureProgress) -> Notice | None:
    token = progress.notice.get("notice")
    if not token:
        return None
    try:
        data = ports.vault.cipher_for_reading(notice_subject(progress.request_id)).open_json("notice", token)
    except (KeyShreddedError, SealError):
        return None
    return Notice(data.get("email"), tuple(str(c) for c in data.get("customer_ids", [])),
                  tuple(str(c) for c in data.get("client_ids", [])))


# -- starting and describing ----------------------------------------------------------------------------------------
def start_tracking(ports: RightsPorts, progress: ErasureProgress, *, now: int) -> None:
    """A tracking state per recipient the erasure's plan noted (idempotent: a resumed erasure keeps the states)."""
    for key, recipient in ports.store_policy.recipients.items():
        if progress.processors.get(key) and key not in progress.tracking:
            progress.tracking[key] = tracking.start(key, recipient.name, recipient.erasure, recipient.kind,
                                                    at=now).to_data()


def states_of(progress: ErasureProgress) -> dict[str, ProcessorState]:
    return {key: ProcessorState.from_data(data) for key, data in progress.tracking.items()}


def erasure_action(recipient: Recipient) -> str:
    """What to do so that the recipient erases the subject's data too, from its `erasure` channel and role."""
    channel = recipient.erasure
    if channel.startswith("api:"):
        return (f"a deletion request through the {channel.removeprefix('api:')} connector "
                f"(the {recipient.name} deletion API)")
    if channel.startswith("email:"):
        return f"a deletion request by e-mail to {channel.removeprefix('email:')}"
    if recipient.kind == "platform":
        return (f"erase the customer in {recipient.name} (WordPress: Tools > Erase Personal Data), as the "
                "source of customer and order records")
    if recipient.kind == "hosting":
        return (f"nothing to send: the records stored with {recipient.name} were erased or anonymised by this "
                "erasure")
    if recipient.role == "independent_controller":
        return (f"send {recipient.name} a deletion request for this person; it keeps its own records under its "
                "own legal obligations")
    return f"ask {recipient.name} to delete this person's data"


def processor_entries(progress: ErasureProgress, policy: StorePolicy) -> list[dict[str, Any]]:
    """The receipt's `processors`: each recipient told, with its channel, what is done and its current state."""
    entries = []
    for key, state in states_of(progress).items():
        recipient = policy.recipients.get(key)
        last = state.history[-1] if state.history else None
        entries.append({
            "key": key, "name": state.name, "role": recipient.role if recipient else "processor",
            "kind": recipient.kind if recipient else state.kind, "erasure": state.channel,
            "action": erasure_action(recipient) if recipient else state.channel, "status": state.status,
            "since": iso(last.at) if last else "", "due_at": iso(state.due_at), "attempts": state.attempts,
            **({"reference": state.reference} if state.reference else {})})
    return entries


# -- the scheduled step ---------------------------------------------------------------------------------------------
def run_propagation(ports: RightsPorts, *, now: int, dry_run: bool = False,
                    out_of_time: Callable[[], bool] = lambda: False) -> dict[str, int]:
    """The scheduled job's `processors` step: due connector calls, batched e-mails, final updates."""
    counts: dict[str, int] = {}
    work = ports.privacy_requests.due_work(PROCESSORS, until=now, now=now, limit=WORK_PER_RUN)
    if dry_run:
        return {"due": len(work)} if work else {}
    mailing: dict[str, list[tuple[str, Notice]]] = {}
    touched: list[str] = []
    for item in work:
        if out_of_time():
            _add(counts, "deferred")
            continue
        try:
            _retry_receipt(ports, item.request_id, now=now, counts=counts)
            _call_connectors(ports, item.request_id, now=now, counts=counts, mailing=mailing,
                             out_of_time=out_of_time)
            touched.append(item.request_id)
        except Exception as error:  # one request must not stop the others; its marker stays for the next run
            _add(counts, "errors")
            logger.warning("processor propagation failed", extra={"request_id": item.request_id,
                                                                  "error_type": type(error).__name__})
    for key, people in mailing.items():
        for start in range(0, len(people), MAX_BATCH):
            _send_batch(ports, key, people[start:start + MAX_BATCH], now=now, counts=counts)
    for request_id in touched:
        try:
            settle(ports, request_id, now=now, counts=counts)
        except Exception as error:
            _add(counts, "errors")
            logger.warning("processor settlement failed", extra={"request_id": request_id,
                                                                 "error_type": type(error).__name__})
    if counts:
        logger.info("processor propagation", extra=counts)
    return counts


def _add(counts: dict[str, int], name: str, n: int = 1) -> None:
    counts[name] = counts.get(name, 0) + n


def _receipt_waiting(progress: ErasureProgress) -> bool:
    from chalicelib.services.erase_subject import RECEIPT_RETRYING

    return bool(progress.receipt) and (progress.receipt or {}).get("mail") == RECEIPT_RETRYING


def _retry_receipt(ports: RightsPorts, request_id: str, *, now: int, counts: dict[str, int]) -> None:
    """The erasure receipt SES refused, sent again (to the notice's address: the subject's key is gone); after
    RECEIPT_MAX_ATTEMPTS refusals it is `failed` for the operator.  Sent at most once: the outcome is saved."""
    from chalicelib.services.erase_subject import RECEIPT_RETRYING, send_receipt

    progress = ports.subject_data.load_progress(request_id, now=now)
    if not _receipt_waiting(progress) or int((progress.receipt or {}).get("mail_next_at", 0)) > now:
        return
    receipt = {k: v for k, v in (progress.receipt or {}).items() if not k.startswith("mail")}
    notice = open_notice(ports, progress)
    outcome = send_receipt(ports, receipt, request_id, notice.email if notice else None)
    attempts = int((progress.receipt or {}).get("mail_attempts", 0)) + 1
    if outcome == RECEIPT_RETRYING and attempts >= RECEIPT_MAX_ATTEMPTS:
        outcome = "failed"

    def record(stored: ErasureProgress) -> None:
        stored.receipt = {**(stored.receipt or {}), "mail": outcome, "mail_attempts": attempts}
        if outcome == RECEIPT_RETRYING:
            stored.receipt["mail_next_at"] = now + min(RECEIPT_BACKOFF * 2 ** (attempts - 1), DAY)
        else:
            stored.receipt.pop("mail_next_at", None)

    progress = _update_progress(ports, request_id, record, now=now)
    _audit(ports, request_id, progress, [], now=now, actor="system:receipt", extra={"receipt_mail": outcome})
    _add(counts, "receipt_" + ("retry" if outcome == RECEIPT_RETRYING else outcome))


def _call_connectors(ports: RightsPorts, request_id: str, *, now: int, counts: dict[str, int],
                     mailing: dict[str, list[tuple[str, Notice]]], out_of_time: Callable[[], bool]) -> None:
    progress = ports.subject_data.load_progress(request_id, now=now)
    states = states_of(progress)
    notice = open_notice(ports, progress)
    changes: list[ProcessorState] = []
    for key, state in states.items():
        if not state.due(now) or out_of_time():
            continue
        if notice is None:
            changed = state.moved(tracking.FAILED, at=now, detail="the identifiers to send are gone")
        elif state.kind == tracking.EMAIL:
            mailing.setdefault(key, []).append((request_id, notice))
            continue
        elif state.kind == tracking.API:
            result = _call(ports, state, progress.request_id, notice)
            changed = state.after_attempt(result.outcome.value, at=now, detail=result.detail,
                                          reference=result.reference)
        else:
            continue
        states[key] = changed
        changes.append(changed)
        _add(counts, changed.status if changed.status != state.status else "retry")
    if changes:
        _save_states(ports, request_id, {state.key: state for state in changes}, now=now)


def _call(ports: RightsPorts, state: ProcessorState, request_id: str, notice: Notice) -> ConnectorResult:
    name = state.channel.removeprefix("api:")
    connector = ports.connectors.get(name)
    if connector is None:
        return ConnectorResult(Outcome.FAILED, f"no connector {name!r} is configured")
    targets = [ErasureTarget(request_id, notice.email, customer_id, notice.client_ids)
               for customer_id in notice.customer_ids] or [ErasureTarget(request_id, notice.email, None,
                                                                         notice.client_ids)]
    results = []
    for target in targets:
        try:
            results.append(connector.erase(target))
        except Exception as error:  # a connector must not raise; if it does, it is a transient failure
            results.append(ConnectorResult(Outcome.RETRY, f"connector error: {type(error).__name__}"))
    return combine(results)


def combine(results: Iterable[ConnectorResult]) -> ConnectorResult:
    """One result for several identifiers: the worst outcome wins (failed, retry, sent, acknowledged)."""
    order = [Outcome.FAILED, Outcome.RETRY, Outcome.SENT, Outcome.ACKNOWLEDGED]
    found = list(results)
    worst = min(found, key=lambda result: order.index(result.outcome))
    detail = "; ".join(dict.fromkeys(result.detail for result in found))
    references = [result.reference for result in found if result.reference]
    return ConnectorResult(worst.outcome, detail[:500], max(references) if references else None)


def _save_states(ports: RightsPorts, request_id: str, changed: dict[str, ProcessorState], *, now: int,
                 actor: str = "system:processors") -> None:
    """Store the changed states and record each in the request's audit, with the receipt's processors brought up
    to date.  A final state is never overwritten: a concurrent confirmation (operator, reply) wins over this
    change, which was computed from what was read before."""
    def apply(progress: ErasureProgress) -> None:
        for key, state in list(changed.items()):
            stored = progress.tracking.get(key)
            if stored is not None and ProcessorState.from_data(stored).final:
                changed.pop(key)
                continue
            progress.tracking[key] = state.to_data()

    changed = dict(changed)
    progress = _update_progress(ports, request_id, apply, now=now)
    if changed:
        _audit(ports, request_id, progress, list(changed.values()), now=now, actor=actor)


def _update_progress(ports: RightsPorts, request_id: str, change: Callable[[ErasureProgress], None], *,
                     now: int) -> ErasureProgress:
    """Read, change and save the erasure's progress item (optimistic on its version: read again and changed again
    when another writer came first, three times at most)."""
    for attempt in range(3):
        progress = ports.subject_data.load_progress(request_id, now=now)
        change(progress)
        try:
            ports.subject_data.save_progress(progress, expires_at=_expiry(ports, now))
            return progress
        except ConditionFailed:
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def _expiry(ports: RightsPorts, now: int) -> int:
    return ports.policy.expires_at(Category.PRIVACY_REQUEST, now)


def _audit(ports: RightsPorts, request_id: str, progress: ErasureProgress, changed: list[ProcessorState], *,
           now: int, actor: str, extra: dict[str, Any] | None = None) -> None:
    for attempt in range(3):
        request = ports.privacy_requests.get(request_id, now=now)
        if request is None:
            return
        receipt = dict(request.result.get("receipt") or {})
        if receipt:
            receipt["processors"] = processor_entries(progress, ports.store_policy)
            receipt["mail"] = (progress.receipt or {}).get("mail", receipt.get("mail"))
        reason = "; ".join(f"processor {state.key}: {state.status}" for state in changed) or "processors"
        details = {"processors": {state.key: {"status": state.status, "detail": state.history[-1].detail
                                              if state.history else ""} for state in changed}, **(extra or {})}
        after, entry = request_rules.note(request, at=now, actor=actor, reason=reason[:500], details=details,
                                          result={**request.result, **({"receipt": receipt} if receipt else {})})
        try:
            ports.privacy_requests.save(request, after, entry, now=now)
            return
        except StaleRequestError:
            if attempt == 2:
                raise


# -- batched e-mail -------------------------------------------------------------------------------------------------
def new_reference() -> str:
    return f"ERB-{secrets.token_hex(8)}"


def _send_batch(ports: RightsPorts, key: str, people: list[tuple[str, Notice]], *, now: int,
                counts: dict[str, int]) -> None:
    from chalicelib.mail import templates
    from chalicelib.services.privacy_requests.notices import sender

    recipient = ports.store_policy.recipients.get(key)
    if recipient is None or not recipient.erasure.startswith("email:"):
        return
    address = recipient.erasure.removeprefix("email:")
    reference = new_reference()
    subject_line, text = templates.render("processor_erasure", reference=reference, processor=recipient.name,
                                          people=[(request_id, notice.email, notice.customer_ids)
                                                  for request_id, notice in people], sender=sender(ports))
    try:
        message_id = ports.mailer.send(OutgoingMail(address, subject_line, text, kind="processor_erasure",
                                                    reply_to=ports.settings.privacy_mailbox))
    except MailDeliveryError:
        for request_id, _ in people:  # counted as one attempt each: retried with backoff
            _attempt_failed(ports, request_id, key, now=now)
        _add(counts, "retry", len(people))
        return
    ports.processor_batches.save(ProcessorBatch(reference, key, address, tuple(r for r, _ in people), now,
                                                message_id))
    for request_id, _ in people:
        progress = ports.subject_data.load_progress(request_id, now=now)
        state = states_of(progress).get(key)
        if state is None or state.final:
            continue
        _save_states(ports, request_id, {key: state.after_attempt(
            tracking.SENT, at=now, detail=f"batched request {reference} mailed", reference=reference)}, now=now)
    _add(counts, "sent", len(people))
    count("ProcessorErasureMailed")


def _attempt_failed(ports: RightsPorts, request_id: str, key: str, *, now: int) -> None:
    progress = ports.subject_data.load_progress(request_id, now=now)
    state = states_of(progress).get(key)
    if state is not None and not state.final:
        _save_states(ports, request_id, {key: state.after_attempt("retry", at=now, detail="mail not sent")},
                     now=now)


def acknowledge_reply(ports: RightsPorts, *, subject_line: str, body: str, from_address: str, authenticated: bool,
                      now: int) -> int | None:
    """A processor's reply to a batched request: every request of the batch named by its reference becomes
    `acknowledged` for that processor, when the reply comes from the processor's address's domain and passed
    SPF, DKIM and DMARC.  Returns how many were acknowledged now (0: a trusted reply to a batch already
    acknowledged), or None when the mail is not a trusted processor reply (it is then handled as any mail)."""
    match = REFERENCE.search(subject_line) or REFERENCE.search(body[:20_000])
    if match is None:
        return None
    batch = ports.processor_batches.get(match.group(0), now=now)
    if batch is None:
        return None
    domain = batch.address.rpartition("@")[2].casefold()
    if not authenticated or from_address.rpartition("@")[2].casefold() != domain:
        logger.warning("processor reply not trusted", extra={"reference": batch.reference,
                                                             "processor": batch.processor})
        return None
    done = 0
    for request_id in batch.requests:
        try:
            acknowledge(ports, request_id, batch.processor, actor=f"processor:{batch.processor}",
                        detail=f"the processor replied to {batch.reference}", now=now)
            done += 1
        except ProcessorNotFoundError:
            continue
    return done


# -- the operator and settling --------------------------------------------------------------------------------------
def acknowledge(ports: RightsPorts, request_id: str, key: str, *, actor: str, detail: str, now: int,
                failed: bool = False) -> ProcessorState:
    """Mark one processor of a request `acknowledged` (or `failed`): the operator's `cli processors done`, or a
    processor's reply.  ProcessorNotFoundError when it is not tracked or already final."""
    progress = ports.subject_data.load_progress(request_id, now=now)
    state = states_of(progress).get(key)
    if state is None or state.final:
        raise ProcessorNotFoundError(f"no open processor {key!r} on request {request_id}")
    changed = state.moved(tracking.FAILED if failed else tracking.ACKNOWLEDGED, at=now, detail=detail[:500])
    _save_states(ports, request_id, {key: changed}, now=now, actor=actor)
    settle(ports, request_id, now=now)
    return changed


def settle(ports: RightsPorts, request_id: str, *, now: int, counts: dict[str, int] | None = None) -> None:
    """After a change: when every processor is final (or the notice's time is up), the final update to the
    subject and the notice key shredded, and the work marker dropped; otherwise the marker moves to when the
    request needs the job next."""
    progress = ports.subject_data.load_progress(request_id, now=now)
    if _receipt_waiting(progress):  # the receipt first (and the notice it is addressed from is kept for it)
        next_at = int((progress.receipt or {}).get("mail_next_at", now))
        ports.privacy_requests.schedule_work(WorkItem(PROCESSORS, request_id, max(next_at, now + 1)))
        return
    states = states_of(progress)
    if not states:
        ports.privacy_requests.drop_work(request_id, PROCESSORS)
        return
    started = min((state.history[0].at for state in states.values() if state.history), default=now)
    if not tracking.all_final(states) and now - started >= NOTICE_MAX_SECONDS:
        timed_out = {key: state.moved(tracking.FAILED, at=now, detail="no confirmation within 90 days: follow up "
                                                                        "outside this backend")
                     for key, state in states.items() if not state.final}
        _save_states(ports, request_id, timed_out, now=now)
        states.update(timed_out)
        progress = ports.subject_data.load_progress(request_id, now=now)
    if tracking.all_final(states):
        if progress.final_update is None:
            _final_update(ports, progress, now=now)
            if counts is not None:
                _add(counts, "final_updates")
        ports.privacy_requests.drop_work(request_id, PROCESSORS)
        return
    ports.privacy_requests.schedule_work(WorkItem(PROCESSORS, request_id, next_visit(states, now=now)))


def next_visit(states: dict[str, ProcessorState], *, now: int) -> int:
    """When the job looks at the request again: the next planned attempt (at the earliest the next run), else, for
    what waits on a reply or an operator, its due date and then once a day (so waiting requests never crowd the
    run's WORK_PER_RUN out of the attempts that are due)."""
    planned = [state.next_at for state in states.values() if not state.final and state.next_at]
    if planned:
        return max(min(planned), now + 1)
    waiting = [state.due_at for state in states.values() if not state.final]
    return max(min(waiting, default=now), now + DAY)


def _final_update(ports: RightsPorts, progress: ErasureProgress, *, now: int) -> None:
    """The last mail of an erasure: every processor's final state; then the notice and its key are gone."""
    from chalicelib.mail import templates

    notice = open_notice(ports, progress)
    outcome = "no_address"
    if notice is not None and notice.email:
        from chalicelib.services.erase_subject import receipt_language

        subject_line, text = templates.render("receipt_update", request_id=progress.request_id,
                                              processors=processor_entries(progress, ports.store_policy),
                                              language=receipt_language(ports, progress.receipt))
        try:
            ports.mailer.send(OutgoingMail(notice.email, subject_line, text, kind="erasure_update"))
            outcome = "sent"
        except MailDeliveryError:
            outcome = "failed"
    if outcome == "failed":  # kept for the next run: the notice stays until the update is sent
        raise MailDeliveryError("final update not sent")
    def finish(stored: ErasureProgress) -> None:
        stored.final_update = outcome
        stored.notice = {}

    progress = _update_progress(ports, progress.request_id, finish, now=now)
    ports.vault.shred(notice_subject(progress.request_id))
    _audit(ports, progress.request_id, progress, [], now=now, actor="system:processors",
           extra={"final_update": outcome})
    count("ErasureFinalUpdate")


# -- views ----------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class OpenProcessor:
    request_id: str
    state: ProcessorState


def open_processors(ports: RightsPorts, *, now: int, limit: int = 200) -> list[OpenProcessor]:
    """Every processor not yet final, across requests (the operator's list and digest)."""
    found: list[OpenProcessor] = []
    for item in ports.privacy_requests.due_work(PROCESSORS, until=FAR_FUTURE, now=now, limit=min(limit, 100)):
        progress = ports.subject_data.load_progress(item.request_id, now=now)
        found.extend(OpenProcessor(item.request_id, state) for state in states_of(progress).values()
                     if not state.final)
    return found[:limit]
