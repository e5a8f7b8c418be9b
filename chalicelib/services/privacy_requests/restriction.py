"""Restriction of processing (GDPR Art. 18) and objection (Art. 21): fulfilment, the processors told, the lift.

Restriction: the subject's data is kept but not used.
    restricted (storage/restrictions.py: every later sealed write of theirs is marked `restricted_delivery`)
    -> the cookie categories that analytics or advertising use are withdrawn for every browser linked to them
       (consent ledger entries, source `restriction`, the request id as proof), and marketing e-mail is off
    -> each recipient of the store's policy that received their data is told (tracked per processor:
       an e-mail processor is mailed at once (`sent`), the others are operator tasks; `hosting` is this backend)
    -> the subject is told; the request completes (the restriction stays in force until lifted)
    -> `lift_restriction`: an operator, with a reason; the subject is told FIRST (Art. 18(3)): when that mail
       cannot be sent, nothing is lifted.

Objection (beyond direct marketing): the same withdrawal (source `objection`) and marketing off, the processors of
those purposes told; nothing else changes.

The processors' states live on the request (`result.processors`, domain/processors.py states); an operator closes
each with `cli processors done REQUEST PROCESSOR` (the same command as for erasures).
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from chalicelib.adapters.mailer import OutgoingMail
from chalicelib.domain import processors as tracking
from chalicelib.domain.consent import Choices, ConsentEvent, Source, holder_for_account
from chalicelib.domain.privacy_requests import PrivacyRequest, RequestType, Status, note
from chalicelib.errors import ConflictError, InvalidInputError, MailDeliveryError, NotFoundError
from chalicelib.mail import restriction_texts as texts
from chalicelib.observability import count, logger
from chalicelib.services.privacy_requests.notices import open_email, request_language, sender
from chalicelib.services.privacy_requests.transitions import FULFIL, move
from chalicelib.services.subject_recipients import Held, received
from chalicelib.storage.privacy_requests import WorkItem

if TYPE_CHECKING:
    from chalicelib.policy.model import Recipient
    from chalicelib.services.ports import RightsPorts

# Recipient kinds whose processing an objection (analytics, profiling, advertising, marketing) concerns.
OBJECTION_KINDS = frozenset({"analytics", "advertising", "marketing"})
OBJECTED_CATEGORIES = frozenset({"analytics", "marketing", "statistics", "advertising"})
MAX_REASON = 500
RIGHTS_PROCESSORS = "rights_processors"  # work queue: restriction/objection requests with a processor not final
FAR_FUTURE = 9_999_999_999


@dataclass(frozen=True)
class OpenTask:
    request_id: str
    state: tracking.ProcessorState


# -- what is withdrawn ------------------------------------------------------------------------------------------
def objected_categories(ports: RightsPorts) -> tuple[str, ...]:
    """The store's cookie categories that serve analytics, profiling or advertising: named so, or gating a
    recipient of those kinds."""
    policy = ports.store_policy
    gating = {recipient.consent for recipient in policy.recipients.values()
              if recipient.kind in OBJECTION_KINDS and recipient.consent is not None}
    found = []
    for name, category in policy.cookies.items():
        vendors = {policy.recipients[key].kind for key in category.vendors if key in policy.recipients}
        if name in OBJECTED_CATEGORIES or name in gating or vendors & OBJECTION_KINDS:
            found.append(name)
    return tuple(name for name in found if name != "essential")


def withdraw_consent(ports: RightsPorts, request: PrivacyRequest, *, source: Source, now: int) -> list[str]:
    """A ledger entry withdrawing the objected categories for every holder linked to the subject (and their
    account), where any of them is granted.  Returns the categories that were granted somewhere."""
    categories = objected_categories(ports)
    holders = dict.fromkeys([*ports.consent.linked_holders(request.subject, now=now),
                             holder_for_account(request.subject)])
    withdrawn: set[str] = set()
    for holder in holders:
        state = ports.consent.current(holder, now=now)
        if state is None:
            continue
        granted = [name for name in categories if state.effective.get(name)]
        if not granted:
            continue
        choices = Choices({**dict(state.effective), **dict.fromkeys(granted, False)})
        overrides = {**state.overrides, **dict.fromkeys(granted, f"{source}:{request.request_id}")}
        ports.consent.append(ConsentEvent(
            holder=holder, consent_id=uuid.uuid4().hex, recorded_at=now, action="custom", asked=choices,
            effective=choices, overrides=overrides, gpc=state.gpc, policy_version=state.policy_version,
            source=source, subject=request.subject, customer_id=request.customer_id))
        withdrawn.update(granted)
    return sorted(withdrawn)


def _marketing_off(ports: RightsPorts, request: PrivacyRequest, *, source: str, now: int) -> None:
    from chalicelib.services.marketing import set_marketing_preference

    set_marketing_preference(ports, subject=request.subject, customer_id=request.customer_id,
                             email_marketing=False, source="privacy_request", at=now,
                             proof={"request_id": request.request_id, "right": source})


# -- the processors ---------------------------------------------------------------------------------------------
def _held(ports: RightsPorts, subject: str, *, now: int) -> tuple[Held, list[str]]:
    held = Held()
    customer_ids: set[str] = set()
    for record in ports.subject_data.records(subject, now=now):
        held.add(record.kind, record.category, record.data)
        customer_id = record.data.get("customer_id")
        if isinstance(customer_id, int | str) and not isinstance(customer_id, bool) and str(customer_id) not in (
                "", "0"):
            customer_ids.add(str(customer_id))
    return held, sorted(customer_ids)


def _concerned(action: str, recipients: Iterable[tuple[str, Recipient]],
               withdrawn: Iterable[str]) -> list[tuple[str, Recipient]]:
    if action == "restriction":
        return list(recipients)
    categories = set(withdrawn)
    return [(key, recipient) for key, recipient in recipients
            if recipient.kind in OBJECTION_KINDS or (recipient.consent is not None and recipient.consent in categories)]


def tell_processors(ports: RightsPorts, request: PrivacyRequest, action: str, *, withdrawn: Iterable[str] = (),
                    now: int) -> dict[str, dict[str, Any]]:
    """A tracked state per recipient that received the subject's data (and, for an objection, serves the objected
    purposes): e-mailed at once, an operator task, or this backend itself."""
    held, customer_ids = _held(ports, request.subject, now=now)
    email = open_email(ports, request)
    states: dict[str, dict[str, Any]] = {}
    for key, recipient in _concerned(action, received(ports.store_policy, held), withdrawn):
        state = tracking.start(key, recipient.name, recipient.erasure, recipient.kind, at=now)
        if state.kind == tracking.SELF:
            state = replace(state, history=()).moved(
                tracking.ACKNOWLEDGED, at=now, detail=f"this backend's storage: {action} applied by this request")
        elif state.kind == tracking.EMAIL:
            state = _mail_processor(ports, request, state, recipient, action, email, customer_ids, now=now)
        else:
            detail = (f"operator task: {action} in {recipient.name}" +
                      (" (its API only deletes)" if state.kind == tracking.API else "") +
                      ", then cli processors done")
            state = replace(state, kind=tracking.MANUAL, history=()).moved(tracking.PENDING, at=now,
                                                                            detail=detail, next_at=0)
        states[key] = state.to_data()
    return states


def _mail_processor(ports: RightsPorts, request: PrivacyRequest, state: tracking.ProcessorState,
                    recipient: Recipient, action: str, email: str | None, customer_ids: list[str], *,
                    now: int) -> tracking.ProcessorState:
    reference = ("RST-" if action == "restriction" else "OBJ-") + secrets.token_hex(8)
    subject_line, text = texts.processor_notice(
        action=action, reference=reference, processor=recipient.name, email=email, customer_ids=customer_ids,
        request_id=request.request_id, sender=sender(ports))
    address = recipient.erasure.removeprefix("email:")
    try:
        ports.mailer.send(OutgoingMail(address, subject_line, text, kind=f"processor_{action}",
                                       reply_to=ports.store_policy.controller.contacts.privacy))
    except MailDeliveryError:
        return state.moved(tracking.PENDING, at=now, detail="mail refused: operator task, then cli processors done",
                           next_at=0)
    return state.moved(tracking.SENT, at=now, detail=f"mailed ({reference}): operator confirms the reply",
                       reference=reference, next_at=0)


# -- fulfilment -----------------------------------------------------------------------------------------------------
def fulfil_restriction(ports: RightsPorts, request: PrivacyRequest, *, now: int) -> PrivacyRequest:
    if request.status is not Status.PENDING:
        return request
    restriction = ports.restrictions.restrict(request.subject, request_id=request.request_id, at=now)
    withdrawn = withdraw_consent(ports, request, source="restriction", now=now)
    _marketing_off(ports, request, source="restriction", now=now)
    processors = tell_processors(ports, request, "restriction", now=now)
    result = {**request.result, "restriction": {"status": "active", "since": restriction.since,
                                                "by_request": restriction.request_id},
              "withdrawn": withdrawn, "processors": processors}
    done = move(ports, request, Status.COMPLETED, now=now, actor="system",
                reason="processing restricted: data kept, not used", done_work=[FULFIL], result=result,
                add_work=_tracking_work(request, processors, now),
                details={"withdrawn": withdrawn, "processors": sorted(processors)})
    count("PrivacyRestrictionApplied")
    _tell_subject(ports, done, *texts.restriction_applied(
        request_id=done.request_id, since=restriction.since, processors=_names(processors), sender=sender(ports),
        language=request_language(ports, done)),
        kind="restriction_applied")
    return done


def fulfil_objection(ports: RightsPorts, request: PrivacyRequest, *, now: int) -> PrivacyRequest:
    if request.status is not Status.PENDING:
        return request
    withdrawn = withdraw_consent(ports, request, source="objection", now=now)
    _marketing_off(ports, request, source="objection", now=now)
    processors = tell_processors(ports, request, "objection", withdrawn=withdrawn, now=now)
    result = {**request.result, "objection": {"purposes": ["analytics", "profiling", "advertising", "marketing"],
                                              "categories": list(objected_categories(ports))},
              "withdrawn": withdrawn, "processors": processors}
    done = move(ports, request, Status.COMPLETED, now=now, actor="system",
                reason="objection honoured: analytics, profiling, advertising and marketing withdrawn",
                done_work=[FULFIL], result=result, add_work=_tracking_work(request, processors, now),
                details={"withdrawn": withdrawn,
                                                            "processors": sorted(processors)})
    count("PrivacyObjectionApplied")
    _tell_subject(ports, done, *texts.objection_applied(
        request_id=done.request_id, withdrawn=withdrawn, processors=_names(processors), sender=sender(ports),
        language=request_language(ports, done)),
        kind="objection_applied")
    return done


def _tracking_work(request: PrivacyRequest, processors: dict[str, dict[str, Any]], now: int) -> list[WorkItem]:
    open_ = any(state["status"] not in tracking.FINAL for state in processors.values())
    return [WorkItem(RIGHTS_PROCESSORS, request.request_id, now)] if open_ else []


def _names(processors: dict[str, dict[str, Any]]) -> list[str]:
    return [str(state["name"]) for state in processors.values() if state["kind"] != tracking.SELF]


def _tell_subject(ports: RightsPorts, request: PrivacyRequest, subject_line: str, text: str, *, kind: str) -> bool:
    email = open_email(ports, request)
    if email is None:
        logger.warning("subject cannot be mailed: no readable address", extra={"request_id": request.request_id})
        return False
    try:
        ports.mailer.send(OutgoingMail(email, subject_line, text, kind=kind))
    except MailDeliveryError:
        logger.warning("subject mail refused", extra={"request_id": request.request_id, "kind": kind})
        return False
    return True


# -- the operator ---------------------------------------------------------------------------------------------------
def _restriction_request(ports: RightsPorts, request_id: str, *, now: int) -> PrivacyRequest:
    from chalicelib.services.privacy_requests.operator import get_request

    request = get_request(ports, request_id, now=now)
    if request.type is not RequestType.RESTRICTION:
        raise ConflictError("only a restriction request can be lifted")
    return request


def lift_restriction(ports: RightsPorts, *, request_id: str, reason: str, actor: str, now: int) -> PrivacyRequest:
    """Lift a restriction, with its reason, after telling the subject (GDPR Art. 18(3)).  When the subject cannot
    be told (no readable address, mail refused), nothing is lifted: ConflictError."""
    reason = " ".join(reason.split())
    if not reason or len(reason) > MAX_REASON:
        raise InvalidInputError(f"a reason (at most {MAX_REASON} characters) is required", field="reason")
    request = _restriction_request(ports, request_id, now=now)
    active = ports.restrictions.current(request.subject, now=now)
    if request.status is not Status.COMPLETED or active is None or active.request_id != request.request_id:
        raise ConflictError("this request's restriction is not in force")
    if not _tell_subject(ports, request, *texts.restriction_lifting(
            request_id=request_id, reason=reason, sender=sender(ports), language=request_language(ports, request)),
            kind="restriction_lift"):
        raise ConflictError("the subject could not be told, so the restriction stays (GDPR Art. 18(3))")
    ports.restrictions.lift(request.subject, request_id=request.request_id)
    state = {**request.result.get("restriction", {}), "status": "lifted", "lifted_at": now, "lift_reason": reason}
    after, entry = note(request, at=now, actor=actor, reason="restriction lifted: " + reason,
                        details={"subject_told_at": now}, result={**request.result, "restriction": state})
    saved = ports.privacy_requests.save(request, after, entry, now=now)
    count("PrivacyRestrictionLifted")
    logger.info("restriction lifted", extra={"request_id": request_id})
    return saved


def open_tasks(ports: RightsPorts, *, now: int, limit: int = 100) -> list[OpenTask]:
    """The processors of restriction and objection requests that are not final (oldest request first)."""
    found = []
    for work in ports.privacy_requests.due_work(RIGHTS_PROCESSORS, until=FAR_FUTURE, now=now, limit=limit):
        request = ports.privacy_requests.get(work.request_id, now=now)
        if request is None:
            continue
        for data in (request.result.get("processors") or {}).values():
            state = tracking.ProcessorState.from_data(data)
            if not state.final:
                found.append(OpenTask(request.request_id, state))
    return found


def processor_done(ports: RightsPorts, request: PrivacyRequest, key: str, *, detail: str, actor: str,
                   failed: bool, now: int) -> tracking.ProcessorState:
    """An operator's confirmation (or failure) of one processor of a restriction or an objection."""
    processors = dict(request.result.get("processors") or {})
    if key not in processors:
        raise NotFoundError("no such processor is tracked for that request")
    state = tracking.ProcessorState.from_data(processors[key])
    if state.final:
        raise ConflictError(f"{key} is already {state.status}")
    status = tracking.FAILED if failed else tracking.ACKNOWLEDGED
    moved = state.moved(status, at=now, detail=f"{actor}: {detail}")
    processors[key] = moved.to_data()
    after, entry = note(request, at=now, actor=actor, reason=f"processor {key} {status}",
                        details={"processor": key}, result={**request.result, "processors": processors})
    still_open = any(tracking.ProcessorState.from_data(data).status not in tracking.FINAL
                     for data in processors.values())
    ports.privacy_requests.save(request, after, entry, now=now, done_work=[] if still_open else [RIGHTS_PROCESSORS])
    return moved
