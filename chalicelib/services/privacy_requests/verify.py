"""Verifying a request by its single-use e-mail link: it becomes pending and its fulfilment starts."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalicelib.domain import privacy_requests as rules
from chalicelib.domain.privacy_requests import PrivacyRequest, Status
from chalicelib.observability import count, logger
from chalicelib.services.privacy_requests.fulfilment import fulfil_safely
from chalicelib.services.privacy_requests.tokens import hash_token
from chalicelib.services.privacy_requests.transitions import UNVERIFIED, work_for_pending
from chalicelib.storage.privacy_requests import InvalidLinkError

if TYPE_CHECKING:
    from chalicelib.services.ports import RightsPorts



def verify_request(ports: RightsPorts, *, token: str, now: int) -> PrivacyRequest:
    """Consume a verification token: the request becomes pending and its fulfilment starts."""
    repo = ports.privacy_requests
    if not token or len(token) > 200:
        raise InvalidLinkError("this link is invalid, used or expired")
    stored = repo.token(hash_token(ports, token, "VERIFY"), "VERIFY", now=now)
    request = repo.get(stored.request_id, now=now) if stored else None
    if stored is None or request is None or request.status is not Status.UNVERIFIED:
        raise InvalidLinkError("this link is invalid, used or expired")
    after, entry = rules.transition(request, Status.PENDING, at=now, actor="subject:email-link",
                                    reason="e-mail address verified")
    saved = repo.save(request, after, entry, now=now, consume=stored, done_work=[UNVERIFIED],
                      add_work=work_for_pending(after, now))
    count("PrivacyRequestVerified")
    logger.info("privacy request verified", extra={"request_id": saved.request_id, "type": saved.type.value})
    return fulfil_safely(ports, saved, now=now)
