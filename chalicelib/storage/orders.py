"""Storefront records from WooCommerce: orders, customer profiles and PayPal reference pointers.

Items (subject-item convention, see `subject_items`):
- `ORDER#<id>` / `ORDER`        kind `order`, category `order`, subject link `ORDER#<id, 12 digits>`
- `CUSTOMER#<id>` / `PROFILE`   kind `customer`, category `customer_profile` (`deleted_account` once deleted)
- `PAYPALREF#<ref>` / `REF`     kind `paypal_ref`, category `order`: a PayPal order id or transaction (capture) id
                                of an order -> `data.order_id`, so PayPal events find their order by key

Every full record carries `rev` (see `chalicelib.webhooks.revision`): a record is written only if its revision is
higher than the stored one (one conditional write); a failed condition returns the stored item in the same round trip
(`ReturnValuesOnConditionCheckFailure`), which tells a duplicate (same revision) from a stale delivery.  A write
linked to a subject also checks, in the same transaction, that the subject has no suppression record.  A deletion
replaces the record by a tombstone (no data, no personal fields, no subject link) with the deletion's revision.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any, Protocol

from chalicelib.domain.retention import Category, RetentionPolicy
from chalicelib.errors import StorageUnavailableError
from chalicelib.storage.subject_items import retention_attributes, subject_link
from chalicelib.storage.subject_keys import SUPPRESSED_SK, subject_pk
from chalicelib.storage.table import DynamoTable, Item, from_attributes, to_attributes

ORDER = "order"
CUSTOMER = "customer"
REF_KIND = "paypal_ref"
_KEYS = {ORDER: ("ORDER#", "ORDER"), CUSTOMER: ("CUSTOMER#", "PROFILE")}
REF_PREFIX = "PAYPALREF#"
REF_SK = "REF"
CONFLICT_RETRIES = 2


class Outcome(StrEnum):
    ACCEPTED = "accepted"
    DUPLICATE = "duplicate"
    STALE = "stale"
    SUPPRESSED = "suppressed"  # the subject was erased: nothing written (the caller writes an unlinked record)


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

    def unlinked(self, data: dict[str, Any]) -> Snapshot:
        return replace(self, data=data, sealed={}, subject=None, references=())


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
@dataclass(frozen=True)
class Cancellation:
    code: str
    item: Item | None


def transact_returning_old(table: DynamoTable, operations: list[dict[str, Any]]) -> list[Cancellation] | None:
    """One TransactWriteItems round trip.  None when it applied; the per-operation cancellation reasons (with the
    stored item where an operation asked for it) when it was cancelled.  Conflicts are retried; storage errors raise
    StorageUnavailableError (nothing was written: the transaction is atomic)."""
    for _ in range(CONFLICT_RETRIES + 1):
        reasons = _call(table, table.client.transact_write_items, TransactItems=operations)
        if reasons is None:
            return None
        if not any(r.code == "TransactionConflict" for r in reasons):
            return reasons
    raise StorageUnavailableError("storage error: transaction conflict")


def update_returning_old(table: DynamoTable, **params: Any) -> Item | None:
    """One UpdateItem round trip.  None when it applied, else the stored item ({} if there was none)."""
    params["ReturnValuesOnConditionCheckFailure"] = "ALL_OLD"
    reasons = _call(table, table.client.update_item, TableName=table.name, **params)
    return None if reasons is None else (reasons[0].item or {})


def _call(table: DynamoTable, operation: Any, **params: Any) -> list[Cancellation] | None:
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        operation(**params)
        return None
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code", "")
        if code == "TransactionCanceledException":
            return [Cancellation(r.get("Code", "None"), from_attributes(r["Item"]) if r.get("Item") else None)
                    for r in error.response.get("CancellationReasons", [])]
        if code == "ConditionalCheckFailedException":
            raw: Any = error.response.get("Item")
            return [Cancellation("ConditionalCheckFailed", from_attributes(raw) if raw else None)]
        raise StorageUnavailableError(f"storage error: {code or 'unknown'}") from None
    except BotoCoreError as error:
        raise StorageUnavailableError(f"storage unreachable: {type(error).__name__}") from None


def failed(reasons: list[Cancellation], index: int) -> bool:
    return index < len(reasons) and reasons[index].code == "ConditionalCheckFailed"


def suppression_check(table: DynamoTable, subject: str, now: int) -> dict[str, Any]:
    return table.tx_check(subject_pk(subject), SUPPRESSED_SK, "attribute_not_exists(pk) OR expires_at <= :now",
                          values={":now": now})


class DynamoStorefrontRecords:
    def __init__(self, table: DynamoTable, policy: RetentionPolicy) -> None:
        self.table = table
        self.policy = policy

    def save(self, snapshot: Snapshot, *, now: int) -> Outcome:
        pk, sk = record_key(snapshot.kind, snapshot.ident)
        retention = retention_attributes(self.policy, snapshot.category, snapshot.retention_start, pk, sk)
        item: dict[str, Any] = {"pk": pk, "sk": sk, "kind": snapshot.kind, "rev": snapshot.rev, "data": snapshot.data,
                                "created_at": snapshot.created_at, "updated_at": now, **retention}
        if snapshot.sealed:
            item["sealed"] = snapshot.sealed
        operations = []
        if snapshot.subject:
            item.update(subject_link(snapshot.subject, snapshot.kind, padded(snapshot.ident)))
        put = self.table.tx_put(item, condition="attribute_not_exists(pk) OR expires_at <= :now OR rev < :rev",
                                values={":now": now, ":rev": snapshot.rev})
        put["Put"]["ReturnValuesOnConditionCheckFailure"] = "ALL_OLD"
        operations.append(put)
        if snapshot.subject:
            operations.append(suppression_check(self.table, snapshot.subject, now))
            for reference in dict.fromkeys(snapshot.references):
                operations.append(self.table.tx_put(self._reference_item(reference, snapshot, retention, now)))
        reasons = transact_returning_old(self.table, operations)
        if reasons is None:
            return Outcome.ACCEPTED
        if failed(reasons, 0):
            old = reasons[0].item or {}
            return Outcome.DUPLICATE if old.get("rev") == snapshot.rev else Outcome.STALE
        if failed(reasons, 1):
            return Outcome.SUPPRESSED
        raise StorageUnavailableError("storage error: transaction cancelled")

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
        old = update_returning_old(
            self.table, Key=self.table.key(pk, sk), UpdateExpression=f"SET {sets} REMOVE {removes}",
            ConditionExpression=("attribute_not_exists(pk) OR #exp <= :now"
                                 " OR (#rev < :rev AND attribute_not_exists(#del))"),
            ExpressionAttributeNames=names, ExpressionAttributeValues=to_attributes(values),
        )
        if old is None:
            return Outcome.ACCEPTED
        return Outcome.DUPLICATE if "deleted_at" in old else Outcome.STALE

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
class InMemoryStorefrontRecords:
    """The in-memory twin (service tests); the contract suite runs against it and against DynamoDB."""

    def __init__(self, policy: RetentionPolicy, is_suppressed: Callable[[str, int], bool]) -> None:
        self.policy = policy
        self.is_suppressed = is_suppressed
        self.records: dict[tuple[str, int], StoredRecord] = {}
        self.references: dict[str, tuple[int, int]] = {}

    def save(self, snapshot: Snapshot, *, now: int) -> Outcome:
        key = (snapshot.kind, snapshot.ident)
        old = self.records.get(key)
        if old is not None and old.expires_at > now and not old.rev < snapshot.rev:
            return Outcome.DUPLICATE if old.rev == snapshot.rev else Outcome.STALE
        if snapshot.subject and self.is_suppressed(snapshot.subject, now):
            return Outcome.SUPPRESSED
        rule = self.policy.rule(snapshot.category)
        pk, sk = record_key(snapshot.kind, snapshot.ident)
        retention = retention_attributes(self.policy, snapshot.category, snapshot.retention_start, pk, sk)
        self.records[key] = StoredRecord(
            kind=snapshot.kind, ident=snapshot.ident, rev=snapshot.rev, category=rule.category.value,
            expires_at=retention["expires_at"], data=dict(snapshot.data), sealed=dict(snapshot.sealed),
            subject=snapshot.subject, deleted=False, due_at=rule.expires_at(snapshot.retention_start),
        )
        if snapshot.subject:
            for reference in snapshot.references:
                self.references[reference] = (snapshot.ident, retention["expires_at"])
        return Outcome.ACCEPTED

    def remove(self, removal: Removal, *, now: int) -> Outcome:
        key = (removal.kind, removal.ident)
        old = self.records.get(key)
        if old is not None and old.expires_at > now:
            if old.deleted:
                return Outcome.DUPLICATE
            if not old.rev < removal.rev:
                return Outcome.STALE
        rule = self.policy.rule(removal.category)
        pk, sk = record_key(removal.kind, removal.ident)
        retention = retention_attributes(self.policy, removal.category, now, pk, sk)
        self.records[key] = StoredRecord(
            kind=removal.kind, ident=removal.ident, rev=removal.rev, category=rule.category.value,
            expires_at=retention["expires_at"], data={}, sealed={}, subject=None, deleted=True,
            due_at=rule.expires_at(now) if removal.index_due else None,
        )
        return Outcome.ACCEPTED

    def get(self, kind: str, ident: int, *, now: int) -> StoredRecord | None:
        record = self.records.get((kind, ident))
        return record if record and record.expires_at > now else None

    def order_for_reference(self, reference: str, *, now: int) -> int | None:
        entry = self.references.get(reference)
        return entry[0] if entry and entry[1] > now else None


def storefront_records(container: Any) -> StorefrontRecords:
    return container.memo(  # type: ignore[no-any-return]
        "webhooks.storefront_records", lambda c: DynamoStorefrontRecords(c.table, c.policy))
