"""Use cases of privacy requests: submit, verify, fulfil, cancel, extend, complete, deny, and the scheduled work.

Other features call:
- `submit_request(container, email=..., request_type=..., channel=..., received_at=..., needs_verification=...,
  source_ref=...)` -> SubmittedRequest (creates the request and, when unverified, its hashed single-use token; sends
  no mail: the caller does, with `verification_url`).
- `run_scheduled_request_work(container, now=..., dry_run=...)` -> counts (the scheduled job, every 15 minutes).

Each transition is stored with its audit entry in one transaction (see chalicelib.storage.requests).  Nothing
personal is logged: request ids, types, states and counts only.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from chalicelib.domain import requests as rules
from chalicelib.domain.clock import iso
from chalicelib.domain.requests import Channel, PrivacyRequest, Regime, RequestType, Status
from chalicelib.domain.retention import DAY, Category
from chalicelib.errors import ConflictError, InvalidInputError, NotFoundError
from chalicelib.observability import count, logger
from chalicelib.storage.requests import (
    DynamoRequestRepository,
    InvalidLinkError,
    RequestRepository,
    Token,
    WorkItem,
)
from chalicelib.storage.sealed_writes import KeyRaceLost
from chalicelib.storage.subject_keys import subject_pk

if TYPE_CHECKING:
    from chalicelib.container import Container

FULFIL, DELETION, UNVERIFIED, NOTICE = "fulfil", "deletion", "unverified", "notice"
INLINE_EXPORT_ITEMS = 200  # exports of subjects with more items than this are produced by the scheduled job
DOWNLOAD_URL_SECONDS = 900  # presigned export URLs live at most 15 minutes
WORK_PER_RUN = 25


@dataclass(frozen=True)
class SubmittedRequest:
    request_id: str
    status: str
    due_at: int
    verification_url: str | None


def requests_repository(container: Container) -> RequestRepository:
    return container.memo("requests_repository",
                          lambda c: DynamoRequestRepository(c.table, c.policy, c.sealed_writes))


def token_key(container: Container) -> str:
    from chalicelib.secrets import Secret, get_secret

    return get_secret(Secret.VERIFICATION_TOKEN_KEY, required=False) or container.pepper


def hash_token(container: Container, token: str, purpose: str) -> str:
    from chalicelib.crypto.subjects import keyed_hash

    return keyed_hash(token, token_key(container), purpose)


def _new_token(container: Container, purpose: str, request_id: str, expires_at: int,
               token: str | None = None) -> tuple[str, Token]:
    token = token or secrets.token_urlsafe(32)
    return token, Token(hash_token(container, token, purpose), purpose, request_id, expires_at)


def _link(container: Container, path: str, token: str) -> str:
    return f"{container.settings.public_base_url.rstrip('/')}{path}?token={token}"


def verification_link(container: Container, token: str) -> str:
    return _link(container, "/privacy-requests/verify", token)


# -- deadlines -------------------------------------------------------------------------------------------------
def regime_for_subject(container: Container, subject: str, *, now: int) -> Regime:
    """The regime of the subject's billing address: their customer profile, else their latest order."""
    for prefix in ("CUSTOMER#", "ORDER#"):
        page = container.table.query_page(
            index="subject_index", key_condition="subject_pk = :p AND begins_with(subject_sk, :k)",
            values={":p": subject_pk(subject), ":k": prefix}, now=now, limit=1, forward=False)
        for item in page.items:
            data = item.get("data") or {}
            if data.get("billing_country"):
                return rules.regime_for(str(data["billing_country"]), data.get("billing_state"))
    return Regime.STRICTEST


# -- submission and verification ---------------------------------------------------------------------------------
def _parse_type(request_type: str) -> RequestType:
    try:
        return RequestType(request_type)
    except ValueError:
        raise InvalidInputError("type must be access, deletion, correction or opt_out", field="type") from None


