"""A key wrapper that stands in for KMS in service tests (no AWS): wraps by XOR with a per-subject pad."""

from __future__ import annotations

import os

from chalicelib.crypto.keys import DataKey


class FakeKeyWrapper:
    """Wraps by XOR with a per-subject pad: enough to prove the vault stores only the wrapped form."""

    def __init__(self) -> None:
        self.generated = 0

    def _pad(self, subject: str) -> bytes:
        return (subject.encode() * 32)[:32]

    def generate(self, subject: str) -> DataKey:
        self.generated += 1
        key = os.urandom(32)
        return DataKey(key, bytes(a ^ b for a, b in zip(key, self._pad(subject), strict=True)))

    def unwrap(self, subject: str, wrapped: bytes) -> bytes:
        return bytes(a ^ b for a, b in zip(wrapped, self._pad(subject), strict=True))

