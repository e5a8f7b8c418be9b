"""Pure rules of the store's mailing tool ("marketing senders"): the suppression-list hash and the API key check.

The suppression list names addresses by `HMAC-SHA256(list key, normalised e-mail)` (hex).  The list key is a secret
shared with the store (MARKETING_LIST_KEY), distinct from the subject pepper, which never leaves the backend:
- the mailing tool computes the same hash over its own list and drops what matches, so no address is ever sent;
- without the list key a leaked export is a set of opaque hashes (no dictionary attack by guessing addresses);
- the subject ids (pepper) stay internal, so the store cannot link its list to our tables beyond this list.
Normalisation is the one of subject ids (`domain.subjects.normalise_email`): Unicode NFKC, trimmed, case-folded.

API keys are never stored: configuration holds `sha256(key)` (hex, comma-separated for a rotation), and a
presented key is hashed and compared with each in constant time (`hmac.compare_digest`), whatever its length.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Callable
from dataclasses import dataclass

from chalicelib.domain.subjects import normalise_email

MIN_KEY_CHARS = 32  # an API key shorter than this is refused before hashing (still a 401, same answer)
MAX_KEY_CHARS = 256
_HEX64 = re.compile(r"^[0-9a-f]{64}$")
_KEY_CHARS = re.compile(r"^[\x21-\x7e]+$")  # printable ASCII, no space


def list_hash(email: str, list_key: str) -> str:
    """The suppression list's name for an address (hex HMAC-SHA256 of the normalised address)."""
    return hmac.new(list_key.encode(), normalise_email(email).encode(), hashlib.sha256).hexdigest()


def configured_hashes(value: str) -> list[str]:
    """The well-formed sha256 hex digests of a MARKETING_API_KEY_SHA256 value (others are ignored)."""
    return [part for part in (p.strip().lower() for p in value.split(",")) if _HEX64.match(part)]


def matching_key_id(presented: str, hashes: list[str]) -> str | None:
    """The id (first 12 hex of its hash) of the configured key the presented one is, or None.  Every configured
    hash is compared, in constant time, so the time taken says nothing about which part matched."""
    if not (MIN_KEY_CHARS <= len(presented) <= MAX_KEY_CHARS) or not _KEY_CHARS.match(presented):
        return None
    digest = hashlib.sha256(presented.encode("ascii")).hexdigest()
    found = None
    for configured in hashes:
        if hmac.compare_digest(digest, configured):
            found = configured[:12]
    return found


@dataclass(frozen=True)
class SenderKeys:
    """The mailing tool's secrets, read at each use (the secrets source caches them five minutes, so a rotation
    takes effect without a deploy): the API key hashes, the list key ('' when not configured) and the key of the
    one-click unsubscribe tokens."""

    api_key_hashes: Callable[[], str]
    list_key: Callable[[], str]
    unsubscribe_key: bytes

    def list_hash(self, email: str) -> str | None:
        key = self.list_key()
        return list_hash(email, key) if key else None
