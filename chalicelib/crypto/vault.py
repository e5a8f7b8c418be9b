"""The subject vault: a cipher per subject, backed by a wrapped data key in storage.

- `cipher_for_writing(subject)`: the subject's cipher, creating their data key on first use; refuses a suppressed
  (erased) subject.
- `cipher_for_reading(subject)`: the cipher of an existing key; raises KeyShreddedError when the key is gone.
- `shred(subject)`: deletes the wrapped key (every copy of their sealed fields becomes unreadable) and forgets it.

Unwrapped keys are cached in-process for a few minutes (bounded), to spare KMS and DynamoDB round trips on warm
invocations.  Writers that must not resurrect an erased subject also condition their write on the absence of the
suppression record (see `suppression_check`), so a stale cache in another process cannot undo an erasure.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from typing import Any

from chalicelib.crypto.envelope import SubjectCipher
from chalicelib.crypto.keys import KeyWrapper
from chalicelib.domain.clock import Clock
from chalicelib.domain.retention import Category, RetentionPolicy
from chalicelib.errors import KeyShreddedError, SubjectSuppressedError
from chalicelib.storage.subject_keys import KeyRecord, SubjectKeyRepository

CACHE_SIZE = 512
CACHE_SECONDS = 300.0


class SubjectVault:
    def __init__(
        self,
        keys: SubjectKeyRepository,
        wrapper: KeyWrapper,
        policy: RetentionPolicy,
        clock: Clock,
        *,
        cache_seconds: float = CACHE_SECONDS,
    ) -> None:
        self.keys = keys
        self.wrapper = wrapper
        self.policy = policy
        self.clock = clock
        self._cache: OrderedDict[str, tuple[float, bytes]] = OrderedDict()
        self._cache_seconds = cache_seconds

    def _now(self) -> int:
        return int(self.clock.now())

    def cached(self, subject: str) -> bool:
        """Whether this process holds the subject's key (a write then needs no key read)."""
        return self._from_cache(subject) is not None

    def cipher_for_writing(self, subject: str) -> SubjectCipher:
        cached = self._from_cache(subject)
        if cached is not None:
            return SubjectCipher(subject, cached)
        now = self._now()
        record = self.keys.get(subject, now=now)
        if record is None:
            if self.keys.is_suppressed(subject, now=now):
                raise SubjectSuppressedError("subject was erased")
            data_key = self.wrapper.generate(subject)
            expires = self.policy.expires_at(Category.SUBJECT_KEY, now)
            stored = self.keys.add_if_absent(KeyRecord(subject, data_key.wrapped, now, expires))
            plaintext = data_key.plaintext if stored.wrapped == data_key.wrapped else self._unwrap(stored)
        else:
            plaintext = self._unwrap(record)
        self._remember(subject, plaintext)
        return SubjectCipher(subject, plaintext)

    def cipher_for_reading(self, subject: str) -> SubjectCipher:
        cached = self._from_cache(subject)
        if cached is not None:
            return SubjectCipher(subject, cached)
        record = self.keys.get(subject, now=self._now())
        if record is None:
            raise KeyShreddedError("no data key for subject")
        plaintext = self._unwrap(record)
        self._remember(subject, plaintext)
        return SubjectCipher(subject, plaintext)

    def keep_until(self, subject: str, expires_at: int) -> None:
        """The key must outlive every sealed field: extend it when a longer-lived item is written."""
        self.keys.extend(subject, expires_at)

    def shred(self, subject: str) -> None:
        self._cache.pop(subject, None)
        self.keys.delete(subject)

    def forget_cache(self) -> None:
        self._cache.clear()

    # -- cache ----------------------------------------------------------------------------------------------
    def _unwrap(self, record: KeyRecord) -> bytes:
        return self.wrapper.unwrap(record.subject, record.wrapped)

    def _from_cache(self, subject: str) -> bytes | None:
        entry = self._cache.get(subject)
        if entry is None:
            return None
        stamp, key = entry
        if time.monotonic() - stamp > self._cache_seconds:
            self._cache.pop(subject, None)
            return None
        self._cache.move_to_end(subject)
        return key

    def _remember(self, subject: str, key: bytes) -> None:
        self._cache[subject] = (time.monotonic(), key)
        self._cache.move_to_end(subject)
        while len(self._cache) > CACHE_SIZE:
            self._cache.popitem(last=False)


def open_fields(cipher: SubjectCipher, sealed: dict[str, str]) -> dict[str, Any]:
    """Open a mapping of field name -> sealed value."""
    return {name: cipher.open_json(name, token) for name, token in sealed.items()}
