"""Late links: a payment record stored before its WooCommerce order, linked to the order's subject once the order is
known (by the scheduled job: services/late_links.py).

A payment item written without a subject but naming an order id carries a sparse marker in the existing
`open_index` (no new index):

    open_pk   "AWAIT#ORDER"
    open_sk   "<order id, 12 digits>#<pk>#<sk>"     -> the scheduled job pages through the (small) partition; what
                                                       awaits one order is a begins_with Query away
    link_sk   the `subject_sk` the item takes when linked (its provider's convention)

Linking is one transaction: the subject's suppression guard and a conditional update of the item (the marker still
there, no subject link yet) that sets `subject_pk`/`subject_sk` and removes the marker.  The item holds no sealed
fields (without a subject they were dropped, never sealed), so nothing needs re-sealing.  An erased subject's
awaiting item is not linked: its linking identifiers are removed instead (as for any erased subject's record).
A retry finds the marker gone and does nothing; a record the retention run anonymised is never linked; a newer
event that rewrites the item replaces the marker.  An order known without a subject (none, or erased) leaves its
awaiting items unlinked, without their linking identifiers (`drop`).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Protocol

from chalicelib.domain.privacy import anonymise_data
from chalicelib.errors import SubjectSuppressedError
from chalicelib.storage.attributes import Item
from chalicelib.storage.sealed_writes import SealedWrites
from chalicelib.storage.subject_keys import subject_pk
from chalicelib.storage.table import ConditionFailed, DynamoTable

AWAITING = "AWAIT#ORDER"
OPEN_INDEX = "open_index"


class LinkOutcome(StrEnum):
    LINKED = "linked"
    ERASED = "erased"  # the order's subject was erased: identifiers removed, not linked
    GONE = "gone"  # already linked, replaced by a newer event, or expired


def awaiting_attributes(order_id: Any, pk: str, sk: str, link_sk: str) -> dict[str, str]:
    """The marker of an item without a subject that names `order_id` (nothing when it names none)."""
    if isinstance(order_id, bool) or not isinstance(order_id, int) or order_id <= 0:
        return {}
    return {"open_pk": AWAITING, "open_sk": f"{order_id:012d}#{pk}#{sk}", "link_sk": link_sk}


def awaited_order(item: Item) -> int:
    return int(str(item["open_sk"]).split("#", 1)[0])


class LateLinks(Protocol):
    def pending(self, *, now: int, limit: int, cursor: dict[str, Any] | None = None
                ) -> tuple[list[Item], dict[str, Any] | None]: ...

    def awaiting(self, order_id: int, *, now: int) -> list[Item]:
        """What awaits this order (at most one page: a handful of payment events per order)."""
        ...

    def link(self, item: Item, subject: str, *, now: int) -> LinkOutcome: ...

    def drop(self, item: Item, *, now: int) -> LinkOutcome: ...


class DynamoLateLinks:
    def __init__(self, table: DynamoTable, sealed: SealedWrites) -> None:
        self.table = table
        self.sealed = sealed

    def pending(self, *, now: int, limit: int, cursor: dict[str, Any] | None = None
                ) -> tuple[list[Item], dict[str, Any] | None]:
        page = self.table.query_page(index=OPEN_INDEX, key_condition="open_pk = :p", values={":p": AWAITING},
                                     now=now, limit=limit, cursor=cursor)
        return list(page.items), page.cursor

    def awaiting(self, order_id: int, *, now: int) -> list[Item]:
        page = self.table.query_page(index=OPEN_INDEX, key_condition="open_pk = :p AND begins_with(open_sk, :o)",
                                     values={":p": AWAITING, ":o": f"{order_id:012d}#"}, now=now, limit=100)
        return list(page.items)

    def link(self, item: Item, subject: str, *, now: int) -> LinkOutcome:
        update = self.table.tx_update(
            str(item["pk"]), str(item["sk"]),
            "SET subject_pk = :spk, subject_sk = :ssk, updated_at = :now REMOVE open_pk, open_sk, link_sk",
            values={":spk": subject_pk(subject), ":ssk": str(item["link_sk"]), ":now": now, ":o": item["open_sk"]},
            condition="open_sk = :o AND attribute_not_exists(subject_pk) AND attribute_not_exists(anonymised_at)")
        try:
            failure = self.sealed.run_guarded(subject, None, 0, [update], now=now, delivery=True)
        except SubjectSuppressedError:
            return self._erase(item, now=now)
        return LinkOutcome.LINKED if failure is None else LinkOutcome.GONE

    def drop(self, item: Item, *, now: int) -> LinkOutcome:
        """The order is known without a subject (none, or erased): the item stays unlinked, without identifiers."""
        return self._erase(item, now=now)

    def _erase(self, item: Item, *, now: int) -> LinkOutcome:
        try:
            self.table.update(str(item["pk"]), str(item["sk"]),
                              expression="SET #data = :data, updated_at = :now REMOVE open_pk, open_sk, link_sk",
                              names={"#data": "data"},
                              values={":data": anonymise_data(dict(item.get("data") or {})), ":now": now,
                                      ":o": item["open_sk"]},
                              condition="open_sk = :o AND attribute_not_exists(subject_pk)")
        except ConditionFailed:
            return LinkOutcome.GONE
        return LinkOutcome.ERASED
