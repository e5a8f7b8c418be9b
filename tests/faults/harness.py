"""Fault injection for the fault suites: every AWS call a use case makes is recorded (botocore `before-call` hooks on
the app's own clients, chalicelib/aws.py), then each call in turn is made to fail as AWS fails it (throttling, 5xx)
-- nothing of the code under test is replaced.  `delta` compares what a use case added to the table, with the
values that are random by design (ciphertexts, wrapped keys, ids) reduced to their shape."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

SERVICES = ("dynamodb", "kms", "s3", "ses")
THROTTLING = {"dynamodb": "ProvisionedThroughputExceededException", "kms": "ThrottlingException",
              "s3": "SlowDown", "ses": "Throttling"}
SERVER_ERROR = {"dynamodb": "InternalServerError", "kms": "KMSInternalException", "s3": "InternalError",
                "ses": "ServiceUnavailable"}
OPAQUE = {"sealed", "wrapped", "proof", "ciphertext", "token_hash"}  # random by design: compared by shape


def clients() -> dict[str, Any]:
    from chalicelib import aws

    return {service: aws.client(service) for service in SERVICES}


@contextmanager
def recording() -> Iterator[list[tuple[str, str]]]:
    """Yields the (service, operation) of every AWS call made while the block runs, in order."""
    calls: list[tuple[str, str]] = []
    with _before_every_call(lambda service, name: calls.append((service, name))):
        yield calls


@contextmanager
def _before_every_call(observe: Callable[[str, str], None]) -> Iterator[None]:
    """`observe(service, operation)` runs before every AWS call of every client (it may raise to stop the call)."""
    hooks = []
    for service, client in clients().items():
        def hook(model: Any = None, _service: str = service, **_: Any) -> None:
            observe(_service, model.name)

        client.meta.events.register(f"before-call.{client.meta.service_model.endpoint_prefix}", hook)
        hooks.append((client, hook))
    try:
        yield
    finally:
        for client, hook in hooks:
            client.meta.events.unregister(f"before-call.{client.meta.service_model.endpoint_prefix}", hook)


@contextmanager
def failing(service: str, operation: str, nth: int, code: str) -> Iterator[list[str]]:
    """The `nth` call (1-based) of `service`'s `operation` fails once with a ClientError `code`."""
    from botocore.exceptions import ClientError

    client = clients()[service]
    seen: list[str] = []
    refused: list[str] = []
    event = f"before-call.{client.meta.service_model.endpoint_prefix}.{operation}"

    def refuse(**_: Any) -> None:
        seen.append(operation)
        if len(seen) == nth:
            refused.append(operation)
            raise ClientError({"Error": {"Code": code, "Message": "injected"}, "ResponseMetadata": {
                "HTTPStatusCode": 400 if "Throttl" in code or code in ("SlowDown",) else 500}}, operation)

    client.meta.events.register(event, refuse)
    try:
        yield refused
    finally:
        client.meta.events.unregister(event, refuse)


def call_positions(calls: list[tuple[str, str]]) -> list[tuple[str, str, int]]:
    """Each call as (service, operation, n): the n-th call of that operation."""
    counts: Counter[tuple[str, str]] = Counter()
    positions = []
    for call in calls:
        counts[call] += 1
        positions.append((*call, counts[call]))
    return positions


def _shape(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _shape(v) for k, v in sorted(value.items())}
    if isinstance(value, list | tuple):
        return [_shape(v) for v in value]
    return type(value).__name__


def normalise(item: dict[str, Any], replace: dict[str, str]) -> str:
    """One item as a comparable string: the ids in `replace` by placeholders, hex ids and opaque values reduced."""
    def norm(value: Any, key: str = "") -> Any:
        if key in OPAQUE:
            return _shape(value)
        if isinstance(value, dict):
            return {k: norm(v, k) for k, v in sorted(value.items())}
        if isinstance(value, list | tuple | set):
            return sorted((norm(v) for v in value), key=repr)
        text = str(value)
        for old, new in replace.items():
            text = text.replace(old, new)
        return re.sub(r"[0-9a-f]{16,}", "<hex>", text)

    return repr(norm(item))


def delta(before: list[dict[str, Any]], after: list[dict[str, Any]], replace: dict[str, str]) -> Counter[str]:
    """What `after` holds that `before` did not (new or changed items), normalised."""
    old = {repr(sorted(i.items(), key=lambda kv: kv[0])) for i in before}
    return Counter(normalise(i, replace) for i in after if repr(sorted(i.items(), key=lambda kv: kv[0])) not in old)


def first_fault_cases(action: Callable[[], Any]) -> list[tuple[str, str, int]]:
    with recording() as calls:
        action()
    return call_positions(calls)


@contextmanager
def failing_call(service: str, nth: int, code: str) -> Iterator[list[str]]:
    """The `nth` call (1-based) of any operation of `service` fails once with a ClientError `code`."""
    from botocore.exceptions import ClientError

    client = clients()[service]
    seen: list[str] = []
    refused: list[str] = []
    event = f"before-call.{client.meta.service_model.endpoint_prefix}"

    def refuse(model: Any = None, **_: Any) -> None:
        seen.append(model.name)
        if len(seen) == nth:
            refused.append(model.name)
            raise ClientError({"Error": {"Code": code, "Message": "injected"}}, model.name)

    client.meta.events.register(event, refuse)
    try:
        yield refused
    finally:
        client.meta.events.unregister(event, refuse)


class TimeLimit(BaseException):
    """The Lambda's time limit, reached in the middle of a call: nothing after it runs in this invocation."""


@contextmanager
def time_limit_at(nth: int) -> Iterator[list[str]]:
    """The invocation ends (TimeLimit) at its `nth` AWS call (1-based, any service), before that call is made."""
    seen: list[str] = []

    def observe(_service: str, name: str) -> None:
        seen.append(name)
        if len(seen) == nth:
            raise TimeLimit(name)

    with _before_every_call(observe):
        yield seen
