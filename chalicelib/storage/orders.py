"""Storefront records from WooCommerce: orders, customer profiles and PayPal reference pointers.

Items (subject-item convention, see `subject_items`):
- `ORDER#<id>` / `ORDER`        kind `order`, category `order`, subject link `ORDER#<id, 12 digits>`
- `CUSTOMER#<id>` / `PROFILE`   kind `customer`, category `customer_profile` (`deleted_account` once deleted)
- `PAYPALREF#<ref>` / `REF`     kind `paypal_ref`, category `order`: a PayPal order id or transaction (capture) id
                                of an order -> `data.order_id`, so PayPal events find their order by key

Every full record carries `rev` (`chalicelib.services.webhook_revision`): a record is written only if its revision is
higher than the stored one (one conditional write); a failed condition returns the stored item in the same round trip
(`ReturnValuesOnConditionCheckFailure`), which tells a duplicate (same revision) from a stale delivery.  A write
linked to a subject also checks, in the same transaction, that the subject has no suppression record.  A deletion
replaces the record by a tombstone (no data, no personal fields, no subject link) with the deletion's revision.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any, Protocol

from chalicelib.crypto.keys import KeyRecord
from chalicelib.domain.retention import Category, RetentionPolicy
from chalicelib.errors import StorageUnavailableError, SubjectSuppressedError
from chalicelib.storage.attributes import Item
from chalicelib.storage.sealed_writes import KeyRaceLost, SealedWrites
from chalicelib.storage.subject_items import retention_attributes, subject_link
from chalicelib.storage.table import ConditionFailed, DynamoTable, TransactionFailed

ORDER = "order"
CUSTOMER = "customer"
REF_KIND = "paypal_ref"
_KEYS = {ORDER: ("ORDER#", "ORDER"), CUSTOMER: ("CUSTOMER#", "PROFILE")}
REF_PREFIX = "PAYPALREF#"
REF_SK = "REF"


class Outcome(StrEnum):
    ACCEPTED = "accepted"
    DUPLICATE = "duplicate"
    STALE = "stale"
    SUPPRESSED = "suppressed"  # the subject was erased: nothing written (the caller writes an unlinked record)
    KEY_RACE = "key_race"  # another writer stored the subject's first key: nothing written (the caller reseals)


def record_key(kind: str, ident: int) -> tuple[str, str]:
    prefix, sk = _KEYS[kind]
    return f"{prefix}{ident}", sk


def padded(ident: int) -> str:
    return f"{ident:012d}"


@dataclass(frozen=True)
class Snapshot:
    """A full record to store (an order or a customer profile)."""

    kind: str
    ident: int
    rev: str
    category: Category
    retention_start: int
    created_at: int
    data: dict[str, Any]
    sealed: dict[str, str] = field(default_factory=dict)
    subject: str | None = None
    references: tuple[str, ...] = ()
    new_key: KeyRecord | None = None  # the subject's key when `sealed` was made with a key not stored yet
    readable_until: int = 0  # the sealed fields must stay readable until then (the subject's key must outlive it)

    def unlinked(self, data: dict[str, Any]) -> Snapshot:
        return replace(self, data=data, sealed={}, subject=None, references=(), new_key=None)


@dataclass(frozen=True)
class Removal:
    """A deletion: the record becomes a tombstone in `category` (due-indexed when `index_due`)."""

    kind: str
    ident: int
    rev: str
    category: Category
    index_due: bool


@dataclass(frozen=True)
class StoredRecord:
    kind: str
    ident: int
    rev: str
    category: str
    expires_at: int
    data: dict[str, Any]
    sealed: dict[str, str]
    subject: str | None
    deleted: bool
    due_at: int | None


class StorefrontRecords(Protocol):
    def save(self, snapshot: Snapshot, *, now: int) -> Outcome: ...

    def remove(self, removal: Removal, *, now: int) -> Outcome: ...

    def get(self, kind: str, ident: int, *, now: int) -> StoredRecord | None: ...

    def order_for_reference(self, reference: str, *, now: int) -> int | None: ...


# -- DynamoDB -----------------------------------------------------------------------------------------------------
def write_record(table: DynamoTable, sealed: SealedWrites, subject: str | None, new_key: KeyRecord | None,
                 readable_until: int, operations: list[dict[str, Any]], *, now: int) -> Outcome | Item | None:
    """One transaction: `operations[0]` is the record's conditional put (returning the stored item on failure), the
    rest go with it; a record linked to a subject goes behind the subject's guards (not erased; its key, new or
    long-lived enough).  ACCEPTED, SUPPRESSED, KEY_RACE (reseal with the stored key), or the stored item that
    failed the record's condition."""
    try:
        if subject:
            failure = sealed.run_guarded(subject, new_key, readable_until, operations, now=now, delivery=True)
        else:
            table.transact(operations)
            failure = None
    except SubjectSuppressedError:
        return Outcome.SUPPRESSED
    except KeyRaceLost:
        return Outcome.KEY_RACE
    except TransactionFailed as unguarded:
        failure = unguarded
    if failure is None:
        return Outcome.ACCEPTED
    if failure.failed(0):
        return failure.item(0) or {}
    raise StorageUnavailableError("storage error: transaction cancelled")


