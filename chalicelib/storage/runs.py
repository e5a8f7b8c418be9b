"""Storage for the scheduled job: the lease, run reports, per-item error records, alert markers, and the retention
work found through the sparse `due_index`.

Items (no personal data in any of them):
- lease        `LEASE#<name>` / `LEASE`: holder and `lease_until`; taken with a conditional write (free, expired, or
               already ours), so two runs never work at once; it expires by itself if a run dies.
- run report   `RUNS#<yyyymmdd>` / `<started epoch>#<run id>` (category run_report): counts per category and
               action, errors, duration, brake and dry-run flags.
- error record `RUNERRORS#<yyyymmdd>` / `<run id>#<pk>#<sk>` (category run_report): one per item that failed.
- alert marker `ALERT#<kind>` / `<yyyymmdd>` (category rate_limit): the operator is alerted once a day per kind.

Retention work (`DueStore`): `due_keys` queries `due_pk = DUE#<category> AND due_sk < <now + 1>` (KEYS_ONLY), page
by page; `fetch` reads the items by key (BatchGetItem, consistent, *including* items whose TTL has passed: TTL is
only the safety net and the run must still act on them); `apply` deletes or anonymises each item with a write
conditioned on the item still having the due key it was found under (an item refreshed meanwhile is skipped, never
deleted); `park` moves a failing item's due key later so it cannot block or loop the run.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from chalicelib.domain.retention import Category, RetentionPolicy
from chalicelib.storage.mail import day_of
from chalicelib.storage.subject_items import DUE_PREFIX, due_attributes, retention_attributes
from chalicelib.storage.table import DUE_INDEX, ConditionFailed, DynamoTable

Outcome = Literal["done", "skipped", "error"]


# -- value types ----------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class DueKey:
    pk: str
    sk: str
    due_pk: str
    due_sk: str

    @property
    def category(self) -> str:
        return self.due_pk.removeprefix(DUE_PREFIX)


@dataclass(frozen=True)
class DueRecord:
    pk: str
    sk: str
    due_pk: str | None
    due_sk: str | None
    category: str | None
    data: dict[str, Any]
    s3_objects: list[tuple[str | None, str]]  # (bucket or None for the exports bucket, key)
    attempts: int = 0


@dataclass(frozen=True)
class Delete:
    pk: str
    sk: str
    due_sk: str


@dataclass(frozen=True)
class Anonymise:
    """Replace the item's data by `data` (personal fields removed) and re-categorise it `anonymised_record`."""

    pk: str
    sk: str
    due_sk: str
    data: dict[str, Any]
    now: int
    until: int | None = None  # kept as an anonymised record until then (default: that category's period from now)


Action = Delete | Anonymise


@dataclass
class RunReport:
    run_id: str
    started_at: int
    finished_at: int = 0
    dry_run: bool = False
    status: str = "running"  # completed | braked | skipped_locked | partial
    counts: dict[str, dict[str, int]] = field(default_factory=dict)  # category -> action -> n
    errors: list[dict[str, Any]] = field(default_factory=list)
    requests: dict[str, int] = field(default_factory=dict)
    mail: dict[str, int] = field(default_factory=dict)
    brake: dict[str, Any] | None = None
    duration_ms: int = 0
    deferred: list[str] = field(default_factory=list)  # steps the time budget left for the next run
    retention_changes: dict[str, dict[str, Any]] = field(default_factory=dict)  # category -> what a change did
    processors: dict[str, int] = field(default_factory=dict)  # the propagation of erasures to the processors

    def add(self, category: str, action: str, n: int = 1) -> None:
        per = self.counts.setdefault(category, {})
        per[action] = per.get(action, 0) + n

    def as_dict(self) -> dict[str, Any]:
        return {"run_id": self.run_id, "started_at": self.started_at, "finished_at": self.finished_at,
                "dry_run": self.dry_run, "status": self.status, "counts": self.counts, "errors": self.errors,
                "requests": self.requests, "mail": self.mail, "brake": self.brake, "duration_ms": self.duration_ms,
                "deferred": self.deferred, "retention_changes": self.retention_changes,
                "processors": self.processors}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RunReport:
        return cls(**{k: data[k] for k in cls.__dataclass_fields__ if k in data})


