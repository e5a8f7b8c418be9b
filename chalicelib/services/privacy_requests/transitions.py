"""Moving a request on: one transaction with its audit entry and the work markers it adds or removes."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalicelib.domain import privacy_requests as rules
from chalicelib.domain.privacy_requests import PrivacyRequest, Status
from chalicelib.observability import logger
from chalicelib.storage.privacy_requests import Token, WorkItem

if TYPE_CHECKING:
    from chalicelib.services.ports import RightsPorts

FULFIL, DELETION, UNVERIFIED, NOTICE = "fulfil", "deletion", "unverified", "notice"  # work queues

def move(ports: RightsPorts, request: PrivacyRequest, to: Status, *, now: int, actor: str, reason: str,
          done_work: list[str] | None = None, add_work: list[WorkItem] | None = None,
          details: dict[str, Any] | None = None, tokens: list[Token] | None = None,
          **changes: Any) -> PrivacyRequest:
    after, entry = rules.transition(request, to, at=now, actor=actor, reason=reason, details=details, **changes)
    saved = ports.privacy_requests.save(request, after, entry, now=now, done_work=done_work or [],
                                                 add_work=add_work or [], tokens=tokens or [])
    logger.info("privacy request moved", extra={"request_id": saved.request_id, "from": request.status.value,
                                                 "to": to.value, "type": saved.type.value})
    return saved


def work_for_pending(request: PrivacyRequest, at: int) -> list[WorkItem]:
    """Work to queue when a request becomes pending: every type is fulfilled by `fulfil` (the scheduled job
    retries what an inline attempt did not finish)."""
    return [WorkItem(FULFIL, request.request_id, at)]