def submit_request(container: Container, *, email: str, request_type: str, channel: str, received_at: int,
                   needs_verification: bool, source_ref: str | None = None, customer_id: str | None = None,
                   request_id: str | None = None, token: str | None = None) -> SubmittedRequest:
    """Create a request (and its single-use verification token when unverified).  Sends no mail.

    One transaction, behind the subject's guards: SubjectSuppressedError for an erased subject (authoritative);
    a subject's first key is stored with it.  `request_id` and `token` may be given (derived from a queue message
    id, so that a redelivered message finds its request instead of making a second one: StaleRequestError)."""
    kind = _parse_type(request_type)
    try:
        via = Channel(channel)
    except ValueError:
        raise InvalidInputError("unknown channel", field="channel") from None
    subject = container.subject_for_email(email)  # raises ValueError for a non-address
    regime = regime_for_subject(container, subject, now=received_at)
    ident = request_id or uuid.uuid4().hex
    for _ in range(2):  # a second pass when another writer stored the subject's first key meanwhile
        key = container.vault.for_writing(subject, readable_until=container.policy.expires_at(
            Category.PRIVACY_REQUEST, received_at))
        request = rules.new_request(
            request_id=ident, subject=subject, request_type=kind, channel=via, regime=regime,
            received_at=received_at, needs_verification=needs_verification, customer_id=customer_id,
            source_ref=source_ref, sealed={"email": key.cipher.seal_json("email", email)})
        tokens: list[Token] = []
        work: list[WorkItem] = []
        url = None
        if needs_verification:
            secret, stored = _new_token(container, "VERIFY", request.request_id, received_at + rules.TOKEN_LIFETIME,
                                        token)
            tokens.append(stored)
            work.append(WorkItem(UNVERIFIED, request.request_id, received_at + rules.UNVERIFIED_LIFETIME))
            url = verification_link(container, secret)
        else:
            work.extend(_work_for_pending(request, received_at))
        actor = f"customer:{customer_id}" if customer_id else f"subject:{via.value}"
        try:
            requests_repository(container).add(request, rules.created_entry(request, actor=actor), tokens=tokens,
                                               work=work, new_key=key.new)
        except KeyRaceLost:
            container.vault.forget(subject)
            continue
        container.vault.stored(subject, key)
        break
    else:
        raise ConflictError("the subject's key is busy; try again")
    count("PrivacyRequestSubmitted")
    logger.info("privacy request submitted", extra={"request_id": request.request_id, "type": kind.value,
                                                     "channel": via.value, "status": request.status.value})
    return SubmittedRequest(request.request_id, request.status.value, request.due_at, url)


def _work_for_pending(request: PrivacyRequest, at: int) -> list[WorkItem]:
    """Work to queue when a request becomes pending: every type is fulfilled by `fulfil` (the scheduled job
    retries what an inline attempt did not finish)."""
    return [WorkItem(FULFIL, request.request_id, at)]


def send_verification(container: Container, *, email: str, submitted: SubmittedRequest, request_type: str) -> str:
    """Mail the single-use verification link of a web request; returns the SES message id."""
    from chalicelib.mail import templates
    from chalicelib.mail.outbound import send_email

    subject, text = templates.render("verification", url=submitted.verification_url, request_type=request_type)
    return send_email(container, to=email, subject=subject, text=text, kind="verification")


def verify_request(container: Container, *, token: str, now: int) -> PrivacyRequest:
    """Consume a verification token: the request becomes pending and its fulfilment starts."""
    repo = requests_repository(container)
    if not token or len(token) > 200:
        raise InvalidLinkError("this link is invalid, used or expired")
    stored = repo.token(hash_token(container, token, "VERIFY"), "VERIFY", now=now)
    request = repo.get(stored.request_id, now=now) if stored else None
    if stored is None or request is None or request.status is not Status.UNVERIFIED:
        raise InvalidLinkError("this link is invalid, used or expired")
    after, entry = rules.transition(request, Status.PENDING, at=now, actor="subject:email-link",
                                    reason="e-mail address verified")
    saved = repo.save(request, after, entry, now=now, consume=stored, done_work=[UNVERIFIED],
                      add_work=_work_for_pending(after, now))
    count("PrivacyRequestVerified")
    logger.info("privacy request verified", extra={"request_id": saved.request_id, "type": saved.type.value})
    return fulfil_safely(container, saved, now=now)


