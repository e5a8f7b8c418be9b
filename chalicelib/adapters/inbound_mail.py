"""The inbound-mail bucket (S3): the raw MIME SES stores for privacy@ mail.

Objects are removed once their message is done (the kept correspondence is encrypted per subject; the raw copy would
otherwise outlive an erasure until the bucket's lifecycle rule); quarantined ones are moved under `quarantine/` for
the operator.  Only the pending messages are ever listed: done ones leave the inbound prefix.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True)
class StoredMail:
    key: str
    stored_at: int
    size: int


class InboundMail(Protocol):
    bucket: str

    def read(self, key: str, *, max_bytes: int, bucket: str | None = None) -> bytes | None:
        """The first `max_bytes` of a stored message, or None when it is gone."""
        ...

    def remove(self, key: str, *, bucket: str | None = None) -> None: ...

    def quarantine(self, key: str, *, bucket: str | None = None) -> None: ...

    def pending(self, *, limit: int) -> list[StoredMail]:
        """Messages still in the inbound prefix (not yet done), oldest first, at most `limit`."""
        ...


class S3InboundMail:
    QUARANTINE = "quarantine/"

    def __init__(self, client: Callable[[], Any], bucket: str, prefix: str) -> None:
        self._client = client
        self.bucket = bucket
        self.prefix = prefix

    @property
    def client(self) -> Any:
        return self._client()

    def read(self, key: str, *, max_bytes: int, bucket: str | None = None) -> bytes | None:
        from botocore.exceptions import ClientError

        try:
            response = self.client.get_object(Bucket=bucket or self.bucket, Key=key, Range=f"bytes=0-{max_bytes - 1}")
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in ("NoSuchKey", "404", "NotFound"):
                return None
            raise
        return bytes(response["Body"].read())

    def remove(self, key: str, *, bucket: str | None = None) -> None:
        self.client.delete_object(Bucket=bucket or self.bucket, Key=key)

    def quarantine(self, key: str, *, bucket: str | None = None) -> None:
        source = bucket or self.bucket
        target = self.QUARANTINE + key.rsplit("/", 1)[-1]
        self.client.copy_object(Bucket=source, Key=target, CopySource={"Bucket": source, "Key": key})
        self.client.delete_object(Bucket=source, Key=key)

    def pending(self, *, limit: int) -> list[StoredMail]:
        """Messages still in the inbound prefix (not yet done), oldest first, at most `limit`."""
        found: list[StoredMail] = []
        paginator = self.client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=self.prefix):
            for entry in page.get("Contents", []):
                if entry["Key"].endswith("/") or entry["Key"].endswith("AMAZON_SES_SETUP_NOTIFICATION"):
                    continue
                found.append(StoredMail(entry["Key"], int(entry["LastModified"].timestamp()), int(entry["Size"])))
        found.sort(key=lambda m: m.stored_at)
        return found[:limit]
