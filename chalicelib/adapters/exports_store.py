"""The exports bucket (S3): exports streamed in parts, deleted, and handed out through short-lived links.

Every object is encrypted with the service's KMS key (SSE-KMS).  A writer keeps at most one part in memory, so an
export of any size runs in the memory its function is given; a failed export aborts its multipart upload (the
bucket's lifecycle rule aborts what is left after a day).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

PART_BYTES = 8 * 1024 * 1024  # S3 parts must be >= 5 MiB (but the last)


class ExportWriter(Protocol):
    def write(self, text: str) -> None: ...

    def close(self) -> int:
        """Finish the object; returns its size in bytes."""
        ...

    def abort(self) -> None: ...


class ExportsStore(Protocol):
    def writer(self, key: str, content_type: str) -> ExportWriter: ...

    def delete_prefix(self, prefix: str) -> int:
        """Delete every object under `prefix`; returns how many."""
        ...

    def delete(self, key: str, *, bucket: str | None = None) -> None:
        """Delete one object (of the exports bucket unless `bucket` names another of the service's buckets)."""
        ...

    def download_url(self, key: str, *, seconds: int) -> str:
        """A presigned GET URL of the object, valid for `seconds`."""
        ...


class S3StreamWriter:
    """Writes an object in parts as text arrives; at most one part in memory.  SSE-KMS on every object."""

    def __init__(self, s3: Any, bucket: str, key: str, kms_key: str, content_type: str, part_bytes: int) -> None:
        self.s3, self.bucket, self.key = s3, bucket, key
        self.kms_key, self.content_type, self.part_bytes = kms_key, content_type, part_bytes
        self.buffer = bytearray()
        self.upload_id: str | None = None
        self.parts: list[dict[str, Any]] = []
        self.size = 0

    def write(self, text: str) -> None:
        data = text.encode()
        self.buffer.extend(data)
        self.size += len(data)
        if len(self.buffer) >= self.part_bytes:
            self._upload_part()

    def _upload_part(self) -> None:
        if self.upload_id is None:
            self.upload_id = self.s3.create_multipart_upload(
                Bucket=self.bucket, Key=self.key, ContentType=self.content_type, ServerSideEncryption="aws:kms",
                SSEKMSKeyId=self.kms_key)["UploadId"]
        number = len(self.parts) + 1
        response = self.s3.upload_part(Bucket=self.bucket, Key=self.key, UploadId=self.upload_id,
                                       PartNumber=number, Body=bytes(self.buffer))
        self.parts.append({"ETag": response["ETag"], "PartNumber": number})
        self.buffer = bytearray()

    def close(self) -> int:
        if self.upload_id is None:
            self.s3.put_object(Bucket=self.bucket, Key=self.key, Body=bytes(self.buffer),
                               ContentType=self.content_type, ServerSideEncryption="aws:kms",
                               SSEKMSKeyId=self.kms_key)
        else:
            if self.buffer:
                self._upload_part()
            self.s3.complete_multipart_upload(Bucket=self.bucket, Key=self.key, UploadId=self.upload_id,
                                              MultipartUpload={"Parts": self.parts})
        self.buffer = bytearray()
        return self.size

    def abort(self) -> None:
        if self.upload_id is not None:
            self.s3.abort_multipart_upload(Bucket=self.bucket, Key=self.key, UploadId=self.upload_id)
            self.upload_id = None


class S3ExportsStore:
    def __init__(self, client: Callable[[], Any], bucket: str, kms_key: str, *, part_bytes: int = PART_BYTES) -> None:
        self._client = client
        self.bucket = bucket
        self.kms_key = kms_key
        self.part_bytes = part_bytes

    def writer(self, key: str, content_type: str) -> S3StreamWriter:
        return S3StreamWriter(self._client(), self.bucket, key, self.kms_key, content_type, self.part_bytes)

    def delete_prefix(self, prefix: str) -> int:
        s3 = self._client()
        deleted = 0
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=prefix):
            keys = [{"Key": entry["Key"]} for entry in page.get("Contents", [])]
            if keys:
                s3.delete_objects(Bucket=self.bucket, Delete={"Objects": keys, "Quiet": True})
                deleted += len(keys)
        return deleted

    def delete(self, key: str, *, bucket: str | None = None) -> None:
        self._client().delete_object(Bucket=bucket or self.bucket, Key=key)

    def download_url(self, key: str, *, seconds: int) -> str:
        return str(self._client().generate_presigned_url("get_object", Params={"Bucket": self.bucket, "Key": key},
                                                          ExpiresIn=seconds))