# -- fulfilment ----------------------------------------------------------------------------------------------------
def fulfil_safely(container: Container, request: PrivacyRequest, *, now: int) -> PrivacyRequest:
    """Fulfil inline where possible; a failure leaves the queued work for the scheduled job (never lost)."""
    try:
        return fulfil(container, request, now=now, inline=True)
    except Exception as error:  # the work marker stays: the scheduled job retries
        logger.warning("fulfilment deferred", extra={"request_id": request.request_id,
                                                     "error_type": type(error).__name__})
        return requests_repository(container).get(request.request_id, now=now) or request


def fulfil(container: Container, request: PrivacyRequest, *, now: int, inline: bool) -> PrivacyRequest:
    """Carry a pending (or resumed) request forward according to its type."""
    if request.type is RequestType.ACCESS:
        return _fulfil_access(container, request, now=now, inline=inline)
    if request.type is RequestType.DELETION:
        return _fulfil_deletion(container, request, now=now)
    if request.type is RequestType.OPT_OUT:
        return _fulfil_opt_out(container, request, now=now)
    return _fulfil_correction(container, request, now=now)


def _move(container: Container, request: PrivacyRequest, to: Status, *, now: int, actor: str, reason: str,
          done_work: list[str] | None = None, add_work: list[WorkItem] | None = None,
          details: dict[str, Any] | None = None, tokens: list[Token] | None = None,
          **changes: Any) -> PrivacyRequest:
    after, entry = rules.transition(request, to, at=now, actor=actor, reason=reason, details=details, **changes)
    saved = requests_repository(container).save(request, after, entry, now=now, done_work=done_work or [],
                                                 add_work=add_work or [], tokens=tokens or [])
    logger.info("privacy request moved", extra={"request_id": saved.request_id, "from": request.status.value,
                                                 "to": to.value, "type": saved.type.value})
    return saved


def _subject_is_small(container: Container, subject: str, *, now: int) -> bool:
    page = container.table.query_page(index="subject_index", key_condition="subject_pk = :p",
                                      values={":p": subject_pk(subject)}, now=now, limit=INLINE_EXPORT_ITEMS)
    return page.cursor is None


def _fulfil_access(container: Container, request: PrivacyRequest, *, now: int, inline: bool) -> PrivacyRequest:
    from chalicelib.services.export_subject import export_subject

    if inline and not _subject_is_small(container, request.subject, now=now):
        logger.info("export deferred to the scheduled job", extra={"request_id": request.request_id})
        return request
    if request.status is Status.PENDING:
        request = _move(container, request, Status.IN_PROGRESS, now=now, actor="system", reason="export started")
    result = export_subject(container, subject=request.subject, request_id=request.request_id, now=now)
    requests_repository(container).index_export(request, [result.json_key, result.html_key], at=now)
    export = {"json_key": result.json_key, "html_key": result.html_key, "expires_at": result.expires_at,
              "records": result.records, "schema_version": result.schema_version}
    tokens: list[Token] = []
    download_url = None
    if request.channel is not Channel.ACCOUNT:
        token, stored = _new_token(container, "DOWNLOAD", request.request_id, result.expires_at)
        tokens.append(stored)
        download_url = _link(container, "/privacy-requests/download", token)
    done = _move(container, request, Status.COMPLETED, now=now, actor="system", reason="export produced",
                 done_work=[FULFIL], tokens=tokens, details={"records": result.records},
                 result={**request.result, "export": export})
    count("PrivacyExportProduced")
    if download_url:
        _notify_subject(container, done, "export_ready", download_url=download_url)
    return done


def _fulfil_deletion(container: Container, request: PrivacyRequest, *, now: int) -> PrivacyRequest:
    grace = container.settings.deletion_grace_days * DAY
    if request.status is Status.PENDING and grace > 0:
        execute_after = now + grace
        return _move(container, request, Status.SCHEDULED, now=now, actor="system",
                     reason=f"deletion scheduled after a {container.settings.deletion_grace_days}-day grace period",
                     done_work=[FULFIL], add_work=[WorkItem(DELETION, request.request_id, execute_after)],
                     execute_after=execute_after)
    if request.status is Status.SCHEDULED and request.execute_after and request.execute_after > now:
        return request
    return execute_deletion(container, request, now=now)


