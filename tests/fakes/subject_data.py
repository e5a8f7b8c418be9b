"""In-memory twin of `chalicelib.storage.subject_data`: tests only (items kept as the table keeps them)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

from chalicelib.storage.subject_data import Anonymisation, ErasureProgress, SubjectRecord, anonymised_item
from chalicelib.storage.subject_keys import subject_pk
from chalicelib.storage.table import ConditionFailed


class InMemorySubjectData:
    def __init__(self) -> None:
        self.items: dict[tuple[str, str], dict[str, Any]] = {}
        self.progress: dict[str, tuple[int, dict[str, Any]]] = {}

    def put(self, item: dict[str, Any]) -> None:
        self.items[(item["pk"], item["sk"])] = dict(item)

    def _linked(self, subject: str, now: int) -> list[dict[str, Any]]:
        found = [item for item in self.items.values() if item.get("subject_pk") == subject_pk(subject)
                 and int(item.get("expires_at", now + 1)) > now]
        return sorted(found, key=lambda item: str(item.get("subject_sk")))

    def records(self, subject: str, *, now: int) -> Iterator[SubjectRecord]:
        for item in self._linked(subject, now):
            if item.get("kind"):
                yield SubjectRecord.of(item)

    def order_ids(self, subject: str, *, now: int) -> Iterator[int]:
        for item in self._linked(subject, now):
            ident = str(item.get("subject_sk", "")).removeprefix("ORDER#")
            if str(item.get("subject_sk", "")).startswith("ORDER#") and ident.isascii() and ident.isdigit():
                yield int(ident)

    def categories(self, subject: str, *, now: int) -> Counter[str]:
        return Counter(str(item["category"]) for item in self._linked(subject, now)
                       if isinstance(item.get("category"), str))

    def has_more_than(self, subject: str, count: int, *, now: int) -> bool:
        return len(self._linked(subject, now)) > count

    def billing_region(self, subject: str, *, now: int) -> tuple[str, str | None] | None:
        for prefix in ("CUSTOMER#", "ORDER#"):
            for item in reversed(self._linked(subject, now)):
                data = item.get("data") or {}
                if str(item.get("subject_sk", "")).startswith(prefix) and data.get("billing_country"):
                    return str(data["billing_country"]), data.get("billing_state") or None
        return None

    def erase(self, *, deletions: list[SubjectRecord], anonymisations: list[Anonymisation]) -> int:
        for record in deletions:
            self.items.pop((record.pk, record.sk), None)
        for anonymisation in anonymisations:
            self.put(anonymised_item(anonymisation))
        return len(deletions) + len(anonymisations)

    def load_progress(self, request_id: str, *, now: int) -> ErasureProgress:
        if request_id not in self.progress:
            return ErasureProgress(request_id)
        version, data = self.progress[request_id]
        return ErasureProgress.from_data(request_id, data, version)

    def save_progress(self, progress: ErasureProgress, *, expires_at: int) -> None:
        stored = self.progress.get(progress.request_id, (0, {}))[0]
        if stored != progress.version:
            raise ConditionFailed()
        self.progress[progress.request_id] = (progress.version + 1, progress.to_data())
        progress.version += 1
