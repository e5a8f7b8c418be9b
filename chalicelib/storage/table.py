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

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from chalicelib.errors import StorageUnavailableError

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

EXPIRES_AT = "expires_at"
SUBJECT_INDEX = "subject_index"
DUE_INDEX = "due_index"
OPEN_INDEX = "open_index"

Item = dict[str, Any]


def _serializer() -> Any:
    from boto3.dynamodb.types import TypeSerializer

    return TypeSerializer()


def _deserializer() -> Any:
    from boto3.dynamodb.types import TypeDeserializer

    return TypeDeserializer()


def _plain(value: Any) -> Any:
    """Decimals back to int/float, recursively."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, set):
        return {_plain(v) for v in value}
    return value


def _dynamo_value(value: Any) -> Any:
    if isinstance(value, float):
        return Decimal(str(value))
    if isinstance(value, dict):
        return {k: _dynamo_value(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_dynamo_value(v) for v in value]
    return value


def to_attributes(item: Mapping[str, Any]) -> dict[str, Any]:
    serializer = _serializer()
    return {k: serializer.serialize(_dynamo_value(v)) for k, v in item.items() if v is not None}


def from_attributes(attributes: Mapping[str, Any]) -> Item:
    deserializer = _deserializer()
    return {k: _plain(deserializer.deserialize(v)) for k, v in attributes.items()}


def is_live(item: Mapping[str, Any], now: int) -> bool:
    expires = item.get(EXPIRES_AT)
    return expires is None or int(expires) > now


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
    ) -> Page:
        """One page of live items.  Expired items are filtered server-side (they still cost read capacity)."""
        params: dict[str, Any] = {
            "TableName": self.name,
            "KeyConditionExpression": key_condition,
            "FilterExpression": "attribute_not_exists(#exp) OR #exp > :__now",
            "ExpressionAttributeNames": {"#exp": EXPIRES_AT, **(names or {})},
            "ExpressionAttributeValues": to_attributes({**values, ":__now": now}),
            "Limit": limit,
            "ScanIndexForward": forward,
        }
        if index:
            params["IndexName"] = index
        elif consistent:
            params["ConsistentRead"] = True
        if cursor:
            params["ExclusiveStartKey"] = cursor
        response = self._call(self.client.query, **params)
        return Page([from_attributes(raw) for raw in response.get("Items", [])], response.get("LastEvaluatedKey"))

    def query_all(self, **kwargs: Any) -> Iterator[Item]:
        """Every live item of a query, fetched page by page (memory stays bounded by one page)."""
        cursor = None
        while True:
            page = self.query_page(cursor=cursor, **kwargs)
            yield from page.items
            if not page.cursor:
                return
            cursor = page.cursor

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
        require_expiry(item)
        params: dict[str, Any] = {"TableName": self.name, "Item": to_attributes(item)}
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
    ) -> Item | None:
        params: dict[str, Any] = {"TableName": self.name, "Key": self.key(pk, sk), "UpdateExpression": expression}
        _add_condition(params, condition, values, names)
        if return_new:
            params["ReturnValues"] = "ALL_NEW"
        response = self._call(self.client.update_item, **params)
        attributes = response.get("Attributes")
        return from_attributes(attributes) if attributes else None

    def transact(self, operations: list[dict[str, Any]]) -> None:
        """Write operations atomically (one round trip).  Build them with the `tx_*` helpers below.
        Raises TransactionFailed with the per-operation cancellation reasons."""
        self._call(self.client.transact_write_items, TransactItems=operations)

    def tx_put(self, item: Mapping[str, Any], condition: str | None = None,
               values: Mapping[str, Any] | None = None, names: Mapping[str, str] | None = None) -> dict[str, Any]:
        require_expiry(item)
        op: dict[str, Any] = {"TableName": self.name, "Item": to_attributes(item)}
        _add_condition(op, condition, values, names)
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
                raise ConditionFailed() from None
            if code == "TransactionCanceledException":
                reasons = [r.get("Code", "None") for r in error.response.get("CancellationReasons", [])]
                raise TransactionFailed(reasons) from None
            raise StorageUnavailableError(f"storage error: {code or 'unknown'}") from None
        except BotoCoreError as error:
            raise StorageUnavailableError(f"storage unreachable: {type(error).__name__}") from None


class ConditionFailed(Exception):
    """A conditional write did not apply (stale, duplicate, or already done)."""


class TransactionFailed(Exception):
    """A transaction was cancelled; `reasons[i]` is the code for operation i ('None' when it was fine)."""

    def __init__(self, reasons: list[str]) -> None:
        super().__init__(",".join(reasons))
        self.reasons = reasons

    @property
    def conflict(self) -> bool:
        return "TransactionConflict" in self.reasons

    def failed(self, index: int) -> bool:
        return index < len(self.reasons) and self.reasons[index] == "ConditionalCheckFailed"


def require_expiry(item: Mapping[str, Any]) -> None:
    if not isinstance(item.get(EXPIRES_AT), int):
        raise ValueError(f"item {item.get('pk')!s:.12}/{item.get('sk')!s:.12} has no integer expires_at")


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