def execute_deletion(container: Container, request: PrivacyRequest, *, now: int) -> PrivacyRequest:
    """Run (or resume) the erasure of a deletion request, then complete it with its receipt."""
    from chalicelib.services.erase_subject import erase_subject

    if request.status in (Status.PENDING, Status.SCHEDULED):
        request = _move(container, request, Status.IN_PROGRESS, now=now, actor="system:scheduler",
                        reason="erasure started")
    email = _open_email(container, request)
    receipt = erase_subject(container, request=request, email=email, now=now)
    request = requests_repository(container).get(request.request_id, now=now) or request
    done = _move(container, request, Status.COMPLETED, now=now, actor="system", reason="erasure completed",
                 done_work=[DELETION, FULFIL], details={"receipt": receipt},
                 result={**request.result, "receipt": receipt})
    count("PrivacyErasureCompleted")
    return done


def _fulfil_opt_out(container: Container, request: PrivacyRequest, *, now: int) -> PrivacyRequest:
    from chalicelib.services.marketing import set_marketing_preference

    set_marketing_preference(container, subject=request.subject, customer_id=request.customer_id,
                             email_marketing=False, source="privacy_request", at=now,
                             proof={"request_id": request.request_id})
    return _move(container, request, Status.COMPLETED, now=now, actor="system",
                 reason="marketing turned off", done_work=[FULFIL], result={**request.result, "marketing": False})


def _fulfil_correction(container: Container, request: PrivacyRequest, *, now: int) -> PrivacyRequest:
    if request.status is not Status.PENDING:
        return request
    return _move(container, request, Status.IN_PROGRESS, now=now, actor="system",
                 reason="correction handed to the operator (the store holds the profile)", done_work=[FULFIL])


# -- account and operator actions ---------------------------------------------------------------------------------
def own_request(container: Container, *, customer_id: str, request_id: str, now: int) -> PrivacyRequest:
    """A request the account made (ownership is the account, the token's `sub`, not the e-mail address: a token
    of another account with the same address sees nothing); another's, or an unknown id, is a 404."""
    request = requests_repository(container).get(request_id, now=now) if _plausible_id(request_id) else None
    if request is None or request.customer_id is None or request.customer_id != customer_id:
        raise NotFoundError("no such request")
    return request


def _plausible_id(request_id: str) -> bool:
    return 0 < len(request_id) <= 64 and request_id.isalnum()


def account_requests(container: Container, *, customer_id: str, now: int) -> list[PrivacyRequest]:
    """The requests the account made, newest first (those made by e-mail or the web form are managed through
    the links mailed to their address)."""
    return requests_repository(container).for_account(customer_id, now=now)


def cancel_deletion(container: Container, *, customer_id: str, request_id: str, actor: str,
                    now: int) -> PrivacyRequest:
    request = own_request(container, customer_id=customer_id, request_id=request_id, now=now)
    return cancel(container, request, actor=actor, reason="cancelled during the grace period", now=now)


def cancel(container: Container, request: PrivacyRequest, *, actor: str, reason: str, now: int) -> PrivacyRequest:
    if request.type is RequestType.DELETION and request.status not in (Status.SCHEDULED, Status.PENDING,
                                                                        Status.UNVERIFIED):
        raise ConflictError(f"a {request.status.value} deletion can no longer be cancelled")
    if request.status not in (Status.UNVERIFIED, Status.PENDING, Status.SCHEDULED):
        raise ConflictError(f"a {request.status.value} request cannot be cancelled")
    return _move(container, request, Status.CANCELLED, now=now, actor=actor, reason=reason,
                 done_work=[DELETION, FULFIL, UNVERIFIED])


def get_request(container: Container, request_id: str, *, now: int) -> PrivacyRequest:
    request = requests_repository(container).get(request_id, now=now) if _plausible_id(request_id) else None
    if request is None:
        raise NotFoundError("no such request")
    return request


def extend_request(container: Container, *, request_id: str, reason: str, actor: str, now: int) -> PrivacyRequest:
    """The one extension (GDPR +2 months, CCPA +45 days); the subject is told by e-mail."""
    request = get_request(container, request_id, now=now)
    try:
        after, entry = rules.extend(request, reason=reason, at=now, actor=actor)
    except rules.ExtensionError as error:
        raise ConflictError(str(error)) from None
    saved = requests_repository(container).save(request, after, entry, now=now,
                                                 add_work=[WorkItem(NOTICE, request_id, now)])
    count("PrivacyRequestExtended")
    logger.info("privacy request extended", extra={"request_id": request_id, "due_at": saved.due_at})
    try:
        return send_extension_notice(container, saved, now=now)
    except Exception as error:  # the notice stays queued for the scheduled job
        logger.warning("extension notice deferred", extra={"request_id": request_id,
                                                           "error_type": type(error).__name__})
        return saved