# -- ports ----------------------------------------------------------------------------------------------------------
class RunStore(Protocol):
    def acquire(self, name: str, holder: str, *, now: int, until: int) -> bool: ...

    def release(self, name: str, holder: str) -> None: ...

    def save_report(self, report: RunReport) -> None: ...

    def reports(self, day: str, *, now: int) -> list[RunReport]: ...

    def record_error(self, run_id: str, *, at: int, pk: str, sk: str, category: str, error: str,
                     attempts: int) -> None: ...

    def errors(self, day: str, *, now: int) -> list[dict[str, Any]]: ...

    def first_alert(self, kind: str, *, now: int) -> bool:
        """True the first time `kind` is alerted today (marks it)."""
        ...

    def retention_state(self) -> dict[str, Any] | None:
        """The retention each category's held items were put on, and any change in progress (None: never saved)."""
        ...

    def save_retention_state(self, state: dict[str, Any], *, now: int) -> None: ...


class DueStore(Protocol):
    def due_keys(self, category: str, *, now: int, limit: int,
                 cursor: dict[str, Any] | None = None) -> tuple[list[DueKey], dict[str, Any] | None]: ...

    def fetch(self, keys: list[DueKey]) -> dict[tuple[str, str], DueRecord]: ...

    def apply(self, actions: list[Action]) -> list[Outcome]: ...

    def park(self, key: DueKey, *, retry_at: int, attempts: int) -> None: ...

    def approximate_size(self) -> int: ...

    def walk(self, category: str, *, limit: int,
             cursor: dict[str, Any] | None = None) -> tuple[list[DueKey], dict[str, Any] | None]:
        """Every due key of the category, due or not (a retention change walks them all, page by page)."""
        ...

    def redue(self, key: DueKey, *, shift: int, since: int, marker: str) -> Outcome:
        """Move the item's due date and expiry `shift` seconds earlier, once (`marker`), unless it was written or
        updated at or after `since` (then it already has the new retention) or its due key changed."""
        ...


def shifted_due_sk(due_sk: str, shift: int) -> str:
    due, _, rest = due_sk.partition("#")
    return f"{max(0, int(due) - shift):010d}#{rest}"


def iter_due(store: DueStore, category: str, *, now: int, page: int) -> Iterator[DueKey]:
    cursor: dict[str, Any] | None = None
    while True:
        keys, cursor = store.due_keys(category, now=now, limit=page, cursor=cursor)
        yield from keys
        if not cursor:
            return


def parked_due_sk(key: DueKey, retry_at: int) -> str:
    return f"{retry_at:010d}#{key.pk}#{key.sk}"


def _s3_objects(item: Mapping[str, Any]) -> list[tuple[str | None, str]]:
    """S3 objects that belong to an item: `s3_key` (+ optional `s3_bucket`), top level or in `data`, or a list in
    `s3_objects` of {bucket?, key}."""
    found: list[tuple[str | None, str]] = []
    for source in (item, item.get("data") or {}):
        if not isinstance(source, Mapping):
            continue
        if isinstance(source.get("s3_key"), str):
            found.append((source.get("s3_bucket"), source["s3_key"]))
        for entry in source.get("s3_objects") or []:
            if isinstance(entry, Mapping) and isinstance(entry.get("key"), str):
                found.append((entry.get("bucket"), entry["key"]))
    return list(dict.fromkeys(found))


def to_record(item: Mapping[str, Any]) -> DueRecord:
    data = item.get("data")
    return DueRecord(str(item["pk"]), str(item["sk"]), item.get("due_pk"), item.get("due_sk"), item.get("category"),
                     dict(data) if isinstance(data, Mapping) else {}, _s3_objects(item),
                     int(item.get("retention_attempts", 0)))