class DynamoStorefrontRecords:
    def __init__(self, table: DynamoTable, policy: RetentionPolicy, sealed: SealedWrites) -> None:
        self.table = table
        self.policy = policy
        self.sealed = sealed

    def save(self, snapshot: Snapshot, *, now: int) -> Outcome:
        pk, sk = record_key(snapshot.kind, snapshot.ident)
        retention = retention_attributes(self.policy, snapshot.category, snapshot.retention_start, pk, sk)
        item: dict[str, Any] = {"pk": pk, "sk": sk, "kind": snapshot.kind, "rev": snapshot.rev, "data": snapshot.data,
                                "created_at": snapshot.created_at, "updated_at": now, **retention}
        if snapshot.sealed:
            item["sealed"] = snapshot.sealed
        if snapshot.subject:
            item.update(subject_link(snapshot.subject, snapshot.kind, padded(snapshot.ident)))
        operations = [self.table.tx_put(item, "attribute_not_exists(pk) OR expires_at <= :now OR rev < :rev",
                                        {":now": now, ":rev": snapshot.rev}, old_on_failure=True)]
        if snapshot.subject:
            operations += [self.table.tx_put(self._reference_item(reference, snapshot, retention, now))
                           for reference in dict.fromkeys(snapshot.references)]
        outcome = write_record(self.table, self.sealed, snapshot.subject, snapshot.new_key, snapshot.readable_until,
                               operations, now=now)
        if isinstance(outcome, Outcome):
            return outcome
        old = outcome or {}
        return Outcome.DUPLICATE if old.get("rev") == snapshot.rev else Outcome.STALE

    def _reference_item(self, reference: str, snapshot: Snapshot, retention: dict[str, Any], now: int) -> Item:
        pk = f"{REF_PREFIX}{reference}"
        attributes = retention_attributes(self.policy, snapshot.category, snapshot.retention_start, pk, REF_SK)
        item: Item = {"pk": pk, "sk": REF_SK, "data": {"order_id": snapshot.ident}, "created_at": now,
                      "updated_at": now, **attributes}
        if snapshot.subject:
            item.update(subject_link(snapshot.subject, REF_KIND, reference))
        return item

    def remove(self, removal: Removal, *, now: int) -> Outcome:
        pk, sk = record_key(removal.kind, removal.ident)
        attributes = retention_attributes(self.policy, removal.category, now, pk, sk, index_due=removal.index_due)
        names = {"#rev": "rev", "#kind": "kind", "#cat": "category", "#exp": "expires_at", "#del": "deleted_at",
                 "#upd": "updated_at", "#data": "data", "#sealed": "sealed", "#spk": "subject_pk",
                 "#ssk": "subject_sk", "#created": "created_at", "#dpk": "due_pk", "#dsk": "due_sk"}
        values: dict[str, Any] = {":rev": removal.rev, ":kind": removal.kind, ":cat": attributes["category"],
                                  ":exp": attributes["expires_at"], ":now": now}
        sets = "#rev = :rev, #kind = :kind, #cat = :cat, #exp = :exp, #del = :now, #upd = :now"
        removes = "#data, #sealed, #spk, #ssk, #created"
        if removal.index_due:
            sets += ", #dpk = :dpk, #dsk = :dsk"
            values.update({":dpk": attributes["due_pk"], ":dsk": attributes["due_sk"]})
        else:
            removes += ", #dpk, #dsk"
        try:
            self.table.update(pk, sk, expression=f"SET {sets} REMOVE {removes}", names=names, values=values,
                              condition=("attribute_not_exists(pk) OR #exp <= :now"
                                         " OR (#rev < :rev AND attribute_not_exists(#del))"),
                              old_on_failure=True)
        except ConditionFailed as failed:
            return Outcome.DUPLICATE if "deleted_at" in (failed.item or {}) else Outcome.STALE
        return Outcome.ACCEPTED

    def get(self, kind: str, ident: int, *, now: int) -> StoredRecord | None:
        pk, sk = record_key(kind, ident)
        item = self.table.get(pk, sk, now=now)
        return _stored(kind, ident, item) if item else None

    def order_for_reference(self, reference: str, *, now: int) -> int | None:
        item = self.table.get(f"{REF_PREFIX}{reference}", REF_SK, now=now)
        order_id = (item or {}).get("data", {}).get("order_id")
        return int(order_id) if isinstance(order_id, int) else None


def _stored(kind: str, ident: int, item: Item) -> StoredRecord:
    link = item.get("subject_pk")
    due_sk = item.get("due_sk")
    return StoredRecord(
        kind=kind, ident=ident, rev=str(item.get("rev", "")), category=str(item.get("category", "")),
        expires_at=int(item["expires_at"]), data=dict(item.get("data") or {}), sealed=dict(item.get("sealed") or {}),
        subject=str(link)[len("SUBJ#"):] if link else None, deleted="deleted_at" in item,
        due_at=int(str(due_sk).split("#", 1)[0]) if due_sk else None,
    )


# -- in-memory twin -----------------------------------------------------------------------------------------------