def send_extension_notice(container: Container, request: PrivacyRequest, *, now: int) -> PrivacyRequest:
    if request.extension_notice_sent or not request.extended:
        return request
    _notify_subject(container, request, "extension")
    entry = rules.AuditEntry(at=now, from_status=request.status.value, to_status=request.status.value,
                             actor="system", reason="subject told of the extension by e-mail")
    after = replace(request, extension_notice_sent=True, updated_at=now)
    return requests_repository(container).save(request, after, entry, now=now, done_work=[NOTICE])


def complete_correction(container: Container, *, request_id: str, note: str, actor: str,
                        now: int) -> PrivacyRequest:
    request = get_request(container, request_id, now=now)
    if request.type is not RequestType.CORRECTION:
        raise ConflictError("only correction requests are completed by an operator")
    if request.status is Status.PENDING:
        request = _fulfil_correction(container, request, now=now)
    if not note.strip():
        raise InvalidInputError("a note saying what was corrected is required", field="note")
    return _move(container, request, Status.COMPLETED, now=now, actor=actor, reason="correction made: " + note.strip(),
                 done_work=[FULFIL])


def deny_request(container: Container, *, request_id: str, reason: str, actor: str, now: int) -> PrivacyRequest:
    request = get_request(container, request_id, now=now)
    if not reason.strip():
        raise InvalidInputError("a reason is required", field="reason")
    return _move(container, request, Status.DENIED, now=now, actor=actor, reason=reason.strip(),
                 done_work=[DELETION, FULFIL])


def open_requests(container: Container, *, now: int, limit: int = 100) -> list[PrivacyRequest]:
    """Open requests, earliest deadline first (the operator's list)."""
    return requests_repository(container).open_requests(now=now, limit=limit)


def audit_trail(container: Container, request_id: str, *, now: int) -> list[rules.AuditEntry]:
    return requests_repository(container).audit(request_id, now=now)


def download_urls(container: Container, request: PrivacyRequest, *, now: int, actor: str) -> dict[str, str] | None:
    """Fresh presigned URLs (15 minutes) of a completed, unexpired export; each issue is logged."""
    from chalicelib import aws

    export = request.result.get("export")
    if request.status is not Status.COMPLETED or not export or int(export["expires_at"]) <= now:
        return None
    bucket = container.settings.exports_bucket
    urls = {fmt: aws.s3().generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": export[key]},
                                                  ExpiresIn=DOWNLOAD_URL_SECONDS)
            for fmt, key in (("json", "json_key"), ("html", "html_key"))}
    count("PrivacyExportDownloadLink")
    logger.info("export download link issued", extra={"request_id": request.request_id, "actor": actor})
    return urls


def download_by_token(container: Container, *, token: str, now: int) -> str:
    """The presigned URL (JSON) of the export a guest's download link points to."""
    repo = requests_repository(container)
    stored = repo.token(hash_token(container, token, "DOWNLOAD"), "DOWNLOAD", now=now) if token else None
    request = repo.get(stored.request_id, now=now) if stored else None
    urls = download_urls(container, request, now=now, actor="subject:download-link") if request else None
    if not urls:
        raise InvalidLinkError("this link is invalid or expired")
    return urls["json"]


def describe(request: PrivacyRequest, *, now: int) -> dict[str, Any]:
    """The public view of a request (no personal data)."""
    view: dict[str, Any] = {
        "request_id": request.request_id, "type": request.type.value, "channel": request.channel.value,
        "status": request.status.value, "received_at": iso(request.received_at), "due_at": iso(request.due_at),
        "regime": request.regime.value, "extended": request.extended,
    }
    if request.extended:
        view["extension_reason"] = request.extension_reason
    if request.execute_after:
        view["execute_after"] = iso(request.execute_after)
    if request.closed_at:
        view["closed_at"] = iso(request.closed_at)
    if request.is_open:
        view["days_left"] = rules.days_left(request.due_at, now)
    return view


