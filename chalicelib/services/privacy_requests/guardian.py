"""The operator confirms a parent's or guardian's authority over a request about a child's data (seed 002 §10).

Until then a child's deletion request waits (`fulfilment._fulfil_deletion`: nothing scheduled, nothing erased); the
confirmation records how authority was checked (a note sealed under the subject's key, an audit entry) and lets
the request proceed.  Denying it (`deny_request`) needs no confirmation.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalicelib.domain import privacy_requests as rules
from chalicelib.domain.privacy_requests import PrivacyRequest, Status
from chalicelib.errors import ConflictError, KeyShreddedError, SubjectSuppressedError
from chalicelib.observability import count, logger
from chalicelib.services.privacy_requests.fulfilment import GUARDIAN_CONFIRMED, fulfil_safely
from chalicelib.services.privacy_requests.operator import get_request
from chalicelib.services.privacy_requests.operator_channels import check_text
from chalicelib.services.privacy_requests.transitions import FULFIL
from chalicelib.storage.privacy_requests import WorkItem

if TYPE_CHECKING:
    from chalicelib.services.ports import RightsPorts


def confirm_guardian(ports: RightsPorts, *, request_id: str, note: str, actor: str, now: int) -> PrivacyRequest:
    """Record that the parent's or guardian's authority was checked (how: `note`, sealed), then fulfil."""
    request = get_request(ports, request_id, now=now)
    if not request.child:
        raise ConflictError("this request is not about a child's data: there is no guardian to confirm")
    if request.status not in (Status.UNVERIFIED, Status.PENDING):
        raise ConflictError(f"a {request.status.value} request can no longer be confirmed")
    if GUARDIAN_CONFIRMED in request.params:
        raise ConflictError("the guardian's authority was already confirmed")
    text = check_text(note, "note")
    try:
        sealed = {**request.sealed, "guardian_note": ports.vault.cipher_for_writing(request.subject).seal_json(
            "guardian_note", text)}
    except (SubjectSuppressedError, KeyShreddedError):
        raise ConflictError("the subject's data was erased") from None
    after, entry = rules.note(request, at=now, actor=actor, reason="parent's or guardian's authority confirmed",
                              params={**request.params, GUARDIAN_CONFIRMED: now}, sealed=sealed)
    pending = request.status is Status.PENDING
    saved = ports.privacy_requests.save(request, after, entry, now=now,
                                        add_work=[WorkItem(FULFIL, request_id, now)] if pending else [])
    count("PrivacyGuardianConfirmed")
    logger.info("guardian's authority confirmed", extra={"request_id": request_id, "type": saved.type.value})
    return fulfil_safely(ports, saved, now=now) if pending else saved
