"""The subject vault: a cipher per subject, backed by a wrapped data key in the key store.

- `for_writing(subject, readable_until=...)`: the subject's cipher for new sealed fields.  For a subject without a
  key it generates one (KMS) but does NOT store it: the caller writes `WritingKey.new` in the same conditional
  transaction as the first sealed item (`attribute_not_exists`), so a delivery that fails leaves no key behind, and a
  new subject costs one key read and one transaction.  After the commit the caller calls `stored(...)`; after a lost
  race (another writer stored a key first), `forget(...)`: the next `for_writing` reads the winner's key.
- `cipher_for_writing(subject)`: for the few writers that do not run a transaction: stores a new key at once
  (suppression-checked by the key store: SubjectSuppressedError for an erased subject).
- `cipher_for_reading(subject)`: the cipher of an existing key; KeyShreddedError when the key is gone.
- `shred(subject)`: deletes the wrapped key (every copy of their sealed fields becomes unreadable) and forgets it.

Unwrapped keys are cached in-process for a few minutes (bounded), to spare KMS and DynamoDB round trips on warm
invocations.  The cache never decides whether a subject may be written: every writer conditions its write on the
absence of the suppression record (authoritative), so a key cached before an erasure cannot undo it.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from chalicelib.crypto.envelope import SubjectCipher
from chalicelib.crypto.keys import KeyRecord, KeyStore, KeyWrapper
from chalicelib.domain.clock import Clock
from chalicelib.domain.retention import Category, RetentionPolicy
from chalicelib.errors import KeyShreddedError

CACHE_SIZE = 512
CACHE_SECONDS = 300.0


@dataclass(frozen=True)
class WritingKey:
    cipher: SubjectCipher
    new: KeyRecord | None = None  # generated for this write: to be stored with it (inside its transaction)


class SubjectVault:
    def __init__(
        self,
        keys: KeyStore,
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

    def new_key_expiry(self, now: int, readable_until: int = 0) -> int:
        """A new key lives as long as the longest-kept sealed field could (and at least as the first one)."""
        return max(self.policy.expires_at(Category.SUBJECT_KEY, now), readable_until)

    def for_writing(self, subject: str, *, readable_until: int = 0) -> WritingKey:
        cached = self._from_cache(subject)
        if cached is not None:
            return WritingKey(SubjectCipher(subject, cached))
        now = self._now()
        record = self.keys.get(subject, now=now)
        if record is not None:
            plaintext = self._unwrap(record)
            self._remember(subject, plaintext)
            return WritingKey(SubjectCipher(subject, plaintext))
        data_key = self.wrapper.generate(subject)
        new = KeyRecord(subject, data_key.wrapped, now, self.new_key_expiry(now, readable_until))
        return WritingKey(SubjectCipher(subject, data_key.plaintext), new)

    def stored(self, subject: str, key: WritingKey) -> None:
        """The write that carried `key.new` committed: the key is the subject's now."""
        if key.new is not None:
            self._remember(subject, key.cipher.data_key)

    def forget(self, subject: str) -> None:
        self._cache.pop(subject, None)

    def cipher_for_writing(self, subject: str) -> SubjectCipher:
        key = self.for_writing(subject)
        if key.new is None:
            return key.cipher
        stored = self.keys.add_if_absent(key.new)  # SubjectSuppressedError for an erased subject
        plaintext = key.cipher.data_key if stored.wrapped == key.new.wrapped else self._unwrap(stored)
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
