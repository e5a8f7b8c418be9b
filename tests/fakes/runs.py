"""In-memory twin(s) of `chalicelib.storage.runs`: tests only."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from chalicelib.domain.retention import RetentionPolicy
from chalicelib.storage.mail import day_of
from chalicelib.storage.runs import (
    DUE_PREFIX,
    Action,
    Delete,
    DueKey,
    DueRecord,
    Outcome,
    RunReport,
    anonymised_attributes,
    parked_due_sk,
    shifted_due_sk,
    to_record,
)


class InMemoryRunStore:
    def __init__(self) -> None:
        self.leases: dict[str, tuple[str, int]] = {}
        self.saved: dict[str, list[RunReport]] = {}
        self.error_records: dict[str, dict[str, dict[str, Any]]] = {}
        self.alerts: set[tuple[str, str]] = set()
        self.state: dict[str, Any] | None = None

    def acquire(self, name: str, holder: str, *, now: int, until: int) -> bool:
        current = self.leases.get(name)
        if current is None or current[1] <= now or current[0] == holder:
            self.leases[name] = (holder, until)
            return True
        return False

    def release(self, name: str, holder: str) -> None:
        if self.leases.get(name, ("", 0))[0] == holder:
            self.leases.pop(name)

    def save_report(self, report: RunReport) -> None:
        day = self.saved.setdefault(day_of(report.started_at), [])
        day[:] = [r for r in day if r.run_id != report.run_id] + [RunReport.from_dict(report.as_dict())]
        day.sort(key=lambda r: (r.started_at, r.run_id))

    def reports(self, day: str, *, now: int) -> list[RunReport]:
        return list(self.saved.get(day, []))

    def record_error(self, run_id: str, *, at: int, pk: str, sk: str, category: str, error: str,
                     attempts: int) -> None:
        self.error_records.setdefault(day_of(at), {})[f"{run_id}#{pk}#{sk}"] = {
            "run_id": run_id, "item_pk": pk, "item_sk": sk, "item_category": category, "error": error,
            "attempts": attempts}

    def errors(self, day: str, *, now: int) -> list[dict[str, Any]]:
        return [record for _, record in sorted(self.error_records.get(day, {}).items())]

    def first_alert(self, kind: str, *, now: int) -> bool:
        key = (kind, day_of(now))
        if key in self.alerts:
            return False
        self.alerts.add(key)
        return True

    def retention_state(self) -> dict[str, Any] | None:
        return copy.deepcopy(self.state)

    def save_retention_state(self, state: dict[str, Any], *, now: int) -> None:
        self.state = copy.deepcopy(state)


class InMemoryDueStore:
    """Items as plain dicts keyed by (pk, sk); `seed` puts one (tests)."""

    def __init__(self, policy: RetentionPolicy) -> None:
        self.policy = policy
        self.items: dict[tuple[str, str], dict[str, Any]] = {}

    def seed(self, item: Mapping[str, Any]) -> None:
        self.items[(item["pk"], item["sk"])] = dict(item)

    def due_keys(self, category: str, *, now: int, limit: int,
                 cursor: dict[str, Any] | None = None) -> tuple[list[DueKey], dict[str, Any] | None]:
        upper = f"{now + 1:010d}"
        after = cursor["due_sk"] if cursor else ""
        matching = sorted(
            (DueKey(i["pk"], i["sk"], i["due_pk"], i["due_sk"]) for i in self.items.values()
             if i.get("due_pk") == f"{DUE_PREFIX}{category}" and i.get("due_sk", "~") < upper
             and i["due_sk"] > after),
            key=lambda k: k.due_sk)
        page = matching[:limit]
        more = len(matching) > limit
        return page, ({"due_sk": page[-1].due_sk} if more and page else None)

    def fetch(self, keys: list[DueKey]) -> dict[tuple[str, str], DueRecord]:
        return {(k.pk, k.sk): to_record(self.items[(k.pk, k.sk)]) for k in keys if (k.pk, k.sk) in self.items}

    def apply(self, actions: list[Action]) -> list[Outcome]:
        outcomes: list[Outcome] = []
        for action in actions:
            item = self.items.get((action.pk, action.sk))
            if item is None or item.get("due_sk") != action.due_sk:
                outcomes.append("skipped")
                continue
            if isinstance(action, Delete):
                self.items.pop((action.pk, action.sk))
            else:
                for name in ("sealed", "subject_pk", "subject_sk", "retention_attempts"):
                    item.pop(name, None)
                item.update(anonymised_attributes(self.policy, action), data=action.data, updated_at=action.now,
                            anonymised_at=action.now)
            outcomes.append("done")
        return outcomes

    def park(self, key: DueKey, *, retry_at: int, attempts: int) -> None:
        item = self.items.get((key.pk, key.sk))
        if item is not None and item.get("due_sk") == key.due_sk:
            item.update(due_sk=parked_due_sk(key, retry_at), retention_attempts=attempts)

    def approximate_size(self) -> int:
        return len(self.items)

    def walk(self, category: str, *, limit: int,
             cursor: dict[str, Any] | None = None) -> tuple[list[DueKey], dict[str, Any] | None]:
        return self.due_keys(category, now=9_999_999_998, limit=limit, cursor=cursor)

    def redue(self, key: DueKey, *, shift: int, since: int, marker: str) -> Outcome:
        item = self.items.get((key.pk, key.sk))
        if (item is None or item.get("due_sk") != key.due_sk or item.get("retention_change") == marker
                or any(isinstance(item.get(name), int) and item[name] >= since
                       for name in ("created_at", "updated_at"))):
            return "skipped"
        item.update(due_sk=shifted_due_sk(key.due_sk, shift), expires_at=item["expires_at"] - shift,
                    retention_change=marker)
        return "done"

