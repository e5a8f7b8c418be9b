"""Per-subject envelope encryption of personal fields (AES-256-GCM, `cryptography`).

A sealed field is `v1.<base64url(nonce || ciphertext+tag)>`.  The associated data binds it to its subject and to
the field's name, so a value copied into another subject's item, or another field, does not open.
"""

from __future__ import annotations

import base64
import json
import os
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

PREFIX = "v1."
NONCE_BYTES = 12


class SealError(Exception):
    """A sealed value does not open with this subject's key (wrong subject, wrong field, or tampered)."""


class SubjectCipher:
    def __init__(self, subject: str, data_key: bytes) -> None:
        if len(data_key) != 32:
            raise ValueError("data key must be 256 bits")
        self.subject = subject
        self.data_key = data_key
        self._aead = AESGCM(data_key)

    def _aad(self, field: str) -> bytes:
        return f"{self.subject}|{field}".encode()

    def seal(self, field: str, plaintext: str) -> str:
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._aead.encrypt(nonce, plaintext.encode(), self._aad(field))
        return PREFIX + base64.urlsafe_b64encode(nonce + sealed).decode().rstrip("=")

    def open(self, field: str, token: str) -> str:
        if not token.startswith(PREFIX):
            raise SealError("not a sealed value")
        body = token[len(PREFIX):]
        raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        try:
            return self._aead.decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], self._aad(field)).decode()
        except InvalidTag:
            raise SealError("sealed value does not open for this subject and field") from None

    def seal_json(self, field: str, value: Any) -> str:
        """Seal a JSON-serialisable value (e.g. a dict of personal fields)."""
        return self.seal(field, json.dumps(value, separators=(",", ":"), ensure_ascii=False, sort_keys=True))

    def open_json(self, field: str, token: str) -> Any:
        return json.loads(self.open(field, token))
