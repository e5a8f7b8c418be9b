"""The scheduled job's retention (moto): each category with the clock moved, the brake, dry run, batching and
resumption, per-item errors, the lease, run reports, and work that does not grow with the table."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from chalicelib.domain.retention import Category
from tests.conftest import NOW
from tests.fakes.retention import raw_item, seed
from tests.fakes.subjects import sent_mail
from tests.helpers import retention


@pytest.fixture
def make_container(aws: dict[str, str], clock: Any) -> Iterator[Any]:
    """A container with some settings overridden (installed for handlers)."""
    from chalicelib.container import Container, set_container
    from chalicelib.settings import get_settings

    def build(**overrides: Any) -> Any:
        built = Container(get_settings().model_copy(update=overrides), clock)
        set_container(built)
        return built

    yield build
    set_container(None)


def run(container: Any, **kwargs: Any) -> Any:
    from chalicelib.services.retention_run import run_scheduled_job

    return run_scheduled_job(container, **kwargs)


# -- each category -------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("rule", retention().rules(), ids=lambda r: r.category.value)
def test_each_category_is_enforced_when_due_and_not_before(container: Any, clock: Any, table_items: Any,
                                                           rule: Any) -> None:
    ((pk, _),) = seed(container, rule.category)
    clock.set(NOW + rule.seconds - 1)
    early = run(container)
    assert raw_item(table_items, pk)["category"] == rule.category.value
    assert rule.category.value not in early.counts
    clock.set(NOW + rule.seconds)
    report = run(container)
    item = raw_item(table_items, pk)
    if rule.action == "delete":
        assert item is None
        assert report.counts[rule.category.value]["deleted"] == 1
    else:
        assert report.counts[rule.category.value]["anonymised"] == 1
        assert item is not None and item["category"] == "anonymised_record"
        assert "sealed" not in item and "subject_pk" not in item
        assert item["data"] == {"total": "10.00"}  # linking identifiers cleared
        anonymised = container.policy.rule(Category.ANONYMISED_RECORD)
        assert item["due_pk"] == "DUE#anonymised_record"
        assert item["expires_at"] == NOW + rule.seconds + anonymised.seconds
        clock.set(item["expires_at"])
        run(container)
        assert raw_item(table_items, pk) is None  # and the anonymised record goes at its own end


def test_items_whose_ttl_passed_are_still_deleted_by_the_run(container: Any, clock: Any, table_items: Any) -> None:
    """TTL is only the safety net: DynamoDB deletes expired items within days, moto never."""
    ((pk, _),) = seed(container, Category.ANALYTICS)
    clock.set(NOW + 400 * 86_400)
    run(container, dry_run=False)
    assert raw_item(table_items, pk) is None


def test_s3_objects_that_belong_to_an_item_are_deleted_with_it(container: Any, clock: Any) -> None:
    from chalicelib import aws

    bucket = container.settings.exports_bucket
    aws.s3().put_object(Bucket=bucket, Key="exports/x/export.json", Body=b"{}")
    seed(container, Category.EXPORT, s3_objects=[{"key": "exports/x/export.json"}])
    clock.set(NOW + 7 * 86_400)
    report = run(container)
    assert report.counts["export"]["deleted"] == 1
    assert aws.s3().list_objects_v2(Bucket=bucket).get("KeyCount", 0) == 0


def test_a_produced_export_is_deleted_when_due_without_listing_the_bucket(container: Any, clock: Any) -> None:
    from chalicelib import aws
    from chalicelib.domain import privacy_requests as rules
    from chalicelib.domain.privacy_requests import Channel, Regime, RequestType

    bucket = container.settings.exports_bucket
    for key in ("exports/s/r/export.json", "exports/s/r/export.html"):
        aws.s3().put_object(Bucket=bucket, Key=key, Body=b"x")
    request = rules.new_request(request_id="r", subject="s", request_type=RequestType.ACCESS, channel=Channel.WEB,
                                regime=Regime.GDPR, received_at=NOW, needs_verification=False)
    container.privacy_requests.index_export(request, ["exports/s/r/export.json", "exports/s/r/export.html"],
                                                at=NOW)
    listed: list[str] = []
    aws.s3().meta.events.register("before-call.s3.ListObjectsV2", lambda **_: listed.append("list"))
    clock.set(NOW + 7 * 86_400 - 1)
    run(container)
    assert aws.s3().list_objects_v2(Bucket=bucket).get("KeyCount", 0) == 2
    clock.set(NOW + 7 * 86_400)
    assert run(container, dry_run=True).counts["export"] == {"planned_delete": 1}
    assert run(container).counts["export"]["deleted"] == 1
    listed.clear()
    assert aws.s3().list_objects_v2(Bucket=bucket).get("KeyCount", 0) == 0
    assert listed == ["list"]  # only the assertion above listed the bucket: the runs never did


# -- dry run -------------------------------------------------------------------------------------------------------
def test_dry_run_counts_per_category_and_changes_nothing(container: Any, clock: Any, table_items: Any) -> None:
    seed(container, Category.ANALYTICS, 3)
    seed(container, Category.ORDER, 2)
    clock.set(NOW + 2555 * 86_400)
    before = table_items()
    report = run(container, dry_run=True)
    assert report.counts["analytics"] == {"planned_delete": 3}
    assert report.counts["order"] == {"planned_anonymise": 2}
    assert report.dry_run and report.status == "completed"
    assert table_items() == before  # not even a report, lease or receipt was written


def test_dry_run_from_settings(make_container: Any, clock: Any, table_items: Any) -> None:
    container = make_container(retention_dry_run=True)
    ((pk, _),) = seed(container, Category.ANALYTICS)
    clock.set(NOW + 183 * 86_400)
    assert run(container).dry_run
    assert raw_item(table_items, pk) is not None


# -- the brake -----------------------------------------------------------------------------------------------------
def test_brake_on_count_stops_before_acting_and_alerts_the_operator_once(make_container: Any, clock: Any,
                                                                          table_items: Any) -> None:
    container = make_container(retention_brake_max_count=5)
    seed(container, Category.ANALYTICS, 8)
    clock.set(NOW + 183 * 86_400)
    report = run(container)
    assert report.status == "braked"
    assert report.brake["planned"] == ">5"
    assert len([i for i in table_items() if i["pk"].startswith("ITEM#")]) == 8
    (alert,) = sent_mail()
    assert alert["To"] == container.settings.operator_email and "brake" in alert["Subject"].lower()
    again = run(container)
    assert again.status == "braked" and len(sent_mail()) == 1  # once a day


def test_brake_on_share_of_the_table(make_container: Any, clock: Any, table_items: Any) -> None:
    container = make_container(retention_brake_max_share=0.5)
    seed(container, Category.ANALYTICS, 120)
    seed(container, Category.ORDER, 20, prefix="KEEP")
    clock.set(NOW + 183 * 86_400)
    report = run(container)
    assert report.status == "braked"
    assert report.brake["share"] > 0.5
    assert len([i for i in table_items() if i["pk"].startswith("ITEM#")]) == 120


def test_no_brake_below_the_limits(make_container: Any, clock: Any, table_items: Any) -> None:
    container = make_container(retention_brake_max_count=50)
    seed(container, Category.ANALYTICS, 50)
    clock.set(NOW + 183 * 86_400)
    report = run(container)
    assert report.status == "completed" and report.counts["analytics"]["deleted"] == 50
    assert sent_mail() == []


def test_brake_in_dry_run_reports_but_sends_nothing(make_container: Any, clock: Any) -> None:
    container = make_container(retention_brake_max_count=2)
    seed(container, Category.ANALYTICS, 3)
    clock.set(NOW + 183 * 86_400)
    assert run(container, dry_run=True).status == "braked"
    assert sent_mail() == []


# -- batching, resumption, errors ----------------------------------------------------------------------------------
def test_work_is_done_in_bounded_batches(make_container: Any, clock: Any, table_items: Any) -> None:
    from bench.common import RoundTrips

    container = make_container(retention_batch_size=10)
    seed(container, Category.ANALYTICS, 35)
    clock.set(NOW + 183 * 86_400)
    trips = RoundTrips(container.table.client)
    report = run(container)
    assert report.counts["analytics"]["deleted"] == 35
    assert trips.operations.count("DynamoDB_20120810.BatchGetItem") == 4  # ceil(35 / 10) batches
    assert trips.operations.count("DynamoDB_20120810.DeleteItem") == 35 + 1  # + the lease release
    assert not [i for i in table_items() if i["pk"].startswith("ITEM#")]


def test_a_run_out_of_time_leaves_the_rest_due_and_the_next_run_resumes(container: Any, clock: Any,
                                                                        table_items: Any) -> None:
    seed(container, Category.ANALYTICS, 5)
    clock.set(NOW + 183 * 86_400)
    first = run(container, budget_seconds=0)
    assert first.status == "partial" and first.counts["analytics"]["deferred"] == 5
    assert len([i for i in table_items() if i["pk"].startswith("ITEM#")]) == 5
    second = run(container)
    assert second.status == "completed" and second.counts["analytics"]["deleted"] == 5


def test_one_bad_item_is_recorded_and_parked_and_cannot_block_or_loop(container: Any, clock: Any,
                                                                      table_items: Any) -> None:
    from chalicelib.storage.mail import day_of

    seed(container, Category.EXPORT, 3)
    ((bad, _),) = seed(container, Category.EXPORT, 1, prefix="BAD", s3_bucket="no-such-bucket-here",
                       s3_key="exports/x")
    clock.set(NOW + 7 * 86_400)
    report = run(container)
    assert report.counts["export"]["deleted"] == 3 and report.counts["export"]["failed"] == 1
    assert report.errors[0]["pk"] == bad and report.errors[0]["attempts"] == 1
    (record,) = container.run_store.errors(day_of(clock.now()), now=int(clock.now()))
    assert record["item_pk"] == bad and record["item_category"] == "export"
    parked = raw_item(table_items, bad)
    assert parked["retention_attempts"] == 1 and parked["due_sk"] > f"{int(clock.now()):010d}"
    again = run(container)  # the same moment: the parked item is not retried
    assert "export" not in again.counts or "failed" not in again.counts["export"]
    clock.advance(3 * 3600)
    later = run(container)
    assert later.counts["export"]["failed"] == 1
    assert raw_item(table_items, bad)["retention_attempts"] == 2  # backoff grows


def test_item_changed_after_planning_is_skipped_not_deleted(container: Any, clock: Any, table_items: Any,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    from chalicelib.storage.subject_items import retention_attributes

    ((pk, sk),) = seed(container, Category.CUSTOMER_PROFILE)
    clock.set(NOW + 1095 * 86_400)
    real = container.due_store

    class RefreshedMeanwhile:  # the due store, with the item refreshed between its fetch and the action
        def __getattr__(self, name: str) -> Any:
            return getattr(real, name)

        def fetch(self, keys: list[Any]) -> Any:
            records = real.fetch(keys)
            refreshed = retention_attributes(container.policy, Category.CUSTOMER_PROFILE, int(clock.now()), pk, sk)
            container.table.update(pk, sk, expression="SET due_sk = :d, expires_at = :e",
                                   values={":d": refreshed["due_sk"], ":e": refreshed["expires_at"]})
            return records

    container.override(due_store=RefreshedMeanwhile())
    report = run(container)
    assert report.counts["customer_profile"]["skipped"] == 1
    assert raw_item(table_items, pk) is not None


# -- lease, reports, idempotency -----------------------------------------------------------------------------------
def test_a_run_is_skipped_while_another_holds_the_lease(container: Any, clock: Any, table_items: Any) -> None:
    from chalicelib.services.retention_run import LEASE_NAME

    ((pk, _),) = seed(container, Category.ANALYTICS)
    clock.set(NOW + 183 * 86_400)
    now = int(clock.now())
    assert container.run_store.acquire(LEASE_NAME, "other-run", now=now, until=now + 600)
    report = run(container)
    assert report.status == "skipped_locked"
    assert raw_item(table_items, pk) is not None
    clock.advance(601)  # the other run died: its lease expires
    assert run(container).counts["analytics"]["deleted"] == 1


def test_the_lease_is_released_after_a_run(container: Any, table_items: Any) -> None:
    run(container)
    assert not [i for i in table_items() if i["pk"].startswith("LEASE#")]
    assert run(container).status == "completed"


def test_every_run_writes_a_report_under_the_retention_policy(container: Any, clock: Any, table_items: Any) -> None:
    from chalicelib.storage.mail import day_of

    seed(container, Category.ANALYTICS, 2)
    clock.set(NOW + 183 * 86_400)
    report = run(container)
    (stored,) = container.run_store.reports(day_of(report.started_at), now=int(clock.now()))
    assert stored.run_id == report.run_id and stored.counts == {"analytics": {"planned_delete": 2, "deleted": 2}}
    assert stored.status == "completed" and stored.duration_ms >= 0 and "requests" in stored.as_dict()
    (item,) = [i for i in table_items() if i["pk"].startswith("RUNS#")]
    assert item["category"] == "run_report"
    assert item["expires_at"] == report.started_at + 365 * 86_400


def test_running_twice_is_harmless(container: Any, clock: Any) -> None:
    seed(container, Category.ANALYTICS, 3)
    clock.set(NOW + 183 * 86_400)
    assert run(container).counts["analytics"]["deleted"] == 3
    assert "analytics" not in run(container).counts


def test_a_failing_step_does_not_stop_the_others(container: Any) -> None:
    from tests.fakes.faults import FailingAfter

    container.override(privacy_requests=FailingAfter(container.privacy_requests, "due_work", 0))
    report = run(container)
    assert report.status == "partial"
    assert {"step": "requests", "error": "RuntimeError"} in report.errors
    assert "pending" in report.mail  # the mail step still ran


# -- cost does not grow with the table -----------------------------------------------------------------------------
def test_work_grows_with_due_items_not_with_the_table(container: Any, clock: Any) -> None:
    from bench.common import RoundTrips

    def trips_for_run(live: int) -> list[str]:
        seed(container, Category.ORDER, live, prefix=f"LIVE{live}")  # not due for 7 years
        seed(container, Category.ANALYTICS, 20, prefix=f"DUE{live}", start=int(clock.now()) - 183 * 86_400)
        counter = RoundTrips(container.table.client)
        run(container)
        return list(counter.operations)

    small = trips_for_run(10)
    large = trips_for_run(300)
    assert len(small) == len(large)
    assert not [op for op in small + large if op.endswith(".Scan")]


def test_every_step_keeps_to_the_budget_and_the_lease_ends_with_it(container: Any, clock: Any) -> None:
    from chalicelib.services.retention_run import LEASE_MARGIN_SECONDS, LEASE_NAME

    clock.set(NOW)
    report = run(container, budget_seconds=0)
    assert report.deferred == ["late_links", "requests", "processors", "mail"] and report.status == "partial"
    assert container.run_store.acquire(LEASE_NAME, "next run", now=NOW, until=NOW + 60)  # released on the way out
    container.run_store.release(LEASE_NAME, "next run")
    # A run killed at its timeout never releases: its lease ends LEASE_MARGIN_SECONDS after its budget.
    assert container.run_store.acquire(LEASE_NAME, "killed run", now=NOW, until=NOW + 280 + LEASE_MARGIN_SECONDS)
    assert not container.run_store.acquire(LEASE_NAME, "next", now=NOW + 280 + LEASE_MARGIN_SECONDS - 1, until=NOW)
    assert container.run_store.acquire(LEASE_NAME, "next", now=NOW + 280 + LEASE_MARGIN_SECONDS, until=NOW + 900)


def test_request_work_and_mail_stop_when_out_of_time(container: Any) -> None:
    from chalicelib.services.ingest_mail import ingest_pending
    from chalicelib.services.privacy_requests import run_scheduled_request_work, submit_request

    for n in range(3):
        submit_request(container, email=f"p{n}@example.com", request_type="access", channel="web",
                       received_at=NOW - 8 * 86_400, needs_verification=True)
    counts = run_scheduled_request_work(container, now=NOW, dry_run=False, out_of_time=lambda: True)
    assert counts["deferred"] == 3 and counts["expired"] == 0
    assert run_scheduled_request_work(container, now=NOW, dry_run=False)["expired"] == 3
    from chalicelib import aws

    aws.s3().put_object(Bucket=container.settings.inbound_bucket, Key="inbound/m1", Body=b"From: a@b.example\r\n\r\nx")
    assert ingest_pending(container, now=NOW, dry_run=False, out_of_time=lambda: True)["deferred"] == 1
