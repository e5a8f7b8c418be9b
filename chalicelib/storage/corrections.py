"""Corrections (GDPR Art. 16) of the personal fields of a subject's customer profile or order, sealed as before.

One transaction behind the subject's guards (`sealed_writes`: not erased; their key outlives the record): the
record's `sealed` fields named are resealed with the subject's key, `data` fields (the plain billing country and
state) set, on condition that the record is still the subject's and unchanged since it was read (`rev`: a webhook
that stored a newer version meanwhile wins; the caller reads again).  The record's `rev` stays: a later delivery of
the store (which the correction was relayed to) still replaces it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from chalicelib.crypto.envelope import SubjectCipher
from chalicelib.storage.sealed_writes import Operation, SealedWrites
from chalicelib.storage.subject_data import SubjectRecord
from chalicelib.storage.subject_keys import subject_pk
from chalicelib.storage.table import DynamoTable


class Corrections(Protocol):
    def correct(self, subject: str, record: SubjectRecord, *, personal: Mapping[str, Any],
                data: Mapping[str, Any], now: int) -> bool:
        """Reseal `personal` (field name -> new plain value) and set `data` on the record.  False when the record
        changed (or left the subject) since it was read; SubjectSuppressedError for an erased subject."""
        ...


class DynamoCorrections:
    def __init__(self, table: DynamoTable, sealed: SealedWrites) -> None:
        self.table = table
        self.sealed = sealed

    def correct(self, subject: str, record: SubjectRecord, *, personal: Mapping[str, Any],
                data: Mapping[str, Any], now: int) -> bool:
        rev = record.stored.get("rev")

        def build(cipher: SubjectCipher) -> list[Operation]:
            sealed = {**record.sealed, **{name: cipher.seal_json(name, value) for name, value in personal.items()}}
            names = {"#s": "sealed", "#d": "data", "#u": "updated_at", "#spk": "subject_pk", "#rev": "rev"}
            values: dict[str, Any] = {":s": sealed, ":d": {**record.data, **data}, ":now": now,
                                      ":spk": subject_pk(subject)}
            condition = "#spk = :spk AND "
            if rev is None:
                condition += "attribute_not_exists(#rev)"
            else:
                condition += "#rev = :rev"
                values[":rev"] = rev
            return [self.table.tx_update(record.pk, record.sk, "SET #s = :s, #d = :d, #u = :now", values, names,
                                         condition)]

        failure = self.sealed.transact(subject, int(record.expires_at or 0), build, now=now)
        return failure is None
