"""Use case (a step of the scheduled job): a store's policy changed its retention; put what is already held on the
new due dates.

The job remembers, per category, the retention (in days) that the held items were put on (`RunStore`'s retention
state).  When the policy (or RETENTION_OVERRIDES) now says fewer days, every item of that category found in the due
index is moved earlier by the difference (its `due_sk` and its `expires_at`), page by page, within the run's time
budget; the cursor is saved after each page, so the next run resumes where this one stopped.  Each move is one
conditional write: once per change (a marker on the item), and never for an item written or updated after the
change was found (it was given the new retention already).  Items that become due are then handled by the retention
step of the same run, at the cost of what is due.

A longer retention applies to items written from then on: what was collected under a shorter promise is not kept
longer.  A change made again while one is in progress is taken up once that one has finished (the moved items are
never moved back).  A dry run walks the index without writing and reports how many items would move and how many
would become due at once (bounded by RETENTION_BRAKE_MAX_COUNT items per category).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from chalicelib.domain.retention import DAY
from chalicelib.observability import count, logger
from chalicelib.storage.runs import RunReport, shifted_due_sk

if TYPE_CHECKING:
    from chalicelib.services.ports import SchedulerPorts


def apply_retention_changes(ports: SchedulerPorts, report: RunReport, *, now: int, dry_run: bool,
                            out_of_time: Callable[[], bool]) -> None:
    runs = ports.run_store
    saved = runs.retention_state()
    state: dict[str, Any] = dict(saved or {})
    for rule in ports.policy.rules():
        category = rule.category.value
        entry = dict(state.get(category) or {"days": rule.days})
        if "to" not in entry and rule.days < entry["days"]:
            entry = {"days": entry["days"], "from": entry["days"], "to": rule.days, "since": now, "cursor": None}
        elif "to" not in entry and rule.days > entry["days"]:
            report.retention_changes[category] = {"from": entry["days"], "to": rule.days, "lengthened": True}
            entry = {"days": rule.days}
        if "to" in entry:
            def save(progress: dict[str, Any], name: str = category) -> None:
                _save(ports, state, name, progress, now=now, dry_run=dry_run)

            entry = _move(ports, report, category, entry, now=now, dry_run=dry_run, out_of_time=out_of_time,
                          save=save)
        state[category] = entry
    if not dry_run:  # every run: one write, whatever changed, and the state's expiry stays a year ahead
        runs.save_retention_state(state, now=now)


def _save(ports: SchedulerPorts, state: dict[str, Any], category: str, entry: dict[str, Any], *, now: int,
          dry_run: bool) -> None:
    state[category] = entry
    if not dry_run:
        ports.run_store.save_retention_state(state, now=now)


def _move(ports: SchedulerPorts, report: RunReport, category: str, entry: dict[str, Any], *, now: int, dry_run: bool,
          out_of_time: Callable[[], bool], save: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    due = ports.due_store
    shift = (int(entry["from"]) - int(entry["to"])) * DAY
    marker = f"{category}:{entry['from']}->{entry['to']}@{entry['since']}"
    page = min(ports.settings.retention_batch_size, 1000)
    cap = ports.settings.retention_brake_max_count
    summary = report.retention_changes.setdefault(
        category, {"from": entry["from"], "to": entry["to"], "moved": 0, "skipped": 0, "failed": 0, "due_now": 0,
                   "complete": False})
    cursor = entry.get("cursor")
    seen = 0
    while True:
        if out_of_time() or (dry_run and seen >= cap):
            report.status = "partial" if not dry_run else report.status
            return entry
        keys, cursor = due.walk(category, limit=page, cursor=cursor)
        for key in keys:
            seen += 1
            if int(shifted_due_sk(key.due_sk, shift)[:10]) <= now:
                summary["due_now"] += 1
            if dry_run:
                summary["moved"] += 1
                continue
            outcome = due.redue(key, shift=shift, since=int(entry["since"]), marker=marker)
            summary[{"done": "moved", "skipped": "skipped", "error": "failed"}[outcome]] += 1
        if cursor is None:
            summary["complete"] = True
            if not dry_run:
                count("RetentionChangeItemsMoved", summary["moved"])
                logger.info("retention change applied", extra={"category": category, **summary})
            return {"days": entry["to"]}
        entry = {**entry, "cursor": cursor}
        save(entry)