# -- DynamoDB -------------------------------------------------------------------------------------------------------
class DynamoRunStore:
    def __init__(self, table: DynamoTable, policy: RetentionPolicy) -> None:
        self.table = table
        self.policy = policy

    def acquire(self, name: str, holder: str, *, now: int, until: int) -> bool:
        try:
            self.table.put({"pk": f"LEASE#{name}", "sk": "LEASE", "holder": holder, "lease_until": until,
                            "acquired_at": now, "expires_at": until + 86_400},
                           condition="attribute_not_exists(pk) OR #u <= :now OR #h = :me",
                           names={"#u": "lease_until", "#h": "holder"}, values={":now": now, ":me": holder})
            return True
        except ConditionFailed:
            return False

    def release(self, name: str, holder: str) -> None:
        with contextlib.suppress(ConditionFailed):
            self.table.delete(f"LEASE#{name}", "LEASE", condition="#h = :me", names={"#h": "holder"},
                              values={":me": holder})

    def save_report(self, report: RunReport) -> None:
        self.table.put({"pk": f"RUNS#{day_of(report.started_at)}", "sk": f"{report.started_at:010d}#{report.run_id}",
                        "category": Category.RUN_REPORT.value, "data": report.as_dict(),
                        "created_at": report.started_at,
                        "expires_at": self.policy.expires_at(Category.RUN_REPORT, report.started_at)})

    def reports(self, day: str, *, now: int) -> list[RunReport]:
        items = self.table.query_all(key_condition="pk = :pk", values={":pk": f"RUNS#{day}"}, now=now,
                                     consistent=True)
        return [RunReport.from_dict(item["data"]) for item in items]

    def record_error(self, run_id: str, *, at: int, pk: str, sk: str, category: str, error: str,
                     attempts: int) -> None:
        self.table.put({"pk": f"RUNERRORS#{day_of(at)}", "sk": f"{run_id}#{pk}#{sk}", "run_id": run_id,
                        "item_pk": pk, "item_sk": sk, "item_category": category, "error": error,
                        "attempts": attempts, "category": Category.RUN_REPORT.value, "created_at": at,
                        "expires_at": self.policy.expires_at(Category.RUN_REPORT, at)})

    def errors(self, day: str, *, now: int) -> list[dict[str, Any]]:
        items = self.table.query_all(key_condition="pk = :pk", values={":pk": f"RUNERRORS#{day}"}, now=now,
                                     consistent=True)
        return [{k: item.get(k) for k in ("run_id", "item_pk", "item_sk", "item_category", "error", "attempts")}
                for item in items]

    def retention_state(self) -> dict[str, Any] | None:
        item = self.table.get("RETENTION#STATE", "STATE", now=0)
        return dict(item["data"]) if item and isinstance(item.get("data"), Mapping) else None

    def save_retention_state(self, state: dict[str, Any], *, now: int) -> None:
        self.table.put({"pk": "RETENTION#STATE", "sk": "STATE", "category": Category.RUN_REPORT.value,
                        "data": state, "updated_at": now,
                        "expires_at": self.policy.expires_at(Category.RUN_REPORT, now)})

    def first_alert(self, kind: str, *, now: int) -> bool:
        try:
            self.table.put({"pk": f"ALERT#{kind}", "sk": day_of(now), "created_at": now,
                            "expires_at": self.policy.expires_at(Category.RATE_LIMIT, now)},
                           condition="attribute_not_exists(pk)")
            return True
        except ConditionFailed:
            return False


def anonymised_attributes(policy: RetentionPolicy, action: Anonymise) -> dict[str, Any]:
    """Category, expiry and due keys of the anonymised record an Anonymise action leaves."""
    if action.until is None:
        return retention_attributes(policy, Category.ANONYMISED_RECORD, action.now, action.pk, action.sk)
    return {"category": Category.ANONYMISED_RECORD.value, "expires_at": action.until,
            **due_attributes(Category.ANONYMISED_RECORD, action.until, action.pk, action.sk)}


