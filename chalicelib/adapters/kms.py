"""KMS as the key wrapper of the subject vault: GenerateDataKey / Decrypt, one data key per subject."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from chalicelib.crypto.keys import DataKey

if TYPE_CHECKING:
    from mypy_boto3_kms import KMSClient


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
