"""Data keys: one per subject, generated and wrapped by KMS (the wrapped copy is what is stored)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class DataKey:
    plaintext: bytes
    wrapped: bytes


@dataclass(frozen=True)
class KeyRecord:
    """A subject's wrapped data key as it is stored."""

    subject: str
    wrapped: bytes
    created_at: int
    expires_at: int


class KeyWrapper(Protocol):
    def generate(self, subject: str) -> DataKey: ...

    def unwrap(self, subject: str, wrapped: bytes) -> bytes: ...


class KeyStore(Protocol):
    """Where wrapped keys live (storage implements it; the vault only needs these)."""

    def get(self, subject: str, *, now: int) -> KeyRecord | None: ...

    def add_if_absent(self, record: KeyRecord) -> KeyRecord:
        """Store the record unless a live one exists; return the one that is stored (first writer wins).
        SubjectSuppressedError when the subject was erased (nothing stored)."""
        ...

    def extend(self, subject: str, expires_at: int) -> None:
        """Keep the key at least until `expires_at` (never shortens)."""
        ...

    def delete(self, subject: str) -> None: ...
