"""The single DynamoDB table: low-level access shared by the repositories.

Invariants:
- every item written carries `expires_at` (epoch seconds) from its retention category;
- reads never return an expired item: DynamoDB deletes expired items only within days (moto never does), so
  `get` and `query` filter on `expires_at` themselves;
- no Scan, anywhere: every access is by key or through one of the indexes below.

Key design (see docs/ARCHITECTURE.md):
- base table `pk` / `sk`;
- `subject_index` (`subject_pk` / `subject_sk`): everything held about one subject, for export and erasure;
- `due_index` (`due_pk` / `due_sk`): sparse, items due for a retention action, by category and due time;
- `open_index` (`open_pk` / `open_sk`): sparse, open privacy requests by due date (and other work queues).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from chalicelib.errors import RecordTooLargeError, StorageUnavailableError
from chalicelib.storage.attributes import (
    EXPIRES_AT,
    Item,
    checked_item,
    from_attributes,
    is_live,
    to_attributes,
)

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

CONFLICT_RETRIES = 2
BATCH_GET_MAX = 100
BATCH_WRITE_MAX = 25
UNPROCESSED_ATTEMPTS = 8
SUBJECT_INDEX = "subject_index"
DUE_INDEX = "due_index"
OPEN_INDEX = "open_index"



@dataclass
class Page:
    items: list[Item]
    cursor: dict[str, Any] | None = field(default=None)


class DynamoTable:
    """Thin, typed access to the table.  Conditions use expression strings and placeholder values."""

    def __init__(self, client: DynamoDBClient, name: str) -> None:
        self.client = client
        self.name = name

    # -- reads ---------------------------------------------------------------------------------------------
    def get(self, pk: str, sk: str, *, now: int, consistent: bool = True) -> Item | None:
        response = self._call(
            self.client.get_item, TableName=self.name, Key=self.key(pk, sk), ConsistentRead=consistent
        )
        raw = response.get("Item")
        if not raw:
            return None
        item = from_attributes(raw)
        return item if is_live(item, now) else None

    def query_page(
        self,
        *,
        key_condition: str,
        values: Mapping[str, Any],
        now: int,
        index: str | None = None,
        limit: int = 100,
        cursor: dict[str, Any] | None = None,
        forward: bool = True,
        names: Mapping[str, str] | None = None,
        consistent: bool = False,
        include_expired: bool = False,
    ) -> Page:
        """One page of live items.  Expired items are filtered server-side (they still cost read capacity);
        `include_expired` returns them too (the retention run acts on items whose TTL has passed)."""
        params: dict[str, Any] = {
            "TableName": self.name,
            "KeyConditionExpression": key_condition,
            "ExpressionAttributeValues": to_attributes(values),
            "Limit": limit,
            "ScanIndexForward": forward,
        }
        if names:
            params["ExpressionAttributeNames"] = dict(names)
        if not include_expired:
            params["FilterExpression"] = "attribute_not_exists(#exp) OR #exp > :__now"
            params["ExpressionAttributeNames"] = {"#exp": EXPIRES_AT, **(names or {})}
            params["ExpressionAttributeValues"] = to_attributes({**values, ":__now": now})
        if index:
            params["IndexName"] = index
        elif consistent:
            params["ConsistentRead"] = True
        if cursor:
            params["ExclusiveStartKey"] = cursor
        response = self._call(self.client.query, **params)
        return Page([from_attributes(raw) for raw in response.get("Items", [])], response.get("LastEvaluatedKey"))

    def batch_get(self, keys: list[tuple[str, str]], *, now: int | None = None,
                  consistent: bool = True) -> dict[tuple[str, str], Item]:
        """Items by key (BatchGetItem, 100 a call; keys DynamoDB leaves unprocessed are asked again a few times).
        `now`: leave out expired items (None: return them too, e.g. for retention, which acts on them)."""
        found: dict[tuple[str, str], Item] = {}
        unique = list(dict.fromkeys(keys))
        for start in range(0, len(unique), BATCH_GET_MAX):
            request: dict[str, Any] = {self.name: {"Keys": [self.key(pk, sk) for pk, sk in
                                                            unique[start:start + BATCH_GET_MAX]],
                                                   "ConsistentRead": consistent}}
            for attempt in range(UNPROCESSED_ATTEMPTS):
                response = self._call(self.client.batch_get_item, RequestItems=request)
                for raw in response.get("Responses", {}).get(self.name, []):
                    item = from_attributes(raw)
                    if now is None or is_live(item, now):
                        found[(str(item["pk"]), str(item["sk"]))] = item
                request = response.get("UnprocessedKeys") or {}
                if not request:
                    break
                _backoff(attempt)
            else:
                raise StorageUnavailableError("storage throttled: keys left unprocessed")
        return found

    def query_all(self, **kwargs: Any) -> Iterator[Item]:
        """Every live item of a query, fetched page by page (memory stays bounded by one page)."""
        cursor = None
        while True:
            page = self.query_page(cursor=cursor, **kwargs)
            yield from page.items
            if not page.cursor:
                return
            cursor = page.cursor

    def reachable(self) -> bool:
        """Whether the table answers a read (the health check): one GetItem of a key nothing uses."""
        try:
            self._call(self.client.get_item, TableName=self.name, Key=self.key("HEALTH", "HEALTH"))
        except StorageUnavailableError:
            return False
        return True

    def item_count(self) -> int:
        """DescribeTable's approximate item count (DynamoDB refreshes it about every six hours): one call."""
        response = self._call(self.client.describe_table, TableName=self.name)
        return int(response.get("Table", {}).get("ItemCount", 0))

    # -- writes --------------------------------------------------------------------------------------------
    def put(
        self,
        item: Mapping[str, Any],
        *,
        condition: str | None = None,
        values: Mapping[str, Any] | None = None,
        names: Mapping[str, str] | None = None,
    ) -> None:
        """Put an item; raises ConditionFailed when `condition` does not hold."""
        params: dict[str, Any] = {"TableName": self.name, "Item": checked_item(item)}
        _add_condition(params, condition, values, names)
        self._call(self.client.put_item, **params)

    def delete(self, pk: str, sk: str, *, condition: str | None = None,
               values: Mapping[str, Any] | None = None, names: Mapping[str, str] | None = None) -> None:
        params: dict[str, Any] = {"TableName": self.name, "Key": self.key(pk, sk)}
        _add_condition(params, condition, values, names)
        self._call(self.client.delete_item, **params)

    def update(
        self,
        pk: str,
        sk: str,
        *,
        expression: str,
        values: Mapping[str, Any] | None = None,
        names: Mapping[str, str] | None = None,
        condition: str | None = None,
        return_new: bool = False,
        old_on_failure: bool = False,
    ) -> Item | None:
        """Update an item; ConditionFailed when `condition` does not hold (with the stored item, or {} when there
        is none, if `old_on_failure`: one round trip tells a duplicate from a stale write)."""
        params: dict[str, Any] = {"TableName": self.name, "Key": self.key(pk, sk), "UpdateExpression": expression}
        _add_condition(params, condition, values, names)
        if return_new:
            params["ReturnValues"] = "ALL_NEW"
        if old_on_failure:
            params["ReturnValuesOnConditionCheckFailure"] = "ALL_OLD"
        response = self._call(self.client.update_item, **params)
        attributes = response.get("Attributes")
        return from_attributes(attributes) if attributes else None

    def batch_write(self, *, puts: Sequence[Mapping[str, Any]] = (), deletes: Sequence[tuple[str, str]] = ()) -> int:
        """Put and delete items with BatchWriteItem (25 a call, unconditional, so every write is idempotent);
        what DynamoDB leaves unprocessed is retried with backoff.  Returns how many writes were made."""
        requests = [{"PutRequest": {"Item": checked_item(item)}} for item in puts]
        requests += [{"DeleteRequest": {"Key": self.key(pk, sk)}} for pk, sk in deletes]
        for start in range(0, len(requests), BATCH_WRITE_MAX):
            pending: Any = {self.name: requests[start:start + BATCH_WRITE_MAX]}
            for attempt in range(UNPROCESSED_ATTEMPTS):
                pending = self._call(self.client.batch_write_item, RequestItems=pending).get("UnprocessedItems")
                if not pending:
                    break
                _backoff(attempt)
            else:
                raise StorageUnavailableError("storage throttled: writes left unprocessed")
        return len(requests)

    def transact(self, operations: list[dict[str, Any]], *, conflict_retries: int = CONFLICT_RETRIES) -> None:
        """Write operations atomically (one round trip; they may name other tables of the account).  Build them
        with the `tx_*` helpers below (of this table or another).  Each attempt carries a ClientRequestToken, so
        botocore's own retry of a call whose answer was lost (a timeout) is idempotent instead of a conflict with
        itself.  A cancellation by a concurrent transaction (TransactionConflict) is retried; any other raises
        TransactionFailed with the per-operation reasons and stored items."""
        for attempt in range(conflict_retries + 1):
            try:
                self._call(self.client.transact_write_items, TransactItems=operations,
                           ClientRequestToken=uuid.uuid4().hex)
                return
            except TransactionFailed as failure:
                if not failure.conflict or attempt == conflict_retries:
                    raise

    def tx_put(self, item: Mapping[str, Any], condition: str | None = None,
               values: Mapping[str, Any] | None = None, names: Mapping[str, str] | None = None, *,
               old_on_failure: bool = False) -> dict[str, Any]:
        op: dict[str, Any] = {"TableName": self.name, "Item": checked_item(item)}
        _add_condition(op, condition, values, names)
        if old_on_failure:
            op["ReturnValuesOnConditionCheckFailure"] = "ALL_OLD"
        return {"Put": op}

    def tx_delete(self, pk: str, sk: str, condition: str | None = None,
                  values: Mapping[str, Any] | None = None) -> dict[str, Any]:
        op: dict[str, Any] = {"TableName": self.name, "Key": self.key(pk, sk)}
        _add_condition(op, condition, values, None)
        return {"Delete": op}

    def tx_update(self, pk: str, sk: str, expression: str, values: Mapping[str, Any] | None = None,
                  names: Mapping[str, str] | None = None, condition: str | None = None) -> dict[str, Any]:
        op: dict[str, Any] = {"TableName": self.name, "Key": self.key(pk, sk), "UpdateExpression": expression}
        _add_condition(op, condition, values, names)
        return {"Update": op}

    def tx_check(self, pk: str, sk: str, condition: str, values: Mapping[str, Any] | None = None,
                 names: Mapping[str, str] | None = None) -> dict[str, Any]:
        op: dict[str, Any] = {"TableName": self.name, "Key": self.key(pk, sk)}
        _add_condition(op, condition, values, names)
        return {"ConditionCheck": op}

    # -- helpers -------------------------------------------------------------------------------------------
    @staticmethod
    def key(pk: str, sk: str) -> dict[str, Any]:
        return {"pk": {"S": pk}, "sk": {"S": sk}}

    def _call(self, operation: Any, **params: Any) -> Any:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            return operation(**params)
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code", "")
            if code == "ConditionalCheckFailedException":
                raw: Any = error.response.get("Item")
                raise ConditionFailed(from_attributes(raw) if raw else {}) from None
            if code == "TransactionCanceledException":
                cancelled = error.response.get("CancellationReasons", [])
                reasons = [r.get("Code", "None") for r in cancelled]
                if "ValidationError" in reasons:
                    raise RecordTooLargeError("the record is larger than the store accepts (400 KB)") from None
                items = [from_attributes(r["Item"]) if r.get("Item") else None for r in cancelled]
                raise TransactionFailed(reasons, items) from None
            if code == "ValidationException" and "size" in str(error.response.get("Error", {}).get("Message")):
                raise RecordTooLargeError("the record is larger than the store accepts (400 KB)") from None
            raise StorageUnavailableError(f"storage error: {code or 'unknown'}") from None
        except BotoCoreError as error:
            raise StorageUnavailableError(f"storage unreachable: {type(error).__name__}") from None


