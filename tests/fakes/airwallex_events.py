"""In-memory twin of `chalicelib.storage.airwallex_events`: tests only."""

from __future__ import annotations

from chalicelib.domain.retention import RetentionPolicy
from chalicelib.storage.airwallex_events import AirwallexRecord, StoredObject, object_key
from chalicelib.storage.orders import Outcome
from chalicelib.storage.subject_items import retention_attributes
from chalicelib.storage.subject_keys import SubjectKeyRepository
from tests.fakes.orders import guard_in_memory


class InMemoryAirwallexStore:
    def __init__(self, policy: RetentionPolicy, keys: SubjectKeyRepository) -> None:
        self.policy = policy
        self.keys = keys
        self.objects: dict[tuple[str, str], StoredObject] = {}

    def record(self, record: AirwallexRecord, *, now: int) -> Outcome:
        key = (record.object_type, record.object_id)
        old = self.objects.get(key)
        if old is not None and old.expires_at > now and not old.rev < record.rev:
            same = old.rev == record.rev or old.data.get("event_id") == record.event_id
            return Outcome.DUPLICATE if same else Outcome.STALE
        guarded = guard_in_memory(self.keys, record.subject, record.new_key, record.readable_until, now)
        if guarded is not None:
            return guarded
        rule = self.policy.rule(record.category)
        pk, sk = object_key(record.object_type, record.object_id)
        expires = retention_attributes(self.policy, record.category, record.retention_start, pk, sk)["expires_at"]
        self.objects[key] = StoredObject(record.object_type, record.object_id, record.rev, record.kind,
                                         rule.category.value, expires, dict(record.data), dict(record.sealed),
                                         record.subject)
        return Outcome.ACCEPTED

    def get(self, object_type: str, object_id: str, *, now: int) -> StoredObject | None:
        found = self.objects.get((object_type, object_id))
        return found if found and found.expires_at > now else None
