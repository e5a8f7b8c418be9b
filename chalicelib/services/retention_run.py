"""Use case: the scheduled job (every 15 minutes) — retention, request work, and mail not yet ingested.

0. Retention changes (`services/retention_changes.py`): a category whose retention the policy shortened has its
   held items moved to their new due dates, in bounded pages, resumable.
1. Retention: for each category of the policy, the items due (`due_index`: `DUE#<category>`, due time <= now; never a
   Scan, so the work grows with the due items, not with the table) are planned first, then deleted or anonymised per
   the policy in bounded batches (RETENTION_BATCH_SIZE), with the S3 objects that belong to them: a produced export is
   an item of category `export` naming its objects, so exports are removed when due at the cost of what is due, never
   by listing the bucket (its lifecycle rule is the safety net for objects no item names).  TTL stays the safety
   net for items.
   Every step runs within the run's time budget (the Lambda's remaining time less a margin): what does not fit
   stays queued for the next run, and the lease expires shortly after the budget, even if the run is killed.
2. Requests: `run_scheduled_request_work` (grace periods, fulfilments, expiries, notices, operator digest).
   Processors: erasures reaching every processor (`processor_propagation.run_propagation`: connector calls with
   backoff, batched e-mails, final updates to the subjects).
3. Mail: anything still in the inbound prefix (a lost or failed notification) is ingested.

Safety:
- dry run (RETENTION_DRY_RUN or `{"dry_run": true}`): plans and counts only; nothing is changed or written;
- anomaly brake: when the planned deletions and anonymisations exceed RETENTION_BRAKE_MAX_COUNT, or (from
  BRAKE_SHARE_MIN_ITEMS planned items on) RETENTION_BRAKE_MAX_SHARE of the table's item count (DescribeTable: one
  call, whatever the size), nothing is acted on and the operator is e-mailed instead (once a day);
- one failing item gets an error record and its due key moved later (backoff), so it cannot block or loop the run;
- a lease item (conditional write with expiry) keeps two runs from working at once; every action is conditioned on
  the due key it was planned from, so a repeated or overlapping run is harmless;
- a run report item per run (counts per category and action, errors, duration; category run_report) and metrics.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from chalicelib.domain.clock import iso
from chalicelib.domain.privacy import anonymise_data
from chalicelib.domain.retention import DAY
from chalicelib.observability import count, logger, metric_name
from chalicelib.services.retention_changes import apply_retention_changes
from chalicelib.storage.runs import (
    Action,
    Anonymise,
    Delete,
    DueKey,
    DueRecord,
    RunReport,
    RunStore,
    iter_due,
)

if TYPE_CHECKING:
    from chalicelib.services.ports import SchedulerPorts

LEASE_NAME = "scheduled_job"
LEASE_MARGIN_SECONDS = 30  # the lease outlives the run's budget by this much: a run killed at its Lambda timeout
#                            (budget + the handler's safety margin) leaves a lease that is gone seconds later
DEFAULT_BUDGET_SECONDS = 280.0  # the function's 300 s timeout less the handler's safety margin
BRAKE_SHARE_MIN_ITEMS = 100  # below this many planned items the share test is meaningless (small tables)
MAX_REPORTED_ERRORS = 20
MAX_BACKOFF = 7 * DAY


class Deadline:
    def __init__(self, seconds: float) -> None:
        self._until = time.monotonic() + seconds

    @property
    def passed(self) -> bool:
        return time.monotonic() >= self._until


# -- the job --------------------------------------------------------------------------------------------------------
def run_scheduled_job(ports: SchedulerPorts, *, dry_run: bool | None = None,
                      budget_seconds: float = DEFAULT_BUDGET_SECONDS) -> RunReport:
    dry = ports.settings.retention_dry_run if dry_run is None else dry_run
    now = ports.now()
    started = time.monotonic()
    deadline = Deadline(budget_seconds)
    report = RunReport(run_id=f"{now:010d}-{uuid.uuid4().hex[:8]}", started_at=now, dry_run=dry)
    runs = ports.run_store
    lease_until = now + int(budget_seconds) + LEASE_MARGIN_SECONDS
    if not dry and not runs.acquire(LEASE_NAME, report.run_id, now=now, until=lease_until):
        report.status = "skipped_locked"
        logger.info("scheduled run skipped: another run holds the lease", extra={"run_id": report.run_id})
        count("ScheduledRunSkipped")
        return report
    try:
        report.status = "completed"
        # Like retention, the change step checks the budget itself (page by page).
        _step(report, "retention_changes", None, lambda: apply_retention_changes(
            ports, report, now=now, dry_run=dry, out_of_time=lambda: deadline.passed))
        # Retention checks the budget itself, batch by batch (what it planned but could not do counts `deferred`).
        _step(report, "retention", None, lambda: enforce_retention(ports, report, now=now, dry_run=dry,
                                                                   deadline=deadline))
        # Before the requests: an erasure executed in this run reaches the payments linked just now.
        _step(report, "late_links", deadline, lambda: _late_links(ports, report, now=now, dry_run=dry,
                                                                  deadline=deadline))
        _step(report, "requests", deadline, lambda: _requests(ports, report, now=now, dry_run=dry,
                                                              deadline=deadline))
        _step(report, "processors", deadline, lambda: _processors(ports, report, now=now, dry_run=dry,
                                                                  deadline=deadline))
        _step(report, "mail", deadline, lambda: _mail(ports, report, now=now, dry_run=dry, deadline=deadline))
    finally:
        report.finished_at = ports.now()
        report.duration_ms = int((time.monotonic() - started) * 1000)
        if not dry:
            _save(runs, report)
            runs.release(LEASE_NAME, report.run_id)
        _emit(report)
    return report


def _step(report: RunReport, name: str, deadline: Deadline | None, work: Callable[[], None]) -> None:
    """Run one step within the run's time budget; a failing step is reported and does not stop the others; a step
    the budget has no room for left is deferred to the next run (everything it would do stays queued)."""
    if deadline is not None and deadline.passed:
        report.status = "partial"
        report.deferred.append(name)
        return
    try:
        work()
    except Exception as error:
        report.status = "partial"
        report.errors.append({"step": name, "error": type(error).__name__})
        logger.warning("scheduled step failed", extra={"run_id": report.run_id, "step": name,
                                                        "error_type": type(error).__name__})


def _requests(ports: SchedulerPorts, report: RunReport, *, now: int, dry_run: bool, deadline: Deadline) -> None:
    from chalicelib.services.privacy_requests import run_scheduled_request_work

    report.requests = dict(run_scheduled_request_work(ports, now=now, dry_run=dry_run,
                                                      out_of_time=lambda: deadline.passed))
    if report.requests.get("deferred"):
        report.status = "partial"


def _processors(ports: SchedulerPorts, report: RunReport, *, now: int, dry_run: bool, deadline: Deadline) -> None:
    """Erasures reaching the processors: connector calls, batched e-mails, final updates (processor_propagation)."""
    from chalicelib.services.processor_propagation import run_propagation

    report.processors = run_propagation(ports, now=now, dry_run=dry_run, out_of_time=lambda: deadline.passed)
    if report.processors.get("deferred"):
        report.status = "partial"


def _mail(ports: SchedulerPorts, report: RunReport, *, now: int, dry_run: bool, deadline: Deadline) -> None:
    from chalicelib.services.ingest_mail import ingest_pending

    report.mail = ingest_pending(ports, now=now, dry_run=dry_run, out_of_time=lambda: deadline.passed)
    if report.mail.get("deferred"):
        report.status = "partial"


def _late_links(ports: SchedulerPorts, report: RunReport, *, now: int, dry_run: bool, deadline: Deadline) -> None:
    """Payments stored before their order, linked now that the order is known (services/late_links.py)."""
    if dry_run:
        return
    from chalicelib.services.late_links import retry_awaiting

    done = retry_awaiting(ports.late_links, ports.storefront_records, now=now, out_of_time=lambda: deadline.passed)
    if any(n for outcome, n in done.items() if outcome != "awaiting"):
        report.add("late_links", "linked", done.get("linked", 0))
        for outcome in ("erased", "gone"):
            if done.get(outcome):
                report.add("late_links", outcome, done[outcome])


def _save(runs: RunStore, report: RunReport) -> None:
    try:
        runs.save_report(report)
    except Exception as error:  # the report is also in the logs and the return value
        logger.warning("run report not saved", extra={"run_id": report.run_id, "error_type": type(error).__name__})


def _emit(report: RunReport) -> None:
    totals: dict[str, int] = {}
    for actions in report.counts.values():
        for action, n in actions.items():
            totals[action] = totals.get(action, 0) + n
    if not report.dry_run:
        for action in ("deleted", "anonymised", "failed", "objects_deleted"):
            count(metric_name("Retention", action), totals.get(action, 0))
        count("ScheduledRun")
    logger.info("scheduled run", extra={"run_id": report.run_id, "status": report.status, "dry_run": report.dry_run,
                                        "totals": totals, "requests": report.requests, "mail": report.mail,
                                        "errors": len(report.errors), "duration_ms": report.duration_ms})


# -- retention ------------------------------------------------------------------------------------------------------
def plan(ports: SchedulerPorts, *, now: int, cap: int) -> tuple[dict[str, list[DueKey]], bool]:
    """Due keys per category, at most `cap` + 1 in all (the second value says whether the cap was passed)."""
    due = ports.due_store
    page = min(ports.settings.retention_batch_size, 1000)
    planned: dict[str, list[DueKey]] = {}
    total = 0
    for rule in ports.policy.rules():
        for key in iter_due(due, rule.category.value, now=now, page=page):
            planned.setdefault(rule.category.value, []).append(key)
            total += 1
            if total > cap:
                return planned, True
    return planned, False


def enforce_retention(ports: SchedulerPorts, report: RunReport, *, now: int, dry_run: bool,
                      deadline: Deadline) -> None:
    settings = ports.settings
    planned, over_cap = plan(ports, now=now, cap=settings.retention_brake_max_count)
    total = sum(len(keys) for keys in planned.values())
    for category, keys in planned.items():
        report.add(category, f"planned_{ports.policy.rule(category).action}", len(keys))
    if total and _brake(ports, report, total=total, over_cap=over_cap, now=now, dry_run=dry_run):
        return
    batch = settings.retention_batch_size
    for category, keys in planned.items():
        for start in range(0, len(keys), batch):
            if dry_run:
                break
            if deadline.passed:  # the rest stays due: the next run resumes with it
                report.status = "partial"
                report.add(category, "deferred", len(keys) - start)
                break
            _act(ports, report, category, keys[start:start + batch], now=now)


def _brake(ports: SchedulerPorts, report: RunReport, *, total: int, over_cap: bool, now: int, dry_run: bool) -> bool:
    settings = ports.settings
    size = ports.due_store.approximate_size()
    share = total / max(size, total, 1)
    too_many = over_cap or total > settings.retention_brake_max_count
    too_large_share = total >= BRAKE_SHARE_MIN_ITEMS and share > settings.retention_brake_max_share
    if not (too_many or too_large_share):
        return False
    report.status = "braked"
    report.brake = {"planned": total if not over_cap else f">{settings.retention_brake_max_count}",
                    "table_items": size, "share": round(share, 4), "max_count": settings.retention_brake_max_count,
                    "max_share": settings.retention_brake_max_share}
    count("RetentionBrake")
    logger.warning("retention brake engaged: nothing deleted", extra={"run_id": report.run_id, **report.brake})
    if not dry_run and ports.run_store.first_alert("retention_brake", now=now):
        _alert_operator(ports, report)
    return True


def _alert_operator(ports: SchedulerPorts, report: RunReport) -> None:
    from chalicelib.adapters.mailer import OutgoingMail

    lines = [f"- {category}: {', '.join(f'{a} {n}' for a, n in sorted(actions.items()))}"
             for category, actions in sorted(report.counts.items())]
    text = ("The scheduled retention run stopped before acting: the planned deletions look anomalous "
            "(a reset clock or a bad retention policy would look like this).\n\n"
            f"Run {report.run_id} at {iso(report.started_at)}\n"
            f"Brake: {report.brake}\n\nPlanned per category:\n" + "\n".join(lines) +
            "\n\nNothing was deleted. Check the clock and RETENTION_OVERRIDES; if the backlog is genuine, raise "
            "RETENTION_BRAKE_MAX_COUNT / RETENTION_BRAKE_MAX_SHARE for one run. This alert is sent once a day.\n")
    try:
        ports.mailer.send(OutgoingMail(ports.settings.operator_email, "[privacy] Retention brake engaged",
                                           text, kind="retention_brake"))
    except Exception as error:
        report.errors.append({"step": "brake_alert", "error": type(error).__name__})


def _act(ports: SchedulerPorts, report: RunReport, category: str, keys: list[DueKey], *, now: int) -> None:
    due = ports.due_store
    try:
        records = due.fetch(keys)
    except Exception as error:
        for key in keys:
            _failed(ports, report, key, None, type(error).__name__, now=now)
        return
    actions = _actions(ports, report, category, keys, records, now=now)
    if not actions:
        return
    try:
        outcomes = due.apply([action for action, _, _ in actions])
    except Exception as error:
        outcomes = ["error"] * len(actions)
        logger.warning("retention batch failed", extra={"run_id": report.run_id, "category": category,
                                                         "error_type": type(error).__name__})
    for (action, key, record), outcome in zip(actions, outcomes, strict=True):
        if outcome == "done":
            report.add(category, "deleted" if isinstance(action, Delete) else "anonymised")
        elif outcome == "skipped":
            report.add(category, "skipped")  # changed between the read and the write: still due or not, later
        else:
            _failed(ports, report, key, record, "apply_failed", now=now)


def _actions(ports: SchedulerPorts, report: RunReport, category: str, keys: list[DueKey],
             records: dict[tuple[str, str], DueRecord], *, now: int) -> list[tuple[Action, DueKey, DueRecord]]:
    rule = ports.policy.rule(category)
    actions: list[tuple[Action, DueKey, DueRecord]] = []
    for key in keys:
        record = records.get((key.pk, key.sk))
        if record is None:
            report.add(category, "gone")  # deleted meanwhile (TTL, erasure): nothing to do
            continue
        if (record.due_pk, record.due_sk) != (key.due_pk, key.due_sk):
            report.add(category, "stale")  # refreshed since it was indexed: it is due later now
            continue
        try:
            actions.append((_action_for(ports, rule.action, record, key, now=now), key, record))
        except Exception as error:
            _failed(ports, report, key, record, type(error).__name__, now=now)
    return actions


def _action_for(ports: SchedulerPorts, action: str, record: DueRecord, key: DueKey, *, now: int) -> Action:
    if action == "delete":
        _delete_objects(ports, record)
        return Delete(record.pk, record.sk, key.due_sk)
    return Anonymise(record.pk, record.sk, key.due_sk, anonymise_data(record.data), now)


def _delete_objects(ports: SchedulerPorts, record: DueRecord) -> None:
    """S3 objects that belong to an item go first: if that fails, the item stays due and is retried."""
    if not record.s3_objects:
        return
    for bucket, key in record.s3_objects:
        ports.exports.delete(key, bucket=bucket)


def _failed(ports: SchedulerPorts, report: RunReport, key: DueKey, record: DueRecord | None, error: str, *,
            now: int) -> None:
    attempts = (record.attempts if record else 0) + 1
    report.add(key.category, "failed")
    if len(report.errors) < MAX_REPORTED_ERRORS:
        report.errors.append({"pk": key.pk, "sk": key.sk, "category": key.category, "error": error,
                              "attempts": attempts})
    logger.warning("retention item failed", extra={"run_id": report.run_id, "category": key.category,
                                                    "error_type": error, "attempts": attempts})
    try:
        ports.run_store.record_error(report.run_id, at=now, pk=key.pk, sk=key.sk, category=key.category,
                                          error=error, attempts=attempts)
        ports.due_store.park(key, retry_at=now + min(3600 * 2 ** attempts, MAX_BACKOFF), attempts=attempts)
    except Exception as park_error:  # the cursor has moved past it: this run cannot loop on it
        logger.warning("retention item not parked", extra={"run_id": report.run_id,
                                                            "error_type": type(park_error).__name__})


def report_summary(report: RunReport) -> dict[str, Any]:
    """What `make tick` prints (and the schedule handler returns)."""
    return report.as_dict()
