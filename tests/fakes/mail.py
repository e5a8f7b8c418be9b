"""In-memory twin(s) of `chalicelib.storage.mail`: tests only."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from chalicelib.errors import SubjectSuppressedError
from chalicelib.storage.mail import (
    Claim,
    Correspondence,
    QueueEntry,
    ReceiptView,
    State,
    correspondence_keys,
    day_of,
)
from chalicelib.storage.subject_keys import subject_pk


class InMemoryMailStore:
    """The in-memory twin; tests/contract/test_mail_store_contract.py runs the same suite against both."""

    def __init__(self) -> None:
        self.receipts: dict[str, dict[str, Any]] = {}
        self.quotas: dict[tuple[str, str], int] = {}
        self.kept: dict[tuple[str, str], Correspondence] = {}
        self.suppressed: set[str] = set()
        self.messages: dict[str, str] = {}
        self.entries: dict[str, QueueEntry] = {}
        self.leases: dict[str, tuple[str | None, int]] = {}

    def claim(self, message_id: str, token: str, *, now: int, lease_seconds: int) -> Claim:
        found = self.receipts.get(message_id)
        if found is None:
            found = self.receipts[message_id] = {"state": "processing"}
        elif not (found["state"] in ("processing", "replying") and found["lease_until"] < now):
            return Claim(False, found["state"], found.get("outcome"))
        found.update(claim=token, lease_until=now + lease_seconds)
        return Claim(True, found["state"], found.get("outcome"), dict(found))

    def advance(self, message_id: str, token: str, *, from_state: State, to_state: State, now: int,
                fields: dict[str, Any] | None = None, remove: tuple[str, ...] = ()) -> bool:
        found = self.receipts.get(message_id)
        if found is None or found["state"] != from_state or found.get("claim") != token:
            return False
        for name in remove:
            found.pop(name, None)
        found.update({k: v for k, v in (fields or {}).items() if v is not None}, state=to_state)
        return True

    def release(self, message_id: str, token: str) -> None:
        found = self.receipts.get(message_id)
        if found and found["state"] in ("processing", "replying") and found["claim"] == token:
            found["lease_until"] = 0

    def receipt(self, message_id: str, *, now: int) -> ReceiptView | None:
        found = self.receipts.get(message_id)
        if found is None:
            return None
        return ReceiptView(message_id, found["state"], found.get("outcome"), found.get("request_id"), dict(found))

    def take_quota(self, subject: str, *, now: int, limit: int) -> bool:
        key = (subject, day_of(now))
        if self.quotas.get(key, 0) >= limit:
            return False
        self.quotas[key] = self.quotas.get(key, 0) + 1
        return True

    def keep(self, record: Correspondence) -> None:
        if record.subject in self.suppressed:
            raise SubjectSuppressedError("subject was erased")
        pk, sk, _ = correspondence_keys(record)
        self.kept.setdefault((pk, sk), record)

    def correspondence(self, subject: str, *, now: int) -> list[Correspondence]:
        return [record for (pk, _), record in sorted(self.kept.items()) if pk == subject_pk(subject)]


    def claim_message(self, key: str, message_id: str, *, now: int) -> str:
        return self.messages.setdefault(key, message_id)

    def enqueue(self, entry: QueueEntry) -> None:
        self.entries.setdefault(entry.entry_id, entry)

    def queue(self, *, now: int, due_before: int | None = None, limit: int = 200) -> list[QueueEntry]:
        found = sorted((e for e in self.entries.values() if e.status != "answered"
                        and (due_before is None or e.due_at < due_before)), key=lambda e: (e.due_at, e.entry_id))
        return found[:limit]

    def queue_entry(self, entry_id: str, *, now: int) -> QueueEntry | None:
        return self.entries.get(entry_id)

    def claim_entry(self, entry_id: str, token: str, *, now: int, lease_seconds: int) -> bool:
        entry = self.entries.get(entry_id)
        lease = self.leases.get(entry_id, (None, 0))
        if entry is None or not (entry.status == "open" or (entry.status == "answering" and lease[1] < now)):
            return False
        self.entries[entry_id] = replace(entry, status="answering")
        self.leases[entry_id] = (token, now + lease_seconds)
        return True

    def release_entry(self, entry_id: str, token: str) -> None:
        entry = self.entries.get(entry_id)
        if entry is not None and entry.status == "answering" and self.leases.get(entry_id, (None, 0))[0] == token:
            self.entries[entry_id] = replace(entry, status="open")
            self.leases.pop(entry_id, None)

    def close_entry(self, entry_id: str, token: str, *, at: int, by: str, reply_message_id: str | None) -> bool:
        entry = self.entries.get(entry_id)
        if entry is None or entry.status != "answering" or self.leases.get(entry_id, (None, 0))[0] != token:
            return False
        self.entries[entry_id] = replace(entry, status="answered", answered_at=at, answered_by=by,
                                         reply_message_id=reply_message_id)
        self.leases.pop(entry_id, None)
        return True
