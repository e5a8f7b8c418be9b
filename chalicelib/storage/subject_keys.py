"""Storage of subjects' wrapped data keys and of erased subjects' suppression records.

Items (partition `SUBJ#<subject>`):
- `KEY`:        the wrapped data key.  Deleting it is crypto-shredding: every sealed field of the subject,
                in the table, in backups and in point-in-time recovery, becomes unreadable.
- `SUPPRESSED`: written at erasure (keyed hash only) so late or replayed deliveries cannot resurrect the subject.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Protocol

from chalicelib.storage.table import ConditionFailed, DynamoTable


def subject_pk(subject: str) -> str:
    return f"SUBJ#{subject}"


KEY_SK = "KEY"
SUPPRESSED_SK = "SUPPRESSED"


@dataclass(frozen=True)
class KeyRecord:
    subject: str
    wrapped: bytes
    created_at: int
    expires_at: int


class SubjectKeyRepository(Protocol):
    def get(self, subject: str, *, now: int) -> KeyRecord | None: ...

    def add_if_absent(self, record: KeyRecord) -> KeyRecord:
        """Store the record unless one exists; return the one that is stored (first writer wins)."""
        ...

    def extend(self, subject: str, expires_at: int) -> None:
        """Keep the key at least until `expires_at` (never shortens)."""
        ...

    def delete(self, subject: str) -> None: ...

    def suppress(self, subject: str, *, at: int, expires_at: int) -> None: ...

    def is_suppressed(self, subject: str, *, now: int) -> bool: ...


class DynamoSubjectKeyRepository:
    def __init__(self, table: DynamoTable) -> None:
        self.table = table

    def get(self, subject: str, *, now: int) -> KeyRecord | None:
        item = self.table.get(subject_pk(subject), KEY_SK, now=now)
        if item is None:
            return None
        return KeyRecord(subject, bytes(item["wrapped"]), int(item["created_at"]), int(item["expires_at"]))

    def add_if_absent(self, record: KeyRecord) -> KeyRecord:
        try:
            self.table.put(
                {
                    "pk": subject_pk(record.subject),
                    "sk": KEY_SK,
                    "wrapped": record.wrapped,
                    "created_at": record.created_at,
                    "expires_at": record.expires_at,
                    "subject_pk": subject_pk(record.subject),
                    "subject_sk": KEY_SK,
                },
                condition="attribute_not_exists(pk) OR expires_at <= :now",
                values={":now": record.created_at},
            )
            return record
        except ConditionFailed:
            existing = self.get(record.subject, now=record.created_at)
            if existing is None:  # deleted between the two calls: retry once
                return self.add_if_absent(record)
            return existing

    def extend(self, subject: str, expires_at: int) -> None:
        with contextlib.suppress(ConditionFailed):
            self.table.update(
                subject_pk(subject), KEY_SK,
                expression="SET expires_at = :e",
                condition="attribute_exists(pk) AND expires_at < :e",
                values={":e": expires_at},
            )

    def delete(self, subject: str) -> None:
        self.table.delete(subject_pk(subject), KEY_SK)

    def suppress(self, subject: str, *, at: int, expires_at: int) -> None:
        self.table.put({"pk": subject_pk(subject), "sk": SUPPRESSED_SK, "suppressed_at": at, "expires_at": expires_at})

    def is_suppressed(self, subject: str, *, now: int) -> bool:
        return self.table.get(subject_pk(subject), SUPPRESSED_SK, now=now) is not None


class InMemorySubjectKeyRepository:
    """The in-memory twin (service tests); the contract tests run against it and against DynamoDB."""

    def __init__(self) -> None:
        self.keys: dict[str, KeyRecord] = {}
        self.suppressed: dict[str, tuple[int, int]] = {}

    def get(self, subject: str, *, now: int) -> KeyRecord | None:
        record = self.keys.get(subject)
        return record if record and record.expires_at > now else None

    def add_if_absent(self, record: KeyRecord) -> KeyRecord:
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
