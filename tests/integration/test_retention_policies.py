"""Retention is enforced as each store's policy says: every store category of each of the three files, when due
and not before, with the action its file gives."""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib.domain.retention import STORE_CATEGORIES
from tests.conftest import NOW
from tests.fakes.retention import raw_item, seed
from tests.helpers import POLICIES, retention

CASES = [(name, rule) for name in POLICIES for rule in retention(name=name).rules()
         if rule.category in STORE_CATEGORIES]


@pytest.mark.parametrize(("name", "rule"), CASES, ids=[f"{n}-{r.category.value}" for n, r in CASES])
def test_each_store_category_is_enforced_as_its_policy_says(container: Any, clock: Any, table_items: Any,
                                                           name: str, rule: Any) -> None:
    from chalicelib.services.retention_run import run_scheduled_job
    from tests.helpers import store_policy

    container.override(store_policy=store_policy(name))
    assert container.policy.rule(rule.category).days == rule.days
    ((pk, _),) = seed(container, rule.category)
    clock.set(NOW + rule.seconds - 1)
    run_scheduled_job(container)
    assert raw_item(table_items, pk)["category"] == rule.category.value
    clock.set(NOW + rule.seconds)
    report = run_scheduled_job(container)
    item = raw_item(table_items, pk)
    if rule.action == "delete":
        assert item is None and report.counts[rule.category.value]["deleted"] == 1
    else:
        assert item is not None and item["category"] == "anonymised_record" and "sealed" not in item
