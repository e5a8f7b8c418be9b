"""A store's policy shortens a retention: items already held move to their new due dates (in bounded, resumable
pages, once), a dry run shows what would happen and changes nothing, and a longer retention leaves held items be."""

from __future__ import annotations

from typing import Any

from chalicelib.domain.retention import DAY, Category
from chalicelib.policy import parse_policy
from tests.conftest import NOW, ROOT
from tests.fakes.retention import raw_item, seed

JETCARDS = (ROOT / "policies" / "jetcards.toml").read_text()
ORDERS_7Y = 'retention = "7 years"\nat_expiry = "anonymise"\ncites = "\'Details of transactions'
CORRESPONDENCE_3Y = 'retention = "3 years"\nat_expiry = "delete"\ncites = "\'If you contact us'


def policy_with(old: str, new: str) -> Any:
    assert old in JETCARDS
    return parse_policy(JETCARDS.replace(old, new, 1), "changed.toml")


def with_policy(container: Any, store_policy: Any) -> Any:
    from chalicelib.container import Container

    changed = Container(container.settings, container.clock, table=container.table, mailer=container.mailer,
                        store_policy=store_policy)
    return changed


def run(container: Any, **kwargs: Any) -> Any:
    from chalicelib.services.retention_run import run_scheduled_job

    return run_scheduled_job(container, **kwargs)


def due_of(item: dict[str, Any]) -> int:
    return int(item["due_sk"][:10])


def test_a_shorter_retention_moves_held_items_and_what_became_due_is_acted_on(
        container: Any, clock: Any, table_items: Any) -> None:
    old = seed(container, Category.ORDER, 3, start=NOW - 3 * 365 * DAY, prefix="OLD")  # 3 years old
    young = seed(container, Category.ORDER, 2, start=NOW - 10 * DAY, prefix="YOUNG")
    first = run(container)  # the held items' retention is remembered: 2555 days
    assert first.retention_changes == {}
    before = {pk: raw_item(table_items, pk) for pk, _ in old + young}

    shorter = with_policy(container, policy_with(ORDERS_7Y, ORDERS_7Y.replace("7 years", "2 years")))
    dry = run(shorter, dry_run=True)
    assert dry.retention_changes["order"] == {"from": 2555, "to": 730, "moved": 5, "skipped": 0, "failed": 0,
                                              "due_now": 3, "complete": True}
    assert {pk: raw_item(table_items, pk) for pk in before} == before  # a dry run changes nothing

    report = run(shorter)
    assert report.retention_changes["order"]["moved"] == 5 and report.retention_changes["order"]["complete"]
    assert report.counts["order"]["anonymised"] == 3  # now past two years: anonymised in the same run
    for pk, _ in young:
        item = raw_item(table_items, pk)
        assert due_of(item) == due_of(before[pk]) - (2555 - 730) * DAY
        assert item["expires_at"] == before[pk]["expires_at"] - (2555 - 730) * DAY
    again = run(shorter)  # nothing moves twice
    assert again.retention_changes == {}
    assert {pk: due_of(raw_item(table_items, pk)) for pk, _ in young} == {
        pk: due_of(before[pk]) - (2555 - 730) * DAY for pk, _ in young}


def test_items_written_after_the_change_keep_the_new_retention(container: Any, clock: Any,
                                                              table_items: Any) -> None:
    run(container)
    shorter = with_policy(container, policy_with(ORDERS_7Y, ORDERS_7Y.replace("7 years", "5 years")))
    clock.set(NOW + 60)
    run(shorter, dry_run=True)
    later = seed(shorter, Category.ORDER, 1, start=NOW + 60, prefix="NEW")  # written under the new policy
    written = raw_item(table_items, later[0][0])
    run(shorter)
    assert raw_item(table_items, later[0][0])["due_sk"] == written["due_sk"]
    assert due_of(written) == NOW + 60 + 1825 * DAY


def test_the_move_goes_in_bounded_pages_and_resumes_where_it_stopped(container: Any, clock: Any,
                                                                    table_items: Any) -> None:
    from chalicelib.services.retention_changes import apply_retention_changes
    from chalicelib.storage.runs import RunReport

    keys = seed(container, Category.CORRESPONDENCE, 7, start=NOW - 100 * DAY)
    run(container)
    settings = container.settings.model_copy(update={"retention_batch_size": 3})
    shorter = with_policy(container, policy_with(CORRESPONDENCE_3Y, CORRESPONDENCE_3Y.replace("3 years",
                                                                                               "1 year")))
    shorter.settings = settings
    calls = {"n": 0}

    def after_one_page() -> bool:
        calls["n"] += 1
        return calls["n"] > 1

    first = RunReport("r1", NOW)
    apply_retention_changes(shorter, first, now=NOW, dry_run=False, out_of_time=after_one_page)
    assert first.retention_changes["correspondence"]["moved"] == 3
    assert not first.retention_changes["correspondence"]["complete"]
    state = shorter.run_store.retention_state()
    assert state["correspondence"]["cursor"] and state["correspondence"]["to"] == 365
    second = RunReport("r2", NOW)
    apply_retention_changes(shorter, second, now=NOW, dry_run=False, out_of_time=lambda: False)
    assert second.retention_changes["correspondence"]["moved"] == 4
    assert second.retention_changes["correspondence"]["complete"]
    moved = [due_of(raw_item(table_items, pk)) for pk, _ in keys]
    assert moved == [NOW - 100 * DAY + 365 * DAY] * 7
    assert shorter.run_store.retention_state()["correspondence"] == {"days": 365}


def test_a_longer_retention_leaves_held_items_on_their_dates(container: Any, clock: Any, table_items: Any) -> None:
    ((pk, _),) = seed(container, Category.CORRESPONDENCE, 1, start=NOW - DAY)
    run(container)
    before = raw_item(table_items, pk)
    longer = with_policy(container, policy_with(CORRESPONDENCE_3Y, CORRESPONDENCE_3Y.replace("3 years",
                                                                                              "5 years")))
    report = run(longer)
    assert report.retention_changes["correspondence"] == {"from": 1095, "to": 1825, "lengthened": True}
    assert raw_item(table_items, pk)["due_sk"] == before["due_sk"]
    assert longer.run_store.retention_state()["correspondence"] == {"days": 1825}
