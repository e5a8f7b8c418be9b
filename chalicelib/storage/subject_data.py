"""Everything held about one subject, through the `subject_index` (export, erasure, the privacy center, deadlines).

`SubjectDataRepository` pages a subject's items as `SubjectRecord`s (never a Scan: one Query per page, so the cost
follows the subject's data, not the table), erases a batch of them (deletions and anonymised versions, with
BatchWriteItem: unconditional writes, so a rerun after a failure is harmless), and keeps the progress of an erasure
(`REQ#<request id>` / `ERASURE`, optimistic locking on `version`).

An anonymised record is what WooCommerce's eraser leaves of an order: the personal fields replaced by placeholders
(chosen by the caller), linking identifiers cleared, no sealed fields, no subject link, re-categorised
`anonymised_record` and due for deletion at the end of its legal period.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from chalicelib.domain.retention import Category
from chalicelib.storage.attributes import Item
from chalicelib.storage.subject_items import DUE_PREFIX, due_attributes
from chalicelib.storage.subject_keys import subject_pk
from chalicelib.storage.table import SUBJECT_INDEX, DynamoTable

PAGE_ITEMS = 250
ERASURE_SK = "ERASURE"
LINK_ATTRIBUTES = ("sealed", "subject_pk", "subject_sk", "open_pk", "open_sk")


@dataclass(frozen=True)
class SubjectRecord:
    """One item about a subject, as the services see it (the stored item stays inside storage)."""

    pk: str
    sk: str
    kind: str
    ident: str  # the subject link's sort key, e.g. ORDER#000000001234
    category: str | None
    data: dict[str, Any]
    sealed: dict[str, str]
    created_at: int | None
    updated_at: int | None
    expires_at: int | None
    due_at: int | None  # when its retention action is due (its own category's due key), if indexed
    stored: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def of(cls, item: Item) -> SubjectRecord:
        category = item.get("category")
        due_sk, due_pk = item.get("due_sk"), item.get("due_pk")
        due_at = None
        if isinstance(due_sk, str) and due_pk == f"{DUE_PREFIX}{category}" and due_sk[:10].isdigit():
            due_at = int(due_sk[:10])
        return cls(str(item["pk"]), str(item["sk"]), str(item["kind"]), str(item.get("subject_sk", "")),
                   str(category) if category is not None else None, dict(item.get("data") or {}),
                   dict(item.get("sealed") or {}), _int(item.get("created_at")), _int(item.get("updated_at")),
                   _int(item.get("expires_at")), due_at, item)


def _int(value: Any) -> int | None:
    return int(value) if isinstance(value, int | float) else None


@dataclass(frozen=True)
class Anonymisation:
    """Replace `record` by its anonymised version, kept until `legal_end`."""

    record: SubjectRecord
    data: dict[str, Any]  # the plain fields, linking identifiers cleared
    anonymised: dict[str, Any]  # the placeholders of its personal fields
    legal_end: int
    now: int


@dataclass
class ErasureProgress:
    request_id: str
    steps: list[str] = field(default_factory=list)
    deleted: dict[str, int] = field(default_factory=dict)
    anonymised: dict[str, int] = field(default_factory=dict)
    kept: dict[str, dict[str, Any]] = field(default_factory=dict)
    processors: dict[str, bool] = field(default_factory=dict)  # which processors must be told
    exports_deleted: int = 0
    receipt: dict[str, Any] | None = None
    version: int = 0
    # Propagation to the processors (services/processor_propagation.py): per processor its tracking state
    # (domain/processors.ProcessorState.to_data), the sealed notice (the address and identifiers the processors and
    # the final update need, sealed under the request's own notice key, gone once every processor is final) and the
    # outcome of the final update mail.
    tracking: dict[str, dict[str, Any]] = field(default_factory=dict)
    notice: dict[str, str] = field(default_factory=dict)
    final_update: str | None = None

    def to_data(self) -> dict[str, Any]:
        return {"steps": self.steps, "deleted": self.deleted, "anonymised": self.anonymised, "kept": self.kept,
                "processors": self.processors, "exports_deleted": self.exports_deleted, "receipt": self.receipt,
                "tracking": self.tracking, "notice": self.notice, "final_update": self.final_update}

    @classmethod
    def from_data(cls, request_id: str, data: Mapping[str, Any], version: int) -> ErasureProgress:
        return cls(request_id, list(data.get("steps", [])), dict(data.get("deleted", {})),
                   dict(data.get("anonymised", {})), dict(data.get("kept", {})), dict(data.get("processors", {})),
                   int(data.get("exports_deleted", 0)), data.get("receipt"), version,
                   {str(k): dict(v) for k, v in dict(data.get("tracking", {})).items()},
                   {str(k): str(v) for k, v in dict(data.get("notice", {})).items()}, data.get("final_update"))


class SubjectDataRepository(Protocol):
    def records(self, subject: str, *, now: int) -> Iterator[SubjectRecord]:
        """Every live item about the subject (page by page: memory stays bounded by a page)."""
        ...

    def categories(self, subject: str, *, now: int) -> Counter[str]:
        """How many live items of each retention category the subject has."""
        ...

    def has_more_than(self, subject: str, count: int, *, now: int) -> bool: ...

    def order_ids(self, subject: str, *, now: int) -> Iterator[int]:
        """The WooCommerce ids of the subject's orders (a prefix Query: only the order items are read)."""
        ...

    def billing_region(self, subject: str, *, now: int) -> tuple[str, str | None] | None:
        """(country, state) of the subject's billing address: their customer profile, else their latest order."""
        ...

    def erase(self, *, deletions: list[SubjectRecord], anonymisations: list[Anonymisation]) -> int:
        """Delete and anonymise a batch (idempotent writes); returns how many items were written."""
        ...

    def load_progress(self, request_id: str, *, now: int) -> ErasureProgress: ...

    def save_progress(self, progress: ErasureProgress, *, expires_at: int) -> None:
        """Persist with optimistic locking on `version` (bumped); ConditionFailed when another run moved it."""
        ...


