"""Submitting a privacy request (account, web form after its intake queue, privacy@ mail), with its deadline."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from chalicelib.domain import privacy_requests as rules
from chalicelib.domain.privacy_requests import Channel, PrivacyRequest, Regime, RequestType, Status
from chalicelib.domain.retention import Category
from chalicelib.domain.subjects import keyed_hash
from chalicelib.errors import ConflictError, InvalidInputError
from chalicelib.observability import count, logger
from chalicelib.payloads.corrections import changed_fields
from chalicelib.services.privacy_requests.tokens import new_token, verification_link
from chalicelib.services.privacy_requests.transitions import UNVERIFIED, work_for_pending
from chalicelib.storage.privacy_requests import DuplicateSourceError, Token, WorkItem
from chalicelib.storage.sealed_writes import KeyRaceLost

if TYPE_CHECKING:
    from chalicelib.services.ports import Basics, RightsPorts

CHANGES = "changes"  # the sealed field of a correction's changes


@dataclass(frozen=True)
class SubmittedRequest:
    request_id: str
    status: str
    due_at: int
    verification_url: str | None
    regime: Regime = Regime.STRICTEST
    existing: bool = False  # already made from the same source (source_ref): nothing new was stored
    request: PrivacyRequest | None = None  # the request as stored (no read-back needed); None when `existing`


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


def _correction_params(kind: RequestType, changes: Mapping[str, Any] | None,
                       order_ids: Sequence[int] | None) -> dict[str, Any]:
    """The non-personal parameters of a correction's changes: their field names and the orders named."""
    if not changes:
        return {}
    if kind is not RequestType.CORRECTION:
        raise InvalidInputError("changes are only for a correction request", field="changes")
    params: dict[str, Any] = {"fields": changed_fields(dict(changes))}
    if order_ids:
        params["order_ids"] = sorted({int(order) for order in order_ids})
    return params


def _actor(via: Channel, customer_id: str | None) -> str:
    if via is Channel.STORE:  # the store asks (an account it deleted), not the customer
        return "store:woocommerce"
    return f"customer:{customer_id}" if customer_id else f"subject:{via.value}"


def submit_request(ports: RightsPorts, *, email: str, request_type: str, channel: str, received_at: int,
                   needs_verification: bool, source_ref: str | None = None, customer_id: str | None = None,
                   request_id: str | None = None, token: str | None = None, child: bool = False,
                   sealed_extra: dict[str, Any] | None = None, actor: str | None = None,
                   changes: Mapping[str, Any] | None = None, order_ids: Sequence[int] | None = None,
                   due_by: int | None = None, params: dict[str, Any] | None = None) -> SubmittedRequest:
    """Create a request (and its single-use verification token when unverified).  Sends no mail.  A type the
    store does not offer is an InvalidInputError (400, field `type`) and nothing is stored.  The request keeps
    the version of the store policy it was made under.

    One transaction, behind the subject's guards: SubjectSuppressedError for an erased subject (authoritative);
    a subject's first key is stored with it.  `request_id` and `token` may be given (derived from a queue message
    id, so that a redelivered message finds its request instead of making a second one: StaleRequestError).

    A request is made once per source (`source_ref` on its channel: a mail, a letter's reference): when one was
    already made from it, nothing is stored and that first request is returned (`existing`, with the same
    verification link: the token of a request with a source is derived from it).  `sealed_extra` are further
    personal fields sealed under the subject's key beside the address (field name -> value); `actor` who is
    recorded as its creator (default: the account or `subject:<channel>`); `child`: about a child's data (due in
    three days); `params` further non-personal parameters, among them the `language` every later mail to the subject
    is written in (kept as the store answers: the one asked when the store lists it, else its default).

    A correction may carry the `changes` it asks for (`payloads.corrections`): sealed on the request under the
    subject's key (personal data), their field names and the `order_ids` kept in `params`.  `due_by` brings the
    deadline forward (an account the store deleted: its `deleted_account` period)."""
    kind = parse_type(ports, request_type)
    correction = _correction_params(kind, changes, order_ids)
    if params and "language" in params:
        from chalicelib.mail.texts import language_for  # the mail texts are loaded when needed, not at cold start

        params = {**params, "language": language_for(params["language"], ports.store_policy.rights.languages)}
    try:
        via = Channel(channel)
    except ValueError:
        raise InvalidInputError("unknown channel", field="channel") from None
    subject = ports.subject_for_email(email)  # raises ValueError for a non-address
    regime = regime_for_subject(ports, subject, now=received_at)
    ident = request_id or uuid.uuid4().hex
    if source_ref and token is None and needs_verification:  # a second attempt of this source finds the same link
        token = keyed_hash(f"{via.value}\x00{source_ref}", ports.token_key, "source-token")
    for _ in range(2):  # a second pass when another writer stored the subject's first key meanwhile
        key = ports.vault.for_writing(subject, readable_until=ports.policy.expires_at(
            Category.PRIVACY_REQUEST, received_at))
        sealed = {name: key.cipher.seal_json(name, value)
                  for name, value in {"email": email, **(sealed_extra or {})}.items()}
        if changes:
            sealed[CHANGES] = key.cipher.seal_json(CHANGES, dict(changes))
        request = rules.new_request(
            request_id=ident, subject=subject, request_type=kind, channel=via, regime=regime,
            received_at=received_at, needs_verification=needs_verification, customer_id=customer_id,
            source_ref=source_ref, policy_version=ports.store_policy.policy.version, child=child,
            sealed=sealed, params={**(params or {}), **correction})
        if due_by is not None and due_by < request.due_at:
            request = replace(request, due_at=due_by)
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
        creator = actor or _actor(via, customer_id)
        try:
            ports.privacy_requests.add(request, rules.created_entry(request, actor=creator), tokens=tokens,
                                               work=work, new_key=key.new)
        except KeyRaceLost:
            ports.vault.forget(subject)
            continue
        except DuplicateSourceError as duplicate:  # nothing was written (a new key neither)
            return _first_request(ports, duplicate.request_id, token, now=received_at)
        ports.vault.stored(subject, key)
        break
    else:
        raise ConflictError("the subject's key is busy; try again")
    count("PrivacyRequestSubmitted")
    logger.info("privacy request submitted", extra={"request_id": request.request_id, "type": kind.value,
                                                     "channel": via.value, "status": request.status.value})
    return SubmittedRequest(request.request_id, request.status.value, request.due_at, url, request.regime,
                            request=request)


def _first_request(ports: RightsPorts, request_id: str, token: str | None, *, now: int) -> SubmittedRequest:
    """The request already made from a source, as its submission returned it (the same link while unverified)."""
    first = ports.privacy_requests.get(request_id, now=now)
    if first is None:  # its marker outlived it: cannot happen within the retention period
        raise ConflictError("a request was already made from this source")
    url = verification_link(ports, token) if token and first.status is Status.UNVERIFIED else None
    count("PrivacyRequestDuplicateSource")
    logger.info("privacy request already made from this source", extra={"request_id": request_id})
    return SubmittedRequest(first.request_id, first.status.value, first.due_at, url, first.regime, existing=True)
