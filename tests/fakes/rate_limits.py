"""In-memory twin of `chalicelib.storage.rate_limits`: tests only."""

from __future__ import annotations


class InMemoryRateLimits:
    def __init__(self) -> None:
        self.hits: dict[tuple[str, int], int] = {}
        self.markers: set[str] = set()

    def take(self, key_hash: str, window: int, *, limit: int, expires_at: int) -> bool:
        if self.hits.get((key_hash, window), 0) >= limit:
            return False
        self.hits[(key_hash, window)] = self.hits.get((key_hash, window), 0) + 1
        return True

    def first_time(self, name: str, *, expires_at: int) -> bool:
        if name in self.markers:
            return False
        self.markers.add(name)
        return True
