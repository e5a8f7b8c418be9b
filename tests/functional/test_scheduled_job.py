"""The scheduled job through chalice.test.Client: registered every 15 minutes, dry run from the event."""

from __future__ import annotations

from typing import Any

from chalicelib.domain.retention import Category
from tests.conftest import EVENTS, NOW
from tests.fakes.inbound_mail import store_raw
from tests.fakes.retention import raw_item, seed


def test_the_schedule_is_every_15_minutes() -> None:
    from app import app

    schedules = [e for e in app.event_sources if e.name == "scheduled_job"]
    assert len(schedules) == 1
    assert schedules[0].schedule_expression.to_string() == "rate(15 minutes)"


def test_a_scheduled_event_runs_all_three_steps(client: Any, container: Any, clock: Any, table_items: Any) -> None:
    ((pk, _),) = seed(container, Category.ANALYTICS, start=NOW - 183 * 86_400)
    store_raw(container, "tick00000001", (EVENTS / "mail" / "other-question.eml").read_bytes())
    event = client.events.generate_cw_event(source="aws.events", detail_type="Scheduled Event", detail={},
                                            resources=[])
    report = client.lambda_.invoke("scheduled_job", event).payload
    assert report["status"] == "completed" and not report["dry_run"]
    assert report["counts"]["analytics"]["deleted"] == 1
    assert "deletions" in report["requests"]
    assert report["mail"]["ingested"] == 1
    assert raw_item(table_items, pk) is None


def test_dry_run_from_the_event_detail(client: Any, container: Any, clock: Any, table_items: Any) -> None:
    ((pk, _),) = seed(container, Category.ANALYTICS)
    clock.set(NOW + 183 * 86_400)
    event = client.events.generate_cw_event(source="local.tick", detail_type="Scheduled Event",
                                            detail={"dry_run": True}, resources=[])
    report = client.lambda_.invoke("scheduled_job", event).payload
    assert report["dry_run"] and report["counts"]["analytics"] == {"planned_delete": 1}
    assert raw_item(table_items, pk) is not None
