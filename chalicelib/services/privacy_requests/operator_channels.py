"""Requests the operator records: by letter, by telephone, in person, or from an authorised agent (issue 13).

The operator saw the person's identity checked, so the request is verified (pending) at once, with the operator's
note of what was seen (`evidence`: a short note, never a copy of an ID document) sealed under the subject's key
like the address; an agent's name and authorisation (CCPA regulations § 7063: the signed permission) likewise.
Its deadline is the regime's, counted from the day it was received.  Only the channels of the store's policy
(`rights.channels`) are accepted.  The subject is mailed a confirmation; the request then proceeds as any other.
A second submission with the same source reference (a letter's reference) records nothing and mails nothing.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

from chalicelib.domain.privacy_requests import Channel, PrivacyRequest
from chalicelib.domain.retention import DAY
from chalicelib.errors import ConflictError, InvalidInputError, KeyShreddedError, SubjectSuppressedError
from chalicelib.observability import count, logger
from chalicelib.services.privacy_requests.fulfilment import GUARDIAN_CONFIRMED, fulfil_safely
from chalicelib.services.privacy_requests.notices import notify_subject
from chalicelib.services.privacy_requests.operator import get_request
from chalicelib.services.privacy_requests.submit import SubmittedRequest, parse_type, submit_request

if TYPE_CHECKING:
    from chalicelib.services.ports import RightsPorts

OPERATOR_CHANNELS = (Channel.LETTER, Channel.PHONE, Channel.IN_PERSON, Channel.AGENT)
MAX_NOTE = 1000  # characters of an operator's note (evidence, authorisation, guardian check): a note, not a document
MAX_NAME = 200
MAX_SOURCE_REF = 200
MAX_AGE_DAYS = 365  # a received date further back is a typing error (and near the end of the request's retention)
SEALED_FIELDS = ("evidence", "agent", "guardian_note")  # beside "email"


class ChannelNotOfferedError(InvalidInputError):
    """The store's policy does not list the channel in `rights.channels`."""

    code = "channel_not_offered"


@dataclass(frozen=True)
class OperatorSubmission:
    submitted: SubmittedRequest
    confirmation: str  # "sent", "not sent: <why>", or "not sent again" for a source already recorded


def check_text(value: str | None, field: str, *, limit: int = MAX_NOTE, required: bool = True) -> str | None:
    """A short operator-typed text: stripped, not empty when required, at most `limit` characters, no control
    characters but line breaks and tabs."""
    text = (value or "").strip()
    if not text:
        if required:
            raise InvalidInputError(f"{field} is required", field=field)
        return None
    if len(text) > limit:
        raise InvalidInputError(f"{field} is {len(text)} characters, at most {limit}: write a short note of what "
                                "was seen, never a copy of a document", field=field)
    if any(unicodedata.category(ch) in ("Cc", "Cs", "Co", "Cn") and ch not in "\n\t" for ch in text):
        raise InvalidInputError(f"{field} contains control or unassigned characters", field=field)
    return text


def received_at(received_on: date | None, *, now: int) -> int:
    """The epoch a request counts from: now when received today (or not said), else the start of that day (UTC).
    A future date, or one more than MAX_AGE_DAYS back, is refused."""
    if received_on is None:
        return now
    start = int(datetime(received_on.year, received_on.month, received_on.day, tzinfo=UTC).timestamp())
    if start > now:
        raise InvalidInputError("the received date is in the future", field="received_at")
    if start + DAY > now:
        return now
    if now - start > MAX_AGE_DAYS * DAY:
        raise InvalidInputError(f"the received date is more than {MAX_AGE_DAYS} days ago", field="received_at")
    return start


def parse_channel(ports: RightsPorts, channel: str) -> Channel:
    names = ", ".join(c.value for c in OPERATOR_CHANNELS)
    try:
        via = Channel(channel)
    except ValueError:
        via = None
    if via not in OPERATOR_CHANNELS:
        raise InvalidInputError(f"channel must be one of {names}", field="channel")
    assert via is not None
    accepted = ports.store_policy.rights.channels
    if via.value not in accepted:
        raise ChannelNotOfferedError(f"this store's policy does not accept requests by {via.value} "
                                     f"(rights.channels: {', '.join(accepted)})", field="channel")
    return via


