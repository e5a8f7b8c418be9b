"""The keys table: subjects' wrapped data keys and erased subjects' suppression records.

A table of its own, WITHOUT point-in-time recovery or backups (infra/template.json, `SubjectKeysTable`), so that
crypto-shredding holds against restores: deleting a subject's `KEY` item makes every sealed copy of their fields
unreadable, in the data table, in its PITR window and in any restore of it, because no restore of the keys table
exists.  The suppression records live here too, so a restore of the data table cannot un-erase anyone either.

Items (partition `SUBJ#<subject>`):
- `KEY`:        the wrapped data key (KMS, encryption context = subject), `expires_at` as long as the longest-kept
                sealed field (TTL).
- `SUPPRESSED`: written at erasure (keyed hash only) so late or replayed deliveries cannot resurrect the subject.

Writers of sealed fields put a new subject's key in the SAME transaction as their first item (`tx_new_key`) and
condition every write on `tx_not_suppressed`; see `chalicelib.storage.sealed_writes`.
"""

from __future__ import annotations

import contextlib
from typing import Any, Protocol

from chalicelib.crypto.keys import KeyRecord
from chalicelib.errors import SubjectSuppressedError
from chalicelib.storage.table import ConditionFailed, DynamoTable, TransactionFailed

__all__ = ["KEY_SK", "SUPPRESSED_SK", "DynamoSubjectKeyRepository", "KeyRecord",
           "SubjectKeyRepository", "subject_pk"]


def subject_pk(subject: str) -> str:
    return f"SUBJ#{subject}"


KEY_SK = "KEY"
SUPPRESSED_SK = "SUPPRESSED"


class SubjectKeyRepository(Protocol):
    def get(self, subject: str, *, now: int) -> KeyRecord | None: ...

    def add_if_absent(self, record: KeyRecord) -> KeyRecord:
        """Store the record unless one exists; return the one that is stored (first writer wins).
        SubjectSuppressedError for an erased subject."""
        ...

    def extend(self, subject: str, expires_at: int) -> None:
        """Keep the key at least until `expires_at` (never shortens)."""
        ...

    def delete(self, subject: str) -> None: ...

    def suppress(self, subject: str, *, at: int, expires_at: int) -> None: ...

    def is_suppressed(self, subject: str, *, now: int) -> bool: ...


def key_item(record: KeyRecord) -> dict[str, Any]:
    return {"pk": subject_pk(record.subject), "sk": KEY_SK, "wrapped": record.wrapped,
            "created_at": record.created_at, "expires_at": record.expires_at}


class DynamoSubjectKeyRepository:
    def __init__(self, table: DynamoTable) -> None:
        self.table = table  # the keys table

    # -- transaction parts (the data table's writers add them to their own transactions) -----------------------
    def tx_not_suppressed(self, subject: str, now: int) -> dict[str, Any]:
        return self.table.tx_check(subject_pk(subject), SUPPRESSED_SK,
                                   "attribute_not_exists(pk) OR expires_at <= :now", values={":now": now})

    def tx_new_key(self, record: KeyRecord) -> dict[str, Any]:
        return self.table.tx_put(key_item(record), "attribute_not_exists(pk) OR expires_at <= :now",
                                 values={":now": record.created_at})

    def tx_key_outlives(self, subject: str, until: int) -> dict[str, Any]:
        return self.table.tx_check(subject_pk(subject), KEY_SK, "attribute_exists(pk) AND expires_at >= :e",
                                   values={":e": until})

    # -- the port -----------------------------------------------------------------------------------------------
    def get(self, subject: str, *, now: int) -> KeyRecord | None:
        item = self.table.get(subject_pk(subject), KEY_SK, now=now)
        if item is None:
            return None
        return KeyRecord(subject, bytes(item["wrapped"]), int(item["created_at"]), int(item["expires_at"]))

    def add_if_absent(self, record: KeyRecord) -> KeyRecord:
        for _ in range(2):
            try:
                self.table.transact([self.tx_not_suppressed(record.subject, record.created_at),
                                     self.tx_new_key(record)])
                return record
            except TransactionFailed as failure:
                if failure.failed(0):
                    raise SubjectSuppressedError("subject was erased") from None
            existing = self.get(record.subject, now=record.created_at)
            if existing is not None:
                return existing
        raise SubjectSuppressedError("subject key unavailable")  # pragma: no cover (deleted twice in a row)

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
        self.table.put({"pk": subject_pk(subject), "sk": SUPPRESSED_SK, "suppressed_at": at,
                        "expires_at": expires_at})

    def is_suppressed(self, subject: str, *, now: int) -> bool:
        return self.table.get(subject_pk(subject), SUPPRESSED_SK, now=now) is not None