class DynamoDueStore:
    def __init__(self, table: DynamoTable, policy: RetentionPolicy) -> None:
        self.table = table
        self.policy = policy

    def due_keys(self, category: str, *, now: int, limit: int,
                 cursor: dict[str, Any] | None = None) -> tuple[list[DueKey], dict[str, Any] | None]:
        # The expiry filter must not hide due items: their TTL may have passed already.
        page = self.table.query_page(index=DUE_INDEX, key_condition="due_pk = :p AND due_sk < :upper",
                                     values={":p": f"{DUE_PREFIX}{category}", ":upper": f"{now + 1:010d}"}, now=now,
                                     limit=limit, cursor=cursor, include_expired=True)
        keys = [DueKey(str(item["pk"]), str(item["sk"]), str(item["due_pk"]), str(item["due_sk"]))
                for item in page.items]
        return keys, page.cursor

    def fetch(self, keys: list[DueKey]) -> dict[tuple[str, str], DueRecord]:
        found = self.table.batch_get([(k.pk, k.sk) for k in keys], now=None)  # expired ones too
        return {key: to_record(item) for key, item in found.items()}

    def apply(self, actions: list[Action]) -> list[Outcome]:
        """One conditional write per item (not a transaction: items are independent, a transaction costs twice the
        write capacity, and one failing condition would cancel the whole batch)."""
        return [self._one(action) for action in actions]

    def park(self, key: DueKey, *, retry_at: int, attempts: int) -> None:
        with contextlib.suppress(ConditionFailed):
            self.table.update(key.pk, key.sk, expression="SET due_sk = :new, retention_attempts = :n",
                              condition="due_sk = :old",
                              values={":new": parked_due_sk(key, retry_at), ":n": attempts, ":old": key.due_sk})

    def approximate_size(self) -> int:
        return self.table.item_count()

    def walk(self, category: str, *, limit: int,
             cursor: dict[str, Any] | None = None) -> tuple[list[DueKey], dict[str, Any] | None]:
        return self.due_keys(category, now=9_999_999_998, limit=limit, cursor=cursor)

    def redue(self, key: DueKey, *, shift: int, since: int, marker: str) -> Outcome:
        try:
            self.table.update(
                key.pk, key.sk, expression="SET due_sk = :new, expires_at = expires_at - :shift, #m = :m",
                condition=("due_sk = :old AND (attribute_not_exists(#m) OR #m <> :m) AND "
                           "(attribute_not_exists(created_at) OR created_at < :since) AND "
                           "(attribute_not_exists(updated_at) OR updated_at < :since)"),
                names={"#m": "retention_change"},
                values={":new": shifted_due_sk(key.due_sk, shift), ":shift": shift, ":m": marker,
                        ":old": key.due_sk, ":since": since})
            return "done"
        except ConditionFailed:
            return "skipped"
        except Exception:  # one bad item must not stop the others: the caller counts it; the next run retries
            return "error"

    # -- helpers --------------------------------------------------------------------------------------------------
    def _one(self, action: Action) -> Outcome:
        try:
            if isinstance(action, Delete):
                self.table.delete(action.pk, action.sk, condition="due_sk = :d", values={":d": action.due_sk})
            else:
                expression, values = self._anonymise_update(action)
                self.table.update(action.pk, action.sk, expression=expression, values=values,
                                  names=ANONYMISE_NAMES, condition="due_sk = :d")
            return "done"
        except ConditionFailed:
            return "skipped"
        except Exception:  # one bad item must not stop the others: the caller records and parks it
            return "error"

    def _anonymise_update(self, action: Anonymise) -> tuple[str, dict[str, Any]]:
        attrs = anonymised_attributes(self.policy, action)
        expression = ("SET #data = :data, #cat = :cat, expires_at = :exp, due_pk = :dpk, due_sk = :dsk, "
                      "updated_at = :now, anonymised_at = :now REMOVE sealed, subject_pk, subject_sk, "
                      "retention_attempts")
        values = {":data": action.data, ":cat": attrs["category"], ":exp": attrs["expires_at"],
                  ":dpk": attrs["due_pk"], ":dsk": attrs["due_sk"], ":now": action.now, ":d": action.due_sk}
        return expression, values


ANONYMISE_NAMES = {"#data": "data", "#cat": "category"}


# -- in-memory twins (contract tests run the same suite against these and DynamoDB) ---------------------------------


