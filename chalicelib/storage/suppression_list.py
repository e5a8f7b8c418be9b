"""The marketing suppression list: keyed hashes of the addresses that must not be mailed (opted out, erased).

Items, in the KEYS table (no PITR, no backups: like the erased subjects' `SUPPRESSED` records, a restore of the data
table cannot take an address off the list):

    MKTLIST#<first hex digit of the hash> / <list hash>     {reason: "opted_out" | "erased", at, expires_at}

The list hash is HMAC-SHA256(MARKETING_LIST_KEY, normalised e-mail) (`domain.marketing_senders`): the mailing tool
computes it from its own list, so the export never carries an address.  Sixteen partitions, chosen by the hash's
first hex digit, spread the writes; the export reads them in order, one bounded Query page at a time (no Scan),
with a cursor `<partition hex>.<last hash>`.

Who writes: an opt-out puts its entry and an opt-in deletes it IN THE SAME TRANSACTION as the subject's current
marketing choice (`storage/marketing.py`), so the list follows the newest choice whatever the delivery order; the
erasure's suppression step puts `erased` (kept as long as the suppression record; while that record holds, the
subject's choices are refused, so nothing else touches the entry).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Protocol

from chalicelib.storage.table import DynamoTable

PREFIX = "MKTLIST#"
SHARDS = "0123456789abcdef"
REASONS = ("opted_out", "erased")
MAX_QUERIES = 32  # per page: bounded work whatever the number of expired items met
_CURSOR = re.compile(r"^([0-9a-f])\.([0-9a-f]{64})?$")
_HASH = re.compile(r"^[0-9a-f]{64}$")


class InvalidCursor(ValueError):
    pass


@dataclass(frozen=True)
class ListPage:
    hashes: list[str]
    cursor: str | None  # None: the list is complete


class SuppressionList(Protocol):
    def add(self, list_hash: str, *, reason: str, at: int, expires_at: int) -> None: ...

    def page(self, cursor: str | None, *, limit: int, now: int) -> ListPage: ...

    def contains(self, list_hash: str, *, now: int) -> bool: ...


def list_pk(list_hash: str) -> str:
    return f"{PREFIX}{list_hash[0]}"


def parse_cursor(cursor: str | None) -> tuple[int, str | None]:
    if cursor is None or cursor == "":
        return 0, None
    match = _CURSOR.match(cursor)
    if not match:
        raise InvalidCursor("invalid cursor")
    return SHARDS.index(match.group(1)), match.group(2)


class DynamoSuppressionList:
    def __init__(self, table: DynamoTable) -> None:
        self.table = table  # the keys table

    def item(self, list_hash: str, *, reason: str, at: int, expires_at: int) -> dict[str, Any]:
        if not _HASH.match(list_hash) or reason not in REASONS:
            raise ValueError("not a list hash or reason")
        return {"pk": list_pk(list_hash), "sk": list_hash, "reason": reason, "at": at, "expires_at": expires_at}

    # -- transaction parts (the marketing repository adds them to its transaction) ------------------------------
    def tx_put(self, list_hash: str, *, at: int, expires_at: int) -> dict[str, Any]:
        """An opt-out's entry.  The transaction also checks that the subject is not erased, so an erasure's entry
        (which lives as long as the subject's suppression record) is never replaced while it holds."""
        return self.table.tx_put(self.item(list_hash, reason="opted_out", at=at, expires_at=expires_at))

    def tx_remove(self, list_hash: str) -> dict[str, Any]:
        """An opt-in takes the address off the list.  The transaction also checks that the subject is not erased
        (`SUPPRESSED`, which lives as long as an erasure's entry), so only an opted-out entry goes."""
        return self.table.tx_delete(list_pk(list_hash), list_hash)

    # -- the port -----------------------------------------------------------------------------------------------
    def add(self, list_hash: str, *, reason: str, at: int, expires_at: int) -> None:
        self.table.put(self.item(list_hash, reason=reason, at=at, expires_at=expires_at))

    def contains(self, list_hash: str, *, now: int) -> bool:
        return self.table.get(list_pk(list_hash), list_hash, now=now) is not None

    def page(self, cursor: str | None, *, limit: int, now: int) -> ListPage:
        shard, after = parse_cursor(cursor)
        hashes: list[str] = []
        for _ in range(MAX_QUERIES):
            if shard >= len(SHARDS) or len(hashes) >= limit:
                break
            pk = PREFIX + SHARDS[shard]
            start = DynamoTable.key(pk, after) if after else None
            found = self.table.query_page(key_condition="pk = :pk", values={":pk": pk}, now=now,
                                          limit=limit - len(hashes), cursor=start, consistent=True)
            hashes.extend(str(item["sk"]) for item in found.items)
            if found.cursor:
                after = str(found.cursor["sk"]["S"])
            else:
                shard, after = shard + 1, None
        if shard >= len(SHARDS):
            return ListPage(hashes, None)
        return ListPage(hashes, f"{SHARDS[shard]}.{after or ''}")
