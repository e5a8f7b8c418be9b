"""Restriction of processing (GDPR Art. 18): a subject's data is kept but not used while restricted.

Items (data table, subject-indexed, so the export shows them and an erasure removes them):

    RESTRICT#<subject> / STATE            kind `restriction`: since when, by which request (no personal data)
    RESTRICT#<subject> / W#<at>#<pk>#<sk>  kind `restricted_delivery`: an item written while the subject was
                                          restricted (a webhook delivery is still recorded, and marked so)

Every write of a subject's sealed fields (`storage/sealed_writes.py`) carries a condition check on the `STATE` item
in its own transaction: no extra round trip for anyone, and the mark is authoritative (a write that races a
restriction is marked, whatever a process has cached).  When the check fails, the write is retried with the opposite
check and, when restricted, one `restricted_delivery` marker per item it writes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from chalicelib.domain.retention import Category, RetentionPolicy
from chalicelib.storage.subject_items import retention_attributes, subject_link
from chalicelib.storage.table import ConditionFailed, DynamoTable

STATE_SK = "STATE"
RESTRICTION = "restriction"
MARKED = "restricted_delivery"
ALIVE = "attribute_exists(pk) AND expires_at > :now"
ABSENT = "attribute_not_exists(pk) OR expires_at <= :now"


def restriction_pk(subject: str) -> str:
    return f"RESTRICT#{subject}"


@dataclass(frozen=True)
class Restriction:
    subject: str
    request_id: str
    since: int


class RestrictionStore(Protocol):
    def restrict(self, subject: str, *, request_id: str, at: int) -> Restriction:
        """Restrict the subject (idempotent: an active restriction is kept and returned)."""
        ...

    def lift(self, subject: str, *, request_id: str) -> bool:
        """End the restriction made by `request_id`; False when it is not the active one."""
        ...

    def current(self, subject: str, *, now: int) -> Restriction | None: ...


class DynamoRestrictions:
    def __init__(self, table: DynamoTable, policy: RetentionPolicy) -> None:
        self.table = table
        self.policy = policy

    # -- transaction parts (SealedWrites adds them to every guarded write) ------------------------------------------
    def tx_not_restricted(self, subject: str, now: int) -> dict[str, Any]:
        return self.table.tx_check(restriction_pk(subject), STATE_SK, ABSENT, values={":now": now})

    def tx_restricted(self, subject: str, now: int) -> dict[str, Any]:
        return self.table.tx_check(restriction_pk(subject), STATE_SK, ALIVE, values={":now": now})

    def tx_markers(self, subject: str, operations: list[dict[str, Any]], now: int) -> list[dict[str, Any]]:
        """One marker per data-table item that `operations` put or update (condition checks mark nothing)."""
        markers = []
        for written in _written_keys(operations, self.table.name):
            pk = restriction_pk(subject)
            sk = f"W#{now:010d}#{written}"
            item = {"pk": pk, "sk": sk, "data": {"item": written.split("#", 1)[0].lower(), "recorded_at": now},
                    "created_at": now, "updated_at": now,
                    **retention_attributes(self.policy, Category.PRIVACY_REQUEST, now, pk, sk, index_due=False),
                    **subject_link(subject, MARKED, f"{now:010d}#{written}")}
            markers.append(self.table.tx_put(item))
        return markers

    # -- the port -----------------------------------------------------------------------------------------------
    def restrict(self, subject: str, *, request_id: str, at: int) -> Restriction:
        pk = restriction_pk(subject)
        item = {"pk": pk, "sk": STATE_SK, "data": {"request_id": request_id, "since": at}, "created_at": at,
                "updated_at": at,
                **retention_attributes(self.policy, Category.SUBJECT_KEY, at, pk, STATE_SK, index_due=False),
                **subject_link(subject, RESTRICTION, "STATE")}
        try:
            self.table.put(item, condition=ABSENT, values={":now": at})
        except ConditionFailed:
            existing = self.current(subject, now=at)
            if existing is not None:
                return existing
            raise
        return Restriction(subject, request_id, at)

    def lift(self, subject: str, *, request_id: str) -> bool:
        try:
            self.table.delete(restriction_pk(subject), STATE_SK, condition="#d.request_id = :r",
                              values={":r": request_id}, names={"#d": "data"})
        except ConditionFailed:
            return False
        return True

    def current(self, subject: str, *, now: int) -> Restriction | None:
        item = self.table.get(restriction_pk(subject), STATE_SK, now=now)
        if item is None:
            return None
        data = item.get("data") or {}
        return Restriction(subject, str(data["request_id"]), int(data["since"]))


def _written_keys(operations: list[dict[str, Any]], table_name: str) -> list[str]:
    """`<pk>#<sk>` of each item a Put or an Update of the data table writes (typed attribute values)."""
    found: list[str] = []
    for operation in operations:
        for kind, key_field in (("Put", "Item"), ("Update", "Key")):
            body = operation.get(kind)
            if body is None or body.get("TableName") != table_name:
                continue
            key = body[key_field]
            pk, sk = key["pk"].get("S", ""), key["sk"].get("S", "")
            if not pk.startswith("RESTRICT#"):
                found.append(f"{pk}#{sk}")
    return list(dict.fromkeys(found))
