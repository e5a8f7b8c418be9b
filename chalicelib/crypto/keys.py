"""Data keys: one per subject, generated and wrapped by KMS (the wrapped copy is what is stored)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from mypy_boto3_kms import KMSClient


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


class KmsKeyWrapper:
    """KMS GenerateDataKey / Decrypt with the subject id as encryption context (a wrapped key only unwraps for
    the subject it was made for)."""

    def __init__(self, client: Callable[[], KMSClient], key_id: str) -> None:
        self._client = client
        self._key_id = key_id

    def generate(self, subject: str) -> DataKey:
        response = self._client().generate_data_key(
            KeyId=self._key_id, KeySpec="AES_256", EncryptionContext={"subject": subject}
        )
        return DataKey(plaintext=response["Plaintext"], wrapped=response["CiphertextBlob"])

    def unwrap(self, subject: str, wrapped: bytes) -> bytes:
        response = self._client().decrypt(
            CiphertextBlob=wrapped, KeyId=self._key_id, EncryptionContext={"subject": subject}
        )
        return response["Plaintext"]
