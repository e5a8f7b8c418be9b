"""The account's and the operator's actions on requests: ownership, listing, cancel, extend, complete, deny."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalicelib.domain import privacy_requests as rules
from chalicelib.domain.privacy_requests import PrivacyRequest, RequestType, Status
from chalicelib.errors import ConflictError, InvalidInputError, NotFoundError
from chalicelib.observability import count, logger
from chalicelib.services.privacy_requests.notices import send_extension_notice
from chalicelib.services.privacy_requests.transitions import DELETION, FULFIL, NOTICE, UNVERIFIED, move
from chalicelib.storage.privacy_requests import WorkItem

if TYPE_CHECKING:
    from chalicelib.services.ports import RightsPorts



def own_request(ports: RightsPorts, *, customer_id: str, request_id: str, now: int) -> PrivacyRequest:
    """A request the account made (ownership is the account, the token's `sub`, not the e-mail address: a token
    of another account with the same address sees nothing); another's, or an unknown id, is a 404."""
    request = ports.privacy_requests.get(request_id, now=now) if plausible_id(request_id) else None
    if request is None or request.customer_id is None or request.customer_id != customer_id:
        raise NotFoundError("no such request")
    return request


def plausible_id(request_id: str) -> bool:
    return 0 < len(request_id) <= 64 and request_id.isalnum()


def account_requests(ports: RightsPorts, *, customer_id: str, now: int) -> list[PrivacyRequest]:
    """The requests the account made, newest first (those made by e-mail or the web form are managed through
    the links mailed to their address)."""
    return ports.privacy_requests.for_account(customer_id, now=now)


def cancel_deletion(ports: RightsPorts, *, customer_id: str, request_id: str, actor: str,
                    now: int) -> PrivacyRequest:
    request = own_request(ports, customer_id=customer_id, request_id=request_id, now=now)
    return cancel(ports, request, actor=actor, reason="cancelled during the grace period", now=now)


def cancel(ports: RightsPorts, request: PrivacyRequest, *, actor: str, reason: str, now: int) -> PrivacyRequest:
    if request.type is RequestType.DELETION and request.status not in (Status.SCHEDULED, Status.PENDING,
                                                                        Status.UNVERIFIED):
        raise ConflictError(f"a {request.status.value} deletion can no longer be cancelled")
    if request.status not in (Status.UNVERIFIED, Status.PENDING, Status.SCHEDULED):
        raise ConflictError(f"a {request.status.value} request cannot be cancelled")
    return move(ports, request, Status.CANCELLED, now=now, actor=actor, reason=reason,
                 done_work=[DELETION, FULFIL, UNVERIFIED])


def get_request(ports: RightsPorts, request_id: str, *, now: int) -> PrivacyRequest:
    request = ports.privacy_requests.get(request_id, now=now) if plausible_id(request_id) else None
    if request is None:
        raise NotFoundError("no such request")
    return request


def extend_request(ports: RightsPorts, *, request_id: str, reason: str, actor: str, now: int) -> PrivacyRequest:
    """The one extension (GDPR +2 months, CCPA +45 days); the subject is told by e-mail."""
    request = get_request(ports, request_id, now=now)
    try:
        after, entry = rules.extend(request, reason=reason, at=now, actor=actor)
    except rules.ExtensionError as error:
        raise ConflictError(str(error)) from None
    saved = ports.privacy_requests.save(request, after, entry, now=now,
                                                 add_work=[WorkItem(NOTICE, request_id, now)])
    count("PrivacyRequestExtended")
    logger.info("privacy request extended", extra={"request_id": request_id, "due_at": saved.due_at})
    try:
        return send_extension_notice(ports, saved, now=now)
    except Exception as error:  # the notice stays queued for the scheduled job
        logger.warning("extension notice deferred", extra={"request_id": request_id,
                                                           "error_type": type(error).__name__})
        return saved


def complete_correction(ports: RightsPorts, *, request_id: str, note: str, actor: str,
                        now: int) -> PrivacyRequest:
    request = get_request(ports, request_id, now=now)
    if request.type is not RequestType.CORRECTION:
        raise ConflictError("only correction requests are completed by an operator")
    if request.status is Status.PENDING:
        from chalicelib.services.privacy_requests.correction import fulfil_correction  # not at cold start

        request = fulfil_correction(ports, request, now=now)
    if not request.is_open:
        raise ConflictError(f"the correction is already {request.status.value}")
    if not note.strip():
        raise InvalidInputError("a note saying what was corrected is required", field="note")
    return move(ports, request, Status.COMPLETED, now=now, actor=actor, reason="correction made: " + note.strip(),
                 done_work=[FULFIL])


def deny_request(ports: RightsPorts, *, request_id: str, reason: str, actor: str, now: int) -> PrivacyRequest:
    request = get_request(ports, request_id, now=now)
    if not reason.strip():
        raise InvalidInputError("a reason is required", field="reason")
    return move(ports, request, Status.DENIED, now=now, actor=actor, reason=reason.strip(),
                 done_work=[DELETION, FULFIL])


def open_requests(ports: RightsPorts, *, now: int, limit: int = 100) -> list[PrivacyRequest]:
    """Open requests, earliest deadline first (the operator's list)."""
    return ports.privacy_requests.open_requests(now=now, limit=limit)


def audit_trail(ports: RightsPorts, request_id: str, *, now: int) -> list[rules.AuditEntry]:
    return ports.privacy_requests.audit(request_id, now=now)