def submit_operator_request(ports: RightsPorts, *, channel: str, request_type: str, email: str, evidence: str,
                            actor: str, now: int, received_on: date | None = None, source_ref: str | None = None,
                            agent_name: str | None = None, authorisation: str | None = None,
                            child: bool = False, language: str | None = None) -> OperatorSubmission:
    """Record a request received by letter, telephone, in person or from an authorised agent, verified by the
    operator.  Everything is checked before anything is stored (InvalidInputError naming the field).  `language`:
    the person's (en, de, et), that every mail to them is written in; the store's default when not given."""
    via = parse_channel(ports, channel)
    kind = parse_type(ports, request_type)
    try:
        ports.subject_for_email(email)
    except ValueError:
        raise InvalidInputError("email is not an e-mail address", field="email") from None
    note = check_text(evidence, "evidence")
    agent: dict[str, Any] = {}
    if via is Channel.AGENT:
        agent = {"name": check_text(agent_name, "agent_name", limit=MAX_NAME),
                 "authorisation": check_text(authorisation, "authorisation")}
    elif agent_name is not None or authorisation is not None:
        raise InvalidInputError("an agent's name and authorisation go with channel agent only",
                                field="agent_name" if agent_name is not None else "authorisation")
    ref = check_text(source_ref, "source_ref", limit=MAX_SOURCE_REF, required=False)
    if source_ref is not None and ref is None:
        raise InvalidInputError("source_ref is empty", field="source_ref")
    when = received_at(received_on, now=now)
    try:
        submitted = submit_request(ports, email=email, request_type=kind.value, channel=via.value, received_at=when,
                                   needs_verification=False, source_ref=ref, child=child, actor=actor,
                                   sealed_extra={"evidence": note, **({"agent": agent} if agent else {})},
                                   params={"language": language})
    except SubjectSuppressedError:
        raise ConflictError("this address's data was erased: nothing is held, nothing was recorded") from None
    if submitted.existing:
        return OperatorSubmission(submitted, "not sent again")
    count("PrivacyRequestRecordedByOperator")
    request = get_request(ports, submitted.request_id, now=now)
    confirmation = _confirm(ports, request)
    fulfil_safely(ports, request, now=now)
    current = get_request(ports, submitted.request_id, now=now)
    return OperatorSubmission(SubmittedRequest(current.request_id, current.status.value, current.due_at, None,
                                               current.regime), confirmation)


def _confirm(ports: RightsPorts, request: PrivacyRequest) -> str:
    try:
        notify_subject(ports, request, "confirmation")
    except Exception as error:  # the request stands; the operator is told to confirm another way
        logger.warning("confirmation not sent", extra={"request_id": request.request_id,
                                                       "error_type": type(error).__name__})
        return f"not sent ({type(error).__name__}): confirm to the person another way"
    return "sent"


def sealed_details(ports: RightsPorts, request: PrivacyRequest) -> dict[str, Any]:
    """What the operator's `show` adds to a request's view: the child marker and its guardian check, and the
    sealed notes opened (evidence, agent, guardian note; "(erased)" once the subject's key is gone)."""
    details: dict[str, Any] = {}
    if request.child:
        details["child"] = True
        details["guardian_confirmed"] = GUARDIAN_CONFIRMED in request.params
    present = [name for name in SEALED_FIELDS if name in request.sealed]
    if not present:
        return details
    try:
        cipher = ports.vault.cipher_for_reading(request.subject)
        opened = {name: cipher.open_json(name, request.sealed[name]) for name in present}
    except KeyShreddedError:
        opened = dict.fromkeys(present, "(erased)")
    agent = opened.pop("agent", None)
    if isinstance(agent, dict):
        opened["agent"], opened["authorisation"] = agent.get("name"), agent.get("authorisation")
    elif agent is not None:
        opened["agent"] = agent
    return {**details, **opened}
