"""In-memory twin(s) of `chalicelib.storage.orders`: tests only."""

from __future__ import annotations

from chalicelib.crypto.keys import KeyRecord
from chalicelib.domain.retention import RetentionPolicy
from chalicelib.storage.orders import Outcome, Removal, Snapshot, StoredRecord, record_key
from chalicelib.storage.sealed_writes import EXTENSION_SLACK
from chalicelib.storage.subject_items import retention_attributes
from chalicelib.storage.subject_keys import SubjectKeyRepository


class InMemoryStorefrontRecords:
    """The in-memory twin (service tests); the contract suite runs against it and against DynamoDB."""

    def __init__(self, policy: RetentionPolicy, keys: SubjectKeyRepository) -> None:
        self.policy = policy
        self.keys = keys
        self.records: dict[tuple[str, int], StoredRecord] = {}
        self.references: dict[str, tuple[int, int]] = {}

    def is_suppressed(self, subject: str, now: int) -> bool:
        return self.keys.is_suppressed(subject, now=now)

    def save(self, snapshot: Snapshot, *, now: int) -> Outcome:
        key = (snapshot.kind, snapshot.ident)
        old = self.records.get(key)
        if old is not None and old.expires_at > now and not old.rev < snapshot.rev:
            return Outcome.DUPLICATE if old.rev == snapshot.rev else Outcome.STALE
        guarded = guard_in_memory(self.keys, snapshot.subject, snapshot.new_key, snapshot.readable_until, now)
        if guarded is not None:
            return guarded
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


def guard_in_memory(keys: SubjectKeyRepository, subject: str | None, new_key: KeyRecord | None,
                    readable_until: int, now: int) -> Outcome | None:
    """The twins' version of the subject guards: SUPPRESSED, KEY_RACE, or None (the new key, if any, is stored)."""
    if not subject:
        return None
    if keys.is_suppressed(subject, now=now):
        return Outcome.SUPPRESSED
    if new_key is not None:
        return Outcome.KEY_RACE if keys.add_if_absent(new_key).wrapped != new_key.wrapped else None
    key = keys.get(subject, now=now)
    if readable_until and key is not None and key.expires_at < readable_until:
        keys.extend(subject, readable_until + EXTENSION_SLACK)
    return None

