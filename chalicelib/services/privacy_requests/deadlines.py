"""The scheduled request work: grace periods, queued fulfilments, expiries, extension notices, the daily digest."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from chalicelib.adapters.mailer import OutgoingMail
from chalicelib.domain.clock import iso
from chalicelib.domain.privacy_requests import PrivacyRequest, Status
from chalicelib.domain.retention import DAY
from chalicelib.observability import logger
from chalicelib.services.privacy_requests.fulfilment import execute_deletion, fulfil
from chalicelib.services.privacy_requests.notices import send_extension_notice
from chalicelib.services.privacy_requests.transitions import DELETION, FULFIL, NOTICE, UNVERIFIED, move

if TYPE_CHECKING:
    from chalicelib.services.ports import RightsPorts

WORK_PER_RUN = 25

def run_scheduled_request_work(ports: RightsPorts, *, now: int, dry_run: bool,
                               out_of_time: Callable[[], bool] = lambda: False) -> dict[str, int]:
    """Deletions past their grace period, queued fulfilments, expiry of unverified requests, extension notices and
    the operator's daily digest.  In dry_run it only counts what it would do.  When `out_of_time()` says so, the
    rest stays queued for the next run (counted as `deferred`)."""
    repo = ports.privacy_requests
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
                if _run_work(ports, queue, work.request_id, now=now):
                    counts[name] += 1
            except Exception as error:  # one failing request must not stop the others; retried next run
                counts["failed"] += 1
                logger.warning("scheduled request work failed",
                               extra={"request_id": work.request_id, "queue": queue,
                                      "error_type": type(error).__name__})
    if deferred:
        counts["deferred"] = deferred
    elif not out_of_time():
        counts["digest"] = _digest(ports, now=now, dry_run=dry_run)
    logger.info("scheduled request work", extra={"dry_run": dry_run, **counts})
    return counts


def _run_work(ports: RightsPorts, queue: str, request_id: str, *, now: int) -> bool:
    repo = ports.privacy_requests
    request = repo.get(request_id, now=now)
    if request is None:
        return False
    if not request.is_open:  # stale marker: remove it
        _drop_marker(ports, request, queue)
        return False
    if queue == UNVERIFIED:
        if request.status is not Status.UNVERIFIED:
            _drop_marker(ports, request, queue)
            return False
        move(ports, request, Status.EXPIRED, now=now, actor="system:scheduler",
              reason="not verified within 7 days", done_work=[UNVERIFIED])
        return True
    if queue == NOTICE:
        return send_extension_notice(ports, request, now=now).extension_notice_sent
    if queue == DELETION:
        return execute_deletion(ports, request, now=now).status is Status.COMPLETED
    return fulfil(ports, request, now=now, inline=False) is not request


def _drop_marker(ports: RightsPorts, request: PrivacyRequest, queue: str) -> None:
    ports.privacy_requests.drop_work(request.request_id, queue)


def _digest(ports: RightsPorts, *, now: int, dry_run: bool) -> int:
    """At most once a day: the requests due within 7 days, or overdue, the processors overdue with their
    confirmation of an erasure, and the mail for a person due within 7 days, mailed to the operator (ids only)."""
    from chalicelib.services.processor_propagation import open_processors

    repo = ports.privacy_requests
    due = repo.open_requests(now=now, due_before=now + 7 * DAY, limit=200)
    due = [request for request in due if request.status is not Status.UNVERIFIED]
    late = [entry for entry in open_processors(ports, now=now) if entry.state.overdue(now)]
    mail = ports.mail_store.queue(now=now, due_before=now + 7 * DAY)  # mail for a person, overdue or near due
    if not (due or late or mail) or dry_run:
        return 1 if due or late or mail else 0
    day = iso(now)[:10]
    if not ports.rate_limits.first_time(f"digest#{day}", expires_at=now + 2 * DAY):
        return 0
    from chalicelib.mail import templates  # the mail texts load when a mail is written, not at cold start

    subject_line, text = templates.render("digest", requests=due, processors=late, mail=mail, now=now)
    ports.mailer.send(OutgoingMail(ports.settings.operator_email, subject_line, text, kind="digest"))
    return 1
