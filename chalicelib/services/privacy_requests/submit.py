"""Submitting a privacy request (account, web form after its intake queue, privacy@ mail), with its deadline."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from chalicelib.domain import privacy_requests as rules
from chalicelib.domain.privacy_requests import Channel, Regime, RequestType
from chalicelib.domain.retention import Category
from chalicelib.errors import ConflictError, InvalidInputError
from chalicelib.observability import count, logger
from chalicelib.services.privacy_requests.tokens import new_token, verification_link
from chalicelib.services.privacy_requests.transitions import UNVERIFIED, work_for_pending
from chalicelib.storage.privacy_requests import Token, WorkItem
from chalicelib.storage.sealed_writes import KeyRaceLost

if TYPE_CHECKING:
    from chalicelib.services.ports import Basics, RightsPorts



@dataclass(frozen=True)
class SubmittedRequest:
    request_id: str
    status: str
    due_at: int
    verification_url: str | None
    regime: Regime = Regime.STRICTEST


def regime_for_subject(ports: RightsPorts, subject: str, *, now: int) -> Regime:
    """The regime of the subject's billing address (their customer profile, else their latest order), among those
    the store serves; the store's `regimes.otherwise` when there is none or it is not served."""
    regimes = ports.store_policy.regimes
    region = ports.subject_data.billing_region(subject, now=now)
    country, state = region if region else (None, None)
    return rules.regime_for(country, state, served=regimes.served, otherwise=regimes.otherwise)


def offered_types(ports: Basics) -> tuple[RequestType, ...]:
    """The request types the store offers (`rights.offered` of its policy)."""
    return rules.offered_types(ports.store_policy.rights.offered)


def parse_type(ports: Basics, request_type: str) -> RequestType:
    """The request type asked for, if the store offers it (InvalidInputError naming the field `type`)."""
    offered = offered_types(ports)
    names = ", ".join(kind.value for kind in offered)
    try:
        kind = RequestType(request_type)
    except ValueError:
        raise InvalidInputError(f"type must be one of {names}", field="type") from None
    if kind not in offered:
        raise InvalidInputError(f"this store does not offer {kind.value} requests (offered: {names})",
                                field="type")
    return kind


def submit_request(ports: RightsPorts, *, email: str, request_type: str, channel: str, received_at: int,
                   needs_verification: bool, source_ref: str | None = None, customer_id: str | None = None,
                   request_id: str | None = None, token: str | None = None, child: bool = False,
                   params: dict[str, Any] | None = None) -> SubmittedRequest:
    """Create a request (and its single-use verification token when unverified).  Sends no mail.  A type the
    store does not offer is an InvalidInputError (400, field `type`) and nothing is stored.  The request keeps
    the version of the store policy it was made under.

    One transaction, behind the subject's guards: SubjectSuppressedError for an erased subject (authoritative);
    a subject's first key is stored with it.  `request_id` and `token` may be given (derived from a queue message
    id, so that a redelivered message finds its request instead of making a second one: StaleRequestError)."""
    kind = parse_type(ports, request_type)
    try:
        via = Channel(channel)
    except ValueError:
        raise InvalidInputError("unknown channel", field="channel") from None
    subject = ports.subject_for_email(email)  # raises ValueError for a non-address
    regime = regime_for_subject(ports, subject, now=received_at)
    ident = request_id or uuid.uuid4().hex
    for _ in range(2):  # a second pass when another writer stored the subject's first key meanwhile
        key = ports.vault.for_writing(subject, readable_until=ports.policy.expires_at(
            Category.PRIVACY_REQUEST, received_at))
        request = rules.new_request(
            request_id=ident, subject=subject, request_type=kind, channel=via, regime=regime,
            received_at=received_at, needs_verification=needs_verification, customer_id=customer_id,
            source_ref=source_ref, sealed={"email": key.cipher.seal_json("email", email)},
            policy_version=ports.store_policy.policy.version, child=child, params=params)
        tokens: list[Token] = []
        work: list[WorkItem] = []
        url = None
        if needs_verification:
            secret, stored = new_token(ports, "VERIFY", request.request_id, received_at + rules.TOKEN_LIFETIME,
                                        token)
            tokens.append(stored)
            work.append(WorkItem(UNVERIFIED, request.request_id, received_at + rules.UNVERIFIED_LIFETIME))
            url = verification_link(ports, secret)
        else:
            work.extend(work_for_pending(request, received_at))
        actor = f"customer:{customer_id}" if customer_id else f"subject:{via.value}"
        try:
            ports.privacy_requests.add(request, rules.created_entry(request, actor=actor), tokens=tokens,
                                               work=work, new_key=key.new)
        except KeyRaceLost:
            ports.vault.forget(subject)
            continue
        ports.vault.stored(subject, key)
        break
    else:
        raise ConflictError("the subject's key is busy; try again")
    count("PrivacyRequestSubmitted")
    logger.info("privacy request submitted", extra={"request_id": request.request_id, "type": kind.value,
                                                     "channel": via.value, "status": request.status.value})
    return SubmittedRequest(request.request_id, request.status.value, request.due_at, url, request.regime)
