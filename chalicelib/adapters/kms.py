"""KMS as the key wrapper of the subject vault: GenerateDataKey / Decrypt, one data key per subject.  A KMS failure
(throttling, 5xx, unreachable) is KeyServiceUnavailableError: answered 503 with Retry-After, nothing sealed."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from chalicelib.crypto.keys import DataKey
from chalicelib.errors import KeyServiceUnavailableError

if TYPE_CHECKING:
    from mypy_boto3_kms import KMSClient


class KmsKeyWrapper:
    """KMS GenerateDataKey / Decrypt with the subject id as encryption context (a wrapped key only unwraps for
    the subject it was made for)."""

    def __init__(self, client: Callable[[], KMSClient], key_id: str) -> None:
        self._client = client
        self._key_id = key_id

    def generate(self, subject: str) -> DataKey:
        response = _call(lambda: self._client().generate_data_key(
            KeyId=self._key_id, KeySpec="AES_256", EncryptionContext={"subject": subject}
        ))
        return DataKey(plaintext=response["Plaintext"], wrapped=response["CiphertextBlob"])

    def unwrap(self, subject: str, wrapped: bytes) -> bytes:
        response = _call(lambda: self._client().decrypt(
            CiphertextBlob=wrapped, KeyId=self._key_id, EncryptionContext={"subject": subject}
        ))
        return bytes(response["Plaintext"])


def _call(operation: Callable[[], Any]) -> Any:
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        return operation()
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code", "") or "unknown"
        raise KeyServiceUnavailableError(f"key service error: {code}") from None
    except BotoCoreError as error:
        raise KeyServiceUnavailableError(f"key service unreachable: {type(error).__name__}") from None
