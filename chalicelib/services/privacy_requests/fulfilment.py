"""Fulfilling a request by its type: the export, the erasure after its grace period, the opt-out, the correction."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalicelib.domain.privacy_requests import Channel, PrivacyRequest, RequestType, Status
from chalicelib.domain.retention import DAY
from chalicelib.observability import count, logger
from chalicelib.services.privacy_requests.notices import notify_subject, open_email
from chalicelib.services.privacy_requests.tokens import link, new_token
from chalicelib.services.privacy_requests.transitions import DELETION, FULFIL, move
from chalicelib.storage.privacy_requests import Token, WorkItem

if TYPE_CHECKING:
    from chalicelib.services.ports import RightsPorts

INLINE_EXPORT_ITEMS = 200  # exports of subjects with more items than this are produced by the scheduled job
GUARDIAN_CONFIRMED = "guardian_confirmed_at"  # in params: the operator confirmed a parent's/guardian's authority

def fulfil_safely(ports: RightsPorts, request: PrivacyRequest, *, now: int) -> PrivacyRequest:
    """Fulfil inline where possible; a failure leaves the queued work for the scheduled job (never lost)."""
    try:
        return fulfil(ports, request, now=now, inline=True)
    except Exception as error:  # the work marker stays: the scheduled job retries
        logger.warning("fulfilment deferred", extra={"request_id": request.request_id,
                                                     "error_type": type(error).__name__})
        return ports.privacy_requests.get(request.request_id, now=now) or request


def fulfil(ports: RightsPorts, request: PrivacyRequest, *, now: int, inline: bool) -> PrivacyRequest:
    """Carry a pending (or resumed) request forward according to its type."""
    if request.type is RequestType.ACCESS:
        return _fulfil_access(ports, request, now=now, inline=inline)
    if request.type is RequestType.DELETION:
        return _fulfil_deletion(ports, request, now=now)
    if request.type is RequestType.OPT_OUT:
        return _fulfil_opt_out(ports, request, now=now)
    if request.type is RequestType.CORRECTION:
        from chalicelib.services.privacy_requests.correction import fulfil_correction  # not at cold start

        return fulfil_correction(ports, request, now=now)
    from chalicelib.services.privacy_requests.restriction import fulfil_objection, fulfil_restriction

    if request.type is RequestType.RESTRICTION:
        return fulfil_restriction(ports, request, now=now)
    return fulfil_objection(ports, request, now=now)


def _subject_is_small(ports: RightsPorts, subject: str, *, now: int) -> bool:
    return not ports.subject_data.has_more_than(subject, INLINE_EXPORT_ITEMS, now=now)


def _fulfil_access(ports: RightsPorts, request: PrivacyRequest, *, now: int, inline: bool) -> PrivacyRequest:
    from chalicelib.services.export_subject import export_subject

    if inline and not _subject_is_small(ports, request.subject, now=now):
        logger.info("export deferred to the scheduled job", extra={"request_id": request.request_id})
        return request
    if request.status is Status.PENDING:
        request = move(ports, request, Status.IN_PROGRESS, now=now, actor="system", reason="export started")
    result = export_subject(ports, subject=request.subject, request_id=request.request_id, now=now)
    ports.privacy_requests.index_export(request, [result.json_key, result.html_key], at=now)
    export = {"json_key": result.json_key, "html_key": result.html_key, "expires_at": result.expires_at,
              "records": result.records, "schema_version": result.schema_version}
    tokens: list[Token] = []
    download_url = None
    if request.channel is not Channel.ACCOUNT:
        token, stored = new_token(ports, "DOWNLOAD", request.request_id, result.expires_at)
        tokens.append(stored)
        download_url = link(ports, "/privacy-requests/download", token)
    done = move(ports, request, Status.COMPLETED, now=now, actor="system", reason="export produced",
                 done_work=[FULFIL], tokens=tokens, details={"records": result.records},
                 result={**request.result, "export": export})
    count("PrivacyExportProduced")
    if download_url:
        notify_subject(ports, done, "export_ready", download_url=download_url)
    return done


def _fulfil_deletion(ports: RightsPorts, request: PrivacyRequest, *, now: int) -> PrivacyRequest:
    if request.child and request.status is Status.PENDING and GUARDIAN_CONFIRMED not in request.params:
        # a child's data is erased only once the operator confirmed the parent's or guardian's authority
        # (`cli guardian confirm`, which queues the work again); until then nothing is scheduled or erased
        ports.privacy_requests.drop_work(request.request_id, FULFIL)
        return request
    # An account the store deleted (channel `store`) cannot be restored by the subject: nothing to wait for.
    grace = 0 if request.channel is Channel.STORE else ports.settings.deletion_grace_days * DAY
    if request.status is Status.PENDING and grace > 0:
        execute_after = now + grace
        return move(ports, request, Status.SCHEDULED, now=now, actor="system",
                     reason=f"deletion scheduled after a {ports.settings.deletion_grace_days}-day grace period",
                     done_work=[FULFIL], add_work=[WorkItem(DELETION, request.request_id, execute_after)],
                     execute_after=execute_after)
    if request.status is Status.SCHEDULED and request.execute_after and request.execute_after > now:
        return request
    return execute_deletion(ports, request, now=now)


def execute_deletion(ports: RightsPorts, request: PrivacyRequest, *, now: int) -> PrivacyRequest:
    """Run (or resume) the erasure of a deletion request, then complete it with its receipt."""
    from chalicelib.services.erase_subject import RECEIPT_RETRYING, erase_subject

    if request.status in (Status.PENDING, Status.SCHEDULED):
        request = move(ports, request, Status.IN_PROGRESS, now=now, actor="system:scheduler",
                        reason="erasure started")
    from chalicelib.services.processor_propagation import PROCESSORS

    email = open_email(ports, request)
    receipt = erase_subject(ports, request=request, email=email, now=now)
    request = ports.privacy_requests.get(request.request_id, now=now) or request
    # The processors not yet final are the scheduled job's from now on (processor_propagation.run_propagation).
    open_processors = [p for p in receipt.get("processors", []) if p["status"] not in ("acknowledged", "failed")]
    # ... and so is a receipt SES refused (sent again by the same job, before any final update).
    later = bool(open_processors) or receipt.get("mail") == RECEIPT_RETRYING
    done = move(ports, request, Status.COMPLETED, now=now, actor="system", reason="erasure completed",
                 done_work=[DELETION, FULFIL], details={"receipt": receipt},
                 add_work=[WorkItem(PROCESSORS, request.request_id, now)] if later else [],
                 result={**request.result, "receipt": receipt})
    count("PrivacyErasureCompleted")
    return done


def _fulfil_opt_out(ports: RightsPorts, request: PrivacyRequest, *, now: int) -> PrivacyRequest:
    from chalicelib.services.marketing import set_marketing_preference

    set_marketing_preference(ports, subject=request.subject, customer_id=request.customer_id,
                             email_marketing=False, source="privacy_request", at=now,
                             proof={"request_id": request.request_id}, email=open_email(ports, request))
    return move(ports, request, Status.COMPLETED, now=now, actor="system",
                 reason="marketing turned off", done_work=[FULFIL], result={**request.result, "marketing": False})