# -- mail to the subject -----------------------------------------------------------------------------------------
def _open_email(container: Container, request: PrivacyRequest) -> str | None:
    from chalicelib.errors import KeyShreddedError

    token = request.sealed.get("email")
    if not token:
        return None
    try:
        return str(container.vault.cipher_for_reading(request.subject).open_json("email", token))
    except KeyShreddedError:
        return None


def _notify_subject(container: Container, request: PrivacyRequest, kind: str, **values: Any) -> None:
    from chalicelib.mail import templates
    from chalicelib.mail.outbound import send_email

    email = _open_email(container, request)
    if email is None:
        logger.warning("subject cannot be mailed: no readable address", extra={"request_id": request.request_id})
        return
    subject, text = templates.render(kind, request=request, **values)
    send_email(container, to=email, subject=subject, text=text, kind=kind)


# -- the scheduled job -------------------------------------------------------------------------------------------
def run_scheduled_request_work(container: Container, *, now: int, dry_run: bool,
                               out_of_time: Callable[[], bool] = lambda: False) -> dict[str, int]:
    """Deletions past their grace period, queued fulfilments, expiry of unverified requests, extension notices and
    the operator's daily digest.  In dry_run it only counts what it would do.  When `out_of_time()` says so, the
    rest stays queued for the next run (counted as `deferred`)."""
    repo = requests_repository(container)
    counts = {"deletions": 0, "fulfilled": 0, "expired": 0, "notices": 0, "digest": 0, "failed": 0}
    handlers: list[tuple[str, str]] = [(DELETION, "deletions"), (FULFIL, "fulfilled"), (UNVERIFIED, "expired"),
                                       (NOTICE, "notices")]
    deferred = 0
    for queue, name in handlers:
        for work in repo.due_work(queue, until=now, now=now, limit=WORK_PER_RUN):
            if not dry_run and out_of_time():
                deferred += 1
                continue
            if dry_run:
                counts[name] += 1
                continue
            try:
                if _run_work(container, queue, work.request_id, now=now):
                    counts[name] += 1
            except Exception as error:  # one failing request must not stop the others; retried next run
                counts["failed"] += 1
                logger.warning("scheduled request work failed",
                               extra={"request_id": work.request_id, "queue": queue,
                                      "error_type": type(error).__name__})
    if deferred:
        counts["deferred"] = deferred
    elif not out_of_time():
        counts["digest"] = _digest(container, now=now, dry_run=dry_run)
    logger.info("scheduled request work", extra={"dry_run": dry_run, **counts})
    return counts


def _run_work(container: Container, queue: str, request_id: str, *, now: int) -> bool:
    repo = requests_repository(container)
    request = repo.get(request_id, now=now)
    if request is None:
        return False
    if not request.is_open:  # stale marker: remove it
        _drop_marker(container, request, queue)
        return False
    if queue == UNVERIFIED:
        if request.status is not Status.UNVERIFIED:
            _drop_marker(container, request, queue)
            return False
        _move(container, request, Status.EXPIRED, now=now, actor="system:scheduler",
              reason="not verified within 7 days", done_work=[UNVERIFIED])
        return True
    if queue == NOTICE:
        return send_extension_notice(container, request, now=now).extension_notice_sent
    if queue == DELETION:
        return execute_deletion(container, request, now=now).status is Status.COMPLETED
    return fulfil(container, request, now=now, inline=False) is not request


def _drop_marker(container: Container, request: PrivacyRequest, queue: str) -> None:
    requests_repository(container).drop_work(request.request_id, queue)


def _digest(container: Container, *, now: int, dry_run: bool) -> int:
    """At most once a day: the requests due within 7 days, or overdue, mailed to the operator (ids only)."""
    from chalicelib.mail import templates
    from chalicelib.mail.outbound import send_email

    repo = requests_repository(container)
    due = repo.open_requests(now=now, due_before=now + 7 * DAY, limit=200)
    due = [request for request in due if request.status is not Status.UNVERIFIED]
    if not due or dry_run:
        return 1 if due else 0
    day = iso(now)[:10]
    if not repo.once(f"digest#{day}", expires_at=now + 2 * DAY):
        return 0
    subject, text = templates.render("digest", requests=due, now=now)
    send_email(container, to=container.settings.operator_email, subject=subject, text=text, kind="digest")
    return 1

