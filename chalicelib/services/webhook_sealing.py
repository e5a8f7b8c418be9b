"""Sealing a delivery's personal fields for its subject.

The sealed fields and the key they were sealed with travel to storage together: for a subject seen for the first
time the key is new (`Sealing.new_key`) and is stored in the same transaction as the record, so a delivery that
fails leaves no key behind.  Whether the subject was erased is decided by that transaction (authoritative), never
by what this process has cached.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Protocol, Self, TypeVar

from chalicelib.crypto.keys import KeyRecord
from chalicelib.crypto.vault import SubjectVault, WritingKey
from chalicelib.domain.privacy import anonymise_data
from chalicelib.errors import StorageUnavailableError
from chalicelib.storage.orders import Outcome

if TYPE_CHECKING:
    from chalicelib.services.webhook_ports import WebhookPorts


def _present(value: Any) -> bool:
    return value not in (None, "", {}, [])


@dataclass(frozen=True)
class Sealing:
    sealed: dict[str, str]
    key: WritingKey | None = None  # None when nothing was sealed
    readable_until: int = 0

    @property
    def new_key(self) -> KeyRecord | None:
        return self.key.new if self.key else None


class SubjectSealer:
    def __init__(self, vault: SubjectVault) -> None:
        self.vault = vault

    def seal(self, subject: str, fields: dict[str, Any], *, readable_until: int) -> Sealing:
        """The sealed non-empty fields, and the key that sealed them."""
        present = {name: value for name, value in fields.items() if _present(value)}
        if not present:
            return Sealing({})
        key = self.vault.for_writing(subject, readable_until=readable_until)
        return Sealing({name: key.cipher.seal_json(name, value) for name, value in present.items()}, key,
                       readable_until)

    def stored(self, subject: str, sealing: Sealing) -> None:
        """The record carrying `sealing` was written: a new key is now the subject's."""
        if sealing.key is not None:
            self.vault.stored(subject, sealing.key)

    def forget(self, subject: str) -> None:
        """Another writer's key won, or the subject was erased: drop what this process cached."""
        self.vault.forget(subject)


def store_sealed(sealer: SubjectSealer, subject: str | None, personal: dict[str, Any], readable_until: int,
                 save_linked: Callable[[Sealing], Outcome], save_unlinked: Callable[[bool], Outcome]) -> tuple[
                     Outcome, bool]:
    """Store a record sealed for its subject; an erased subject's (or a subject-less) record unlinked.

    `save_linked(sealing)` writes the record with the sealed fields and the subject's key (one transaction);
    `save_unlinked(erased)` writes it without personal fields and without the link.  A second pass runs when
    another delivery stored the subject's first key meanwhile.  Returns (outcome, whether the subject was erased).
    """
    if subject is None:
        return save_unlinked(False), False
    for _ in range(2):
        sealing = sealer.seal(subject, personal, readable_until=readable_until)
        outcome = save_linked(sealing)
        if outcome is Outcome.KEY_RACE:
            sealer.forget(subject)
            continue
        if outcome is Outcome.SUPPRESSED:
            sealer.forget(subject)
            return save_unlinked(True), True
        if outcome is Outcome.ACCEPTED:  # only then was a new key written with the record
            sealer.stored(subject, sealing)
        return outcome, False
    raise StorageUnavailableError("storage error: the subject's key is busy")


class ProviderRecord(Protocol):
    """A payment provider's record (PayPal, Airwallex, BitPay): what `record_sealed` needs of it."""

    @property
    def category(self) -> Any: ...

    @property
    def retention_start(self) -> int: ...

    @property
    def data(self) -> dict[str, Any]: ...

    def unlinked(self, data: dict[str, Any]) -> Self: ...


R = TypeVar("R", bound=ProviderRecord)


def record_sealed(ports: WebhookPorts, write: Callable[[R], Outcome], record: R, personal: dict[str, Any],
                  subject: str | None, *, now: int) -> tuple[Outcome, bool]:
    """The providers' one way to store a record: sealed for its subject (fields `sealed`, `subject`, `new_key`,
    `readable_until` set on a copy), or unlinked and anonymised when the subject was erased, or as it is without a
    subject.  Returns (outcome, whether the subject was erased)."""
    def linked(sealing: Sealing) -> Outcome:
        return write(replace(record, sealed=sealing.sealed, subject=subject,  # type: ignore[type-var]
                             new_key=sealing.new_key, readable_until=sealing.readable_until))

    def unlinked(erased: bool) -> Outcome:
        return write(record.unlinked(anonymise_data(record.data)) if erased else record)

    readable_until = ports.policy.expires_at(record.category, record.retention_start)
    return store_sealed(ports.sealer, subject, personal, readable_until, linked, unlinked)
