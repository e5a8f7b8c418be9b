"""Rate-limit counters and "done once" markers (keyed hashes only, never an address or an IP).

Items:
    RATE#<hash> / <window start, 10 digits>   hits in the window (category rate_limit), ADD with a limit condition
    ONCE#<name> / ONCE                        a marker written once (e.g. the operator's daily digest)
"""

from __future__ import annotations

from typing import Protocol

from chalicelib.domain.retention import Category
from chalicelib.storage.table import ConditionFailed, DynamoTable


class RateLimits(Protocol):
    def take(self, key_hash: str, window: int, *, limit: int, expires_at: int) -> bool:
        """Count one hit in the window; False (and nothing counted) when the limit is already reached."""
        ...

    def first_time(self, name: str, *, expires_at: int) -> bool:
        """True the first time it is called for `name` (until the marker expires)."""
        ...


class DynamoRateLimits:
    def __init__(self, table: DynamoTable) -> None:
        self.table = table

    def take(self, key_hash: str, window: int, *, limit: int, expires_at: int) -> bool:
        try:
            self.table.update(
                f"RATE#{key_hash}", f"{window:010d}",
                expression="ADD hits :one SET expires_at = if_not_exists(expires_at, :e), category = :c",
                condition="attribute_not_exists(hits) OR hits < :max",
                values={":one": 1, ":e": expires_at, ":max": limit, ":c": Category.RATE_LIMIT.value})
        except ConditionFailed:
            return False
        return True

    def first_time(self, name: str, *, expires_at: int) -> bool:
        try:
            self.table.put({"pk": f"ONCE#{name}", "sk": "ONCE", "expires_at": expires_at},
                           condition="attribute_not_exists(pk)")
        except ConditionFailed:
            return False
        return True
