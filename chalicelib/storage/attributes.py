"""Items as DynamoDB stores them: plain values <-> AttributeValues, item sizes, the expiry every item carries."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from chalicelib.errors import RecordTooLargeError

EXPIRES_AT = "expires_at"
MAX_ITEM_BYTES = 400 * 1024  # DynamoDB's item size limit (attribute names and values, UTF-8)

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


def attribute_size(value: Mapping[str, Any]) -> int:
    """DynamoDB's size of one AttributeValue (its documented rules, rounded up: numbers count one byte a digit)."""
    (kind, inner), = value.items()
    if kind in ("S", "N"):
        return len(str(inner).encode())
    if kind == "B":
        return len(inner)
    if kind in ("BOOL", "NULL"):
        return 1
    if kind in ("SS", "NS"):
        return sum(len(str(v).encode()) for v in inner)
    if kind == "BS":
        return sum(len(v) for v in inner)
    if kind == "L":
        return 3 + sum(1 + attribute_size(v) for v in inner)
    return 3 + sum(len(k.encode()) + 1 + attribute_size(v) for k, v in inner.items())  # M


def item_size(attributes: Mapping[str, Any]) -> int:
    return sum(len(name.encode()) + attribute_size(value) for name, value in attributes.items())


def checked_item(item: Mapping[str, Any]) -> dict[str, Any]:
    """The item's attributes, or RecordTooLargeError (413) before any write when DynamoDB would refuse it."""
    require_expiry(item)
    attributes = to_attributes(item)
    if item_size(attributes) > MAX_ITEM_BYTES:
        raise RecordTooLargeError("the record is larger than the store accepts (400 KB)")
    return attributes


def is_live(item: Mapping[str, Any], now: int) -> bool:
    expires = item.get(EXPIRES_AT)
    return expires is None or int(expires) > now


def require_expiry(item: Mapping[str, Any]) -> None:
    if not isinstance(item.get(EXPIRES_AT), int):
        raise ValueError(f"item {item.get('pk')!s:.12}/{item.get('sk')!s:.12} has no integer expires_at")

