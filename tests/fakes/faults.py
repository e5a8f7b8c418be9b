"""Faults injected from outside the code under test: botocore event hooks on the app's own clients (the AWS call
fails as AWS would fail it), and ports that fail part-way (passed to the container like any fake)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


@contextmanager
def refusing(client: Any, operation: str, *, code: str = "Throttling", times: int | None = None) -> Iterator[list[str]]:
    """Make `client`'s `operation` (e.g. "SendRawEmail") fail with a ClientError `code`, `times` times (None: every
    time) while the block runs.  Yields the list of refusals made."""
    from botocore.exceptions import ClientError

    refused: list[str] = []
    event = f"before-call.{client.meta.service_model.endpoint_prefix}.{operation}"

    def refuse(**_: Any) -> None:
        if times is None or len(refused) < times:
            refused.append(operation)
            raise ClientError({"Error": {"Code": code, "Message": "injected"}}, operation)

    client.meta.events.register(event, refuse)
    try:
        yield refused
    finally:
        client.meta.events.unregister(event, refuse)


class FailingAfter:
    """Wraps a port: its `method` raises RuntimeError after `after` items (generators) or calls."""

    def __init__(self, real: Any, method: str, after: int) -> None:
        self._real, self._method, self._after = real, method, after

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._real, name)
        if name != self._method:
            return value

        def failing(*args: Any, **kwargs: Any) -> Any:
            result = value(*args, **kwargs)
            if hasattr(result, "__next__"):
                return self._fail_during(result)
            raise RuntimeError("injected failure")

        return failing

    def _fail_during(self, items: Iterator[Any]) -> Iterator[Any]:
        for n, item in enumerate(items):
            if n >= self._after:
                raise RuntimeError("injected failure")
            yield item


DYNAMODB_WRITES = ("PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems", "BatchWriteItem")


@contextmanager
def writes_fail_after(client: Any, after: int, *, code: str = "ProvisionedThroughputExceededException",
                      operations: tuple[str, ...] = DYNAMODB_WRITES) -> Iterator[list[str]]:
    """Let `after` of the DynamoDB client's write calls through, then refuse every write as DynamoDB does under
    throttling (a botocore event hook: nothing of the code under test is replaced).  Yields the calls let through."""
    from botocore.exceptions import ClientError

    passed: list[str] = []

    def gate(model: Any = None, **_: Any) -> None:
        if model.name not in operations:
            return
        if len(passed) >= after:
            raise ClientError({"Error": {"Code": code, "Message": "injected"}}, model.name)
        passed.append(model.name)

    client.meta.events.register("before-call.dynamodb", gate)
    try:
        yield passed
    finally:
        client.meta.events.unregister("before-call.dynamodb", gate)