class ConditionFailed(Exception):
    """A conditional write did not apply (stale, duplicate, or already done).  `item`: the stored item when the
    write asked for it ({} when there was none)."""

    def __init__(self, item: Item | None = None) -> None:
        super().__init__("condition failed")
        self.item = item


class TransactionFailed(Exception):
    """A transaction was cancelled; `reasons[i]` is the code for operation i ('None' when it was fine) and
    `items[i]` the stored item where operation i asked for it."""

    def __init__(self, reasons: list[str], items: list[Item | None] | None = None) -> None:
        super().__init__(",".join(reasons))
        self.reasons = reasons
        self.items: list[Item | None] = items if items is not None else [None] * len(reasons)

    def item(self, index: int) -> Item | None:
        return self.items[index] if index < len(self.items) else None

    def offset(self, start: int) -> TransactionFailed:
        """The failure as seen by the operations from `start` on (their indexes made relative)."""
        return TransactionFailed(self.reasons[start:], self.items[start:])

    @property
    def conflict(self) -> bool:
        return "TransactionConflict" in self.reasons

    def failed(self, index: int) -> bool:
        return index < len(self.reasons) and self.reasons[index] == "ConditionalCheckFailed"


def _backoff(attempt: int) -> None:
    time.sleep(min(0.05 * 2 ** attempt, 1.0))


def _add_condition(
    params: dict[str, Any],
    condition: str | None,
    values: Mapping[str, Any] | None,
    names: Mapping[str, str] | None,
) -> None:
    if condition:
        params["ConditionExpression"] = condition
    if values:
        params["ExpressionAttributeValues"] = to_attributes(values)
    if names:
        params["ExpressionAttributeNames"] = dict(names)
