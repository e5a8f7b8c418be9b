"""In-memory twin(s) of `chalicelib.storage.subject_keys`: tests only."""

from __future__ import annotations

from chalicelib.crypto.keys import KeyRecord
from chalicelib.errors import SubjectSuppressedError


class InMemorySubjectKeyRepository:
    """The in-memory twin (service tests); the contract tests run against it and against DynamoDB."""

    def __init__(self) -> None:
        self.keys: dict[str, KeyRecord] = {}
        self.suppressed: dict[str, tuple[int, int]] = {}

    def get(self, subject: str, *, now: int) -> KeyRecord | None:
        record = self.keys.get(subject)
        return record if record and record.expires_at > now else None

    def add_if_absent(self, record: KeyRecord) -> KeyRecord:
        if self.is_suppressed(record.subject, now=record.created_at):
            raise SubjectSuppressedError("subject was erased")
        existing = self.get(record.subject, now=record.created_at)
        if existing:
            return existing
        self.keys[record.subject] = record
        return record

    def extend(self, subject: str, expires_at: int) -> None:
        record = self.keys.get(subject)
        if record and record.expires_at < expires_at:
            self.keys[subject] = KeyRecord(record.subject, record.wrapped, record.created_at, expires_at)

    def delete(self, subject: str) -> None:
        self.keys.pop(subject, None)

    def suppress(self, subject: str, *, at: int, expires_at: int) -> None:
        self.suppressed[subject] = (at, expires_at)

    def is_suppressed(self, subject: str, *, now: int) -> bool:
        entry = self.suppressed.get(subject)
        return bool(entry and entry[1] > now)

