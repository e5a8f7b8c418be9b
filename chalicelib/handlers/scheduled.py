"""The scheduled job: one Chalice schedule, every 15 minutes (retention, request work, mail not yet ingested).

Dry run when RETENTION_DRY_RUN is set, or when the event carries `"dry_run": true` (top level or in `detail`,
e.g. from `make tick DRY_RUN=1`).  Returns the run report.
"""

from __future__ import annotations

from typing import Any

from chalice.app import Blueprint, CloudWatchEvent, Rate

bp = Blueprint(__name__)

SAFETY_MARGIN_SECONDS = 20.0


def _dry_run(event: dict[str, Any]) -> bool | None:
    detail = event.get("detail") if isinstance(event.get("detail"), dict) else {}
    value = event.get("dry_run", (detail or {}).get("dry_run"))
    return True if value is True or str(value).lower() in ("1", "true", "yes") else None


def _budget(context: Any) -> float:
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    if callable(remaining):
        return max(5.0, float(remaining()) / 1000 - SAFETY_MARGIN_SECONDS)
    from chalicelib.services.retention_run import DEFAULT_BUDGET_SECONDS

    return DEFAULT_BUDGET_SECONDS


@bp.schedule(Rate(15, unit=Rate.MINUTES), name="scheduled_job")
def scheduled_job(event: CloudWatchEvent) -> dict[str, Any]:
    from chalicelib.container import get_container
    from chalicelib.services.retention_run import report_summary, run_scheduled_job

    report = run_scheduled_job(get_container(), dry_run=_dry_run(event.to_dict()),
                               budget_seconds=_budget(event.context))
    return report_summary(report)
