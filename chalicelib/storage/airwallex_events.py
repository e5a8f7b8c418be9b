"""Airwallex objects: one item per payment intent, refund or dispute, holding the newest state its events told.

    `AIRWALLEX#<object type>#<object id>` / `STATE`
        kind `payment` | `dispute`, category `payment` | `dispute`, `rev` (see services/record_airwallex.py),
        `data.event_id` (the event that wrote this state), subject link `<KIND>#AIRWALLEX#<object id>` when linked,
        else the awaiting-order marker when it names an order (storage/late_links.py)

An event is put only if the item is absent (or expired) or holds a lower revision, in one transaction with its
subject's guards; the failed condition returns the stored item in the same round trip, which tells a duplicate
(same revision, or the same event id) from a stale (older) event.  A retry of an event therefore never has a second
effect, and an older event never overwrites a newer state.
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

PREFIX = "AIRWALLEX#"
SK = "STATE"


@dataclass(frozen=True)
class AirwallexRecord(SealedFields):
    object_type: str  # payment_intent | refund | payment_dispute
    object_id: str
    event_id: str
    rev: str
    kind: str  # "payment" | "dispute"
    category: Category
    retention_start: int
    data: dict[str, Any]


@dataclass(frozen=True)
class StoredObject:
    object_type: str
    object_id: str
    rev: str
    kind: str
    category: str
    expires_at: int
    data: dict[str, Any]
    sealed: dict[str, str]
    subject: str | None


class AirwallexStore(Protocol):
    def record(self, record: AirwallexRecord, *, now: int) -> Outcome: ...

    def get(self, object_type: str, object_id: str, *, now: int) -> StoredObject | None: ...


def object_key(object_type: str, object_id: str) -> tuple[str, str]:
    return f"{PREFIX}{object_type}#{object_id}", SK


def refused(stored: dict[str, Any], record: AirwallexRecord) -> Outcome:
    """What a failed condition means: the same revision or event is a duplicate, anything else is stale."""
    same_event = (stored.get("data") or {}).get("event_id") == record.event_id
    return Outcome.DUPLICATE if stored.get("rev") == record.rev or same_event else Outcome.STALE


class DynamoAirwallexStore:
    def __init__(self, table: DynamoTable, policy: RetentionPolicy, sealed: SealedWrites) -> None:
        self.table = table
        self.policy = policy
        self.sealed = sealed

    def record(self, record: AirwallexRecord, *, now: int) -> Outcome:
        pk, sk = object_key(record.object_type, record.object_id)
        item: dict[str, Any] = {
            "pk": pk, "sk": sk, "kind": record.kind, "rev": record.rev, "data": record.data, "created_at": now,
            "updated_at": now, **retention_attributes(self.policy, record.category, record.retention_start, pk, sk),
        }
        if record.sealed:
            item["sealed"] = record.sealed
        if record.subject:
            item.update(subject_link(record.subject, record.kind, f"AIRWALLEX#{record.object_id}"))
        else:  # its order may come later: a late link (storage/late_links.py)
            item.update(awaiting_attributes(record.data.get("order_id"), pk, sk,
                                            f"{record.kind.upper()}#AIRWALLEX#{record.object_id}"))
        put = self.table.tx_put(item, "attribute_not_exists(pk) OR expires_at <= :now OR rev < :rev",
                                {":now": now, ":rev": record.rev}, old_on_failure=True)
        outcome = write_record(self.table, self.sealed, record.subject, record.new_key, record.readable_until, [put],
                               now=now)
        return outcome if isinstance(outcome, Outcome) else refused(outcome or {}, record)

    def get(self, object_type: str, object_id: str, *, now: int) -> StoredObject | None:
        item = self.table.get(*object_key(object_type, object_id), now=now)
        if item is None:
            return None
        link = item.get("subject_pk")
        return StoredObject(object_type, object_id, str(item.get("rev", "")), str(item.get("kind")),
                            str(item.get("category")), int(item["expires_at"]), dict(item.get("data") or {}),
                            dict(item.get("sealed") or {}), str(link)[len("SUBJ#"):] if link else None)
