"""In-memory twin(s) of `chalicelib.storage.paypal_events`: tests only."""

from __future__ import annotations

from chalicelib.domain.retention import RetentionPolicy
from chalicelib.storage.orders import Outcome
from chalicelib.storage.paypal_events import EVENT_PREFIX, EVENT_SK, PaypalRecord, StoredEvent
from chalicelib.storage.subject_items import retention_attributes
from chalicelib.storage.subject_keys import SubjectKeyRepository
from tests.fakes.orders import guard_in_memory


class InMemoryPaypalEventStore:
    def __init__(self, policy: RetentionPolicy, keys: SubjectKeyRepository) -> None:
        self.policy = policy
        self.keys = keys
        self.events: dict[str, StoredEvent] = {}

    def is_suppressed(self, subject: str, now: int) -> bool:
        return self.keys.is_suppressed(subject, now=now)

    def record(self, record: PaypalRecord, *, now: int) -> Outcome:
        old = self.events.get(record.event_id)
        if old is not None and old.expires_at > now:
            return Outcome.DUPLICATE
        guarded = guard_in_memory(self.keys, record.subject, record.new_key, record.readable_until, now)
        if guarded is not None:
            return guarded
        rule = self.policy.rule(record.category)
        pk = f"{EVENT_PREFIX}{record.event_id}"
        expires = retention_attributes(self.policy, record.category, record.retention_start, pk, EVENT_SK)
        self.events[record.event_id] = StoredEvent(record.event_id, record.kind, rule.category.value,
                                                   expires["expires_at"], dict(record.data), dict(record.sealed),
                                                   record.subject)
        return Outcome.ACCEPTED

    def get(self, event_id: str, *, now: int) -> StoredEvent | None:
        event = self.events.get(event_id)
        return event if event and event.expires_at > now else None