def anonymised_item(anonymisation: Anonymisation) -> Item:
    record = anonymisation.record
    kept = {k: v for k, v in record.stored.items() if k not in LINK_ATTRIBUTES}
    return {**kept, "data": anonymisation.data, "anonymised": anonymisation.anonymised,
            "category": Category.ANONYMISED_RECORD.value, "expires_at": anonymisation.legal_end,
            "anonymised_at": anonymisation.now, "updated_at": anonymisation.now,
            **due_attributes(Category.ANONYMISED_RECORD, anonymisation.legal_end, record.pk, record.sk)}


class DynamoSubjectData:
    def __init__(self, table: DynamoTable) -> None:
        self.table = table

    def _items(self, subject: str, *, now: int, limit: int = PAGE_ITEMS, prefix: str | None = None,
               forward: bool = True) -> Iterator[Item]:
        condition, values = "subject_pk = :p", {":p": subject_pk(subject)}
        if prefix:
            condition += " AND begins_with(subject_sk, :k)"
            values[":k"] = prefix
        yield from self.table.query_all(index=SUBJECT_INDEX, key_condition=condition, values=values, now=now,
                                        limit=limit, forward=forward)

    def records(self, subject: str, *, now: int) -> Iterator[SubjectRecord]:
        for item in self._items(subject, now=now):
            if item.get("kind"):
                yield SubjectRecord.of(item)

    def categories(self, subject: str, *, now: int) -> Counter[str]:
        found: Counter[str] = Counter()
        for item in self._items(subject, now=now):
            if isinstance(item.get("category"), str):
                found[str(item["category"])] += 1
        return found

    def order_ids(self, subject: str, *, now: int) -> Iterator[int]:
        for item in self._items(subject, now=now, prefix="ORDER#"):
            ident = str(item.get("subject_sk", "")).removeprefix("ORDER#")
            if ident.isascii() and ident.isdigit():
                yield int(ident)

    def has_more_than(self, subject: str, count: int, *, now: int) -> bool:
        page = self.table.query_page(index=SUBJECT_INDEX, key_condition="subject_pk = :p",
                                     values={":p": subject_pk(subject)}, now=now, limit=count)
        return page.cursor is not None

    def billing_region(self, subject: str, *, now: int) -> tuple[str, str | None] | None:
        for prefix in ("CUSTOMER#", "ORDER#"):
            page = self.table.query_page(index=SUBJECT_INDEX, key_condition="subject_pk = :p AND begins_with("
                                         "subject_sk, :k)", values={":p": subject_pk(subject), ":k": prefix},
                                         now=now, limit=1, forward=False)
            for item in page.items:
                data = item.get("data") or {}
                if data.get("billing_country"):
                    state = data.get("billing_state")
                    return str(data["billing_country"]), str(state) if state else None
        return None

    def erase(self, *, deletions: list[SubjectRecord], anonymisations: list[Anonymisation]) -> int:
        return self.table.batch_write(puts=[anonymised_item(a) for a in anonymisations],
                                      deletes=[(record.pk, record.sk) for record in deletions])

    def load_progress(self, request_id: str, *, now: int) -> ErasureProgress:
        item = self.table.get(f"REQ#{request_id}", ERASURE_SK, now=now)
        if not item:
            return ErasureProgress(request_id)
        return ErasureProgress.from_data(request_id, item["data"], int(item.get("version", 0)))

    def save_progress(self, progress: ErasureProgress, *, expires_at: int) -> None:
        item = {"pk": f"REQ#{progress.request_id}", "sk": ERASURE_SK, "data": progress.to_data(),
                "version": progress.version + 1, "category": Category.PRIVACY_REQUEST.value, "expires_at": expires_at}
        if progress.version == 0:
            self.table.put(item, condition="attribute_not_exists(pk)")
        else:
            self.table.put(item, condition="version = :v", values={":v": progress.version})
        progress.version += 1
