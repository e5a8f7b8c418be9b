"""Sealing a delivery's personal fields for its subject.

- An erased subject (suppression record) is reported as such: the caller stores the delivery without personal
  fields and without the link to them.
- The subject's data key must outlive every sealed field (until the record is anonymised or deleted).  Extending
  it costs a round trip, so this process remembers how long each key is known to live ("horizon") and extends it
  with some slack only when a record needs more: repeated deliveries for a subject then cost no extra round trip.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

from chalicelib.crypto.vault import SubjectVault
from chalicelib.domain.retention import DAY
from chalicelib.errors import SubjectSuppressedError

SLACK_SECONDS = 90 * DAY
MAX_REMEMBERED = 4096


def _present(value: Any) -> bool:
    return value not in (None, "", {}, [])


class SubjectSealer:
    def __init__(self, vault: SubjectVault, *, slack_seconds: int = SLACK_SECONDS) -> None:
        self.vault = vault
        self.slack = slack_seconds
        self._horizon: OrderedDict[str, int] = OrderedDict()

    def seal(self, subject: str, fields: dict[str, Any], *, readable_until: int) -> dict[str, str] | None:
        """The sealed non-empty fields, or None when the subject was erased."""
        try:
            cipher = self.vault.cipher_for_writing(subject)
        except SubjectSuppressedError:
            return None
        sealed = {name: cipher.seal_json(name, value) for name, value in fields.items() if _present(value)}
        if sealed:
            self._keep_key(subject, readable_until)
        return sealed

    def forget(self, subject: str) -> None:
        """The subject turned out to be erased after this process cached their key."""
        self._horizon.pop(subject, None)
        self.vault.forget_cache()

    def _keep_key(self, subject: str, until: int) -> None:
        known = self._horizon.get(subject)
        if known is not None and known >= until:
            self._horizon.move_to_end(subject)
            return
        target = until + self.slack
        self.vault.keep_until(subject, target)
        self._horizon[subject] = target
        self._horizon.move_to_end(subject)
        while len(self._horizon) > MAX_REMEMBERED:
            self._horizon.popitem(last=False)
