"""Use case: the public privacy-request form, answered the same for every address.

`accept_web_request` (the HTTP route) does only what costs the same whoever asks: the per-IP limit and one enqueue.
`process_intake` (the queue's consumer) does the per-address work afterwards: the per-address quota, erased subjects
(nothing is registered or sent, and nothing tells), the request and its verification mail.

A message can be delivered more than once (SQS is at-least-once): the request id and the verification token are
derived from the message id with keyed hashes, so a redelivery finds its request and sends the same link again
instead of registering a second request.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import ValidationError

from chalicelib.domain.privacy_requests import Status
from chalicelib.domain.retention import DAY
from chalicelib.domain.subjects import keyed_hash
from chalicelib.errors import InvalidInputError, RateLimitedError, SubjectSuppressedError
from chalicelib.observability import count, logger, metric_name
from chalicelib.payloads.corrections import CorrectionChanges
from chalicelib.payloads.intake import IntakeMessage
from chalicelib.services import privacy_requests as requests
from chalicelib.storage.privacy_requests import StaleRequestError

if TYPE_CHECKING:
    from chalicelib.services.ports import RightsPorts

EMAIL_LIMIT_PER_DAY = 3
IP_LIMIT_PER_HOUR = 10


def limit_ip(ports: RightsPorts, ip: str | None, *, now: int) -> None:
    """At most IP_LIMIT_PER_HOUR requests an hour from one address (keyed hash only); RateLimitedError (429)."""
    if not ip:
        return
    hour = now - now % 3600
    key = keyed_hash(ip, ports.pepper, "rate:request-ip")
    if not ports.rate_limits.take(key, hour, limit=IP_LIMIT_PER_HOUR, expires_at=hour + 2 * DAY):
        count("PrivacyRequestRateLimited")
        raise RateLimitedError("too many requests; try again later", retry_after=hour + 3600 - now)


def accept_web_request(ports: RightsPorts, *, email: str, request_type: str, ip: str | None, now: int,
                       changes: CorrectionChanges | None = None, order_ids: list[int] | None = None,
                       language: str | None = None) -> str:
    """The per-IP limit, then one enqueue: the answer does not depend on the address.  Returns the message id.
    A type the store does not offer is refused first (InvalidInputError, field `type`): nothing is queued.
    A correction's changes travel in the message (the queue is encrypted) and are sealed with the request."""
    requests.parse_type(ports, request_type)
    limit_ip(ports, ip, now=now)
    message = IntakeMessage(email=email, type=request_type, received_at=now, changes=changes, order_ids=order_ids,
                            language=language)
    message_id = ports.intake_queue.send(message.model_dump(exclude_none=True))
    count("PrivacyRequestQueued")
    return message_id


def _email_quota(ports: RightsPorts, email: str, now: int) -> bool:
    day = now - now % DAY
    key = keyed_hash(ports.subject_for_email(email), ports.pepper, "rate:request-email")
    return ports.rate_limits.take(key, day, limit=EMAIL_LIMIT_PER_DAY, expires_at=day + 2 * DAY)


def derived_ids(ports: RightsPorts, message_id: str) -> tuple[str, str]:
    """(request id, verification token) of a queue message: the same for every delivery of it."""
    request_id = keyed_hash(message_id, ports.pepper, "intake-request")[:32]
    token = keyed_hash(message_id, ports.token_key, "intake-token")
    return request_id, token


def process_intake(ports: RightsPorts, message_id: str, body: str) -> str:
    """Handle one queued request: 'sent' | 'resent' | 'erased' | 'rate_limited' | 'done' | 'rejected'.
    Raises on a failure worth retrying (storage, mail): the message comes back."""
    try:
        message = IntakeMessage.model_validate_json(body)
    except ValidationError:
        logger.warning("intake message rejected", extra={"message_id": message_id})
        return "rejected"  # never becomes valid: not retried
    request_id, token = derived_ids(ports, message_id)
    repo = ports.privacy_requests
    existing = repo.get(request_id, now=ports.now())
    if existing is None:
        if not _email_quota(ports, message.email, message.received_at):
            count("PrivacyRequestRateLimited")
            return _done(message_id, "rate_limited")
        try:
            submitted = requests.submit_request(ports, email=message.email, request_type=message.type,
                                                channel="web", received_at=message.received_at,
                                                needs_verification=True, request_id=request_id, token=token,
                                                changes=message.changes.given() if message.changes else None,
                                                order_ids=message.order_ids,
                                                params={"language": message.language})
        except SubjectSuppressedError:  # an erased subject: nothing is held, nothing is registered or sent
            return _done(message_id, "erased")
        except StaleRequestError:  # another delivery of this message registered it meanwhile
            return _done(message_id, "done")
        except InvalidInputError:  # the type is no longer offered (a new policy since it was queued)
            return _done(message_id, "rejected")
        outcome = "sent"
    elif existing.status is Status.UNVERIFIED:  # redelivered before its mail went out: the same link again
        submitted = requests.SubmittedRequest(existing.request_id, existing.status.value, existing.due_at,
                                              requests.verification_link(ports, token))
        outcome = "resent"
    else:
        return _done(message_id, "done")
    requests.send_verification(ports, email=message.email, submitted=submitted, request_type=message.type,
                               language=message.language)
    return _done(message_id, outcome)


def _done(message_id: str, outcome: str) -> str:
    count(metric_name("PrivacyIntake", outcome))
    logger.info("privacy request intake", extra={"message_id": message_id, "outcome": outcome})
    return outcome
