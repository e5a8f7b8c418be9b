"""PayPal events: one item per event id, which is both the deduplication marker and the record itself.

    `PAYPAL#<event id>` / `EVENT`   kind `payment` | `dispute`, category `payment` | `dispute`,
                                    subject link `<KIND>#<event create time, 10 digits>#<event id>` when linked,
                                    else the awaiting-order marker when it names an order (storage/late_links.py)

The item is put only if absent (`attribute_not_exists`), together with the suppression check of its subject, in one
transaction: a retry or a concurrent copy of the same event finds it and has no second effect.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from chalicelib.domain.retention import Category, RetentionPolicy
from chalicelib.storage.late_links import awaiting_attributes
from chalicelib.storage.orders import Outcome, write_record
from chalicelib.storage.sealed_writes import SealedFields, SealedWrites
from chalicelib.storage.subject_items import retention_attributes, subject_link
from chalicelib.storage.table import DynamoTable

EVENT_PREFIX = "PAYPAL#"
EVENT_SK = "EVENT"


@dataclass(frozen=True)
class PaypalRecord(SealedFields):
    event_id: str
    kind: str  # "payment" | "dispute"
    category: Category
    retention_start: int
    data: dict[str, Any]


@dataclass(frozen=True)
class StoredEvent:
    event_id: str
    kind: str
    category: str
    expires_at: int
    data: dict[str, Any]
    sealed: dict[str, str]
    subject: str | None


class PaypalEventStore(Protocol):
    def record(self, record: PaypalRecord, *, now: int) -> Outcome: ...

    def get(self, event_id: str, *, now: int) -> StoredEvent | None: ...


def _subject_ident(record: PaypalRecord) -> str:
    return f"{max(0, record.retention_start):010d}#{record.event_id}"


class DynamoPaypalEventStore:
    def __init__(self, table: DynamoTable, policy: RetentionPolicy, sealed: SealedWrites) -> None:
        self.table = table
        self.policy = policy
        self.sealed = sealed

    def record(self, record: PaypalRecord, *, now: int) -> Outcome:
        pk = f"{EVENT_PREFIX}{record.event_id}"
        item: dict[str, Any] = {
            "pk": pk, "sk": EVENT_SK, "kind": record.kind, "data": record.data, "created_at": now, "updated_at": now,
            **retention_attributes(self.policy, record.category, record.retention_start, pk, EVENT_SK),
        }
        if record.sealed:
            item["sealed"] = record.sealed
        if record.subject:
            item.update(subject_link(record.subject, record.kind, _subject_ident(record)))
        else:  # its order may come later: a late link (storage/late_links.py)
            item.update(awaiting_attributes(record.data.get("order_id"), pk, EVENT_SK,
                                            f"{record.kind.upper()}#{_subject_ident(record)}"))
        put = self.table.tx_put(item, condition="attribute_not_exists(pk) OR expires_at <= :now", values={":now": now})
        outcome = write_record(self.table, self.sealed, record.subject, record.new_key, record.readable_until, [put],
                               now=now)
        return outcome if isinstance(outcome, Outcome) else Outcome.DUPLICATE

    def get(self, event_id: str, *, now: int) -> StoredEvent | None:
        item = self.table.get(f"{EVENT_PREFIX}{event_id}", EVENT_SK, now=now)
        if item is None:
            return None
        link = item.get("subject_pk")
        return StoredEvent(event_id, str(item.get("kind")), str(item.get("category")), int(item["expires_at"]),
                           dict(item.get("data") or {}), dict(item.get("sealed") or {}),
                           str(link)[len("SUBJ#"):] if link else None)
