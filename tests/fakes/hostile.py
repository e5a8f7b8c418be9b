"""Hostile JSON values and the check every route's hostile-input property uses (tests/functional/test_hostile_input.py
and the property tests of other routes): a 4xx and nothing stored (tables, intake queue, sent mail), never a 5xx."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from hypothesis import HealthCheck, settings

JSON = {"Content-Type": "application/json"}
MARK = "__HOSTILE__"
HOSTILE_SETTINGS = settings(max_examples=25, deadline=None, derandomize=True,
                            suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


@dataclass(frozen=True)
class Hostile:
    """A raw JSON text to put in place of a value, and whether every route must refuse it."""

    text: str
    always_refused: bool
    name: str


def _nested(depth: int) -> str:
    return "[" * depth + "]" * depth


NEVER_ACCEPTED = [
    Hostile(_nested(40), True, "depth 40"), Hostile(_nested(1000), True, "depth 1000"),
    Hostile('{"a":' * 500 + "1" + "}" * 500, True, "object depth 500"),
    Hostile("NaN", True, "NaN"), Hostile("Infinity", True, "Infinity"), Hostile("-Infinity", True, "-Infinity"),
    Hostile("1e400", True, "1e400"), Hostile("-1e400", True, "-1e400"), Hostile(str(10**40), True, "10^40"),
    Hostile(str(-(10**40)), True, "-10^40"), Hostile(str(10**19), True, "10^19"),
    Hostile('"\\ud800"', True, "lone high surrogate"), Hostile('"a\\udfffb"', True, "lone low surrogate"),
    Hostile('{"\\ud83d": 1}', True, "surrogate key"),
]
MAYBE_ACCEPTED = [
    Hostile('"\\u0000"', False, "NUL"), Hostile('"\\u0001\\u007f"', False, "control"),
    Hostile('"\\u202e"', False, "RTL override"), Hostile('"x\\r\\nBcc: evil@example.com"', False, "CRLF header"),
    Hostile("true", False, "true"), Hostile("false", False, "false"), Hostile("null", False, "null"),
    Hostile("[]", False, "empty list"), Hostile("{}", False, "empty object"), Hostile("0", False, "zero"),
    Hostile("-1", False, "minus one"), Hostile("1.5", False, "float"), Hostile(str(2**63 - 1), False, "int64 max"),
    Hostile('"' + "y" * 5000 + '"', False, "5 000 chars"), Hostile('"' + "z" * 390_000 + '"', False, "390 KB"),
    Hostile('"' + "w" * 1_100_000 + '"', True, "past the body limit"),
    Hostile('[' + ",".join(['"x"'] * 2000) + ']', False, "long list"),
]
HOSTILE = NEVER_ACCEPTED + MAYBE_ACCEPTED


def paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every place a value sits in a JSON document (the root included)."""
    found = [prefix]
    if isinstance(value, dict):
        for key, item in value.items():
            found += paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += paths(item, (*prefix, index))
    return found


def with_hostile(base: Any, path: tuple[Any, ...], hostile: Hostile) -> bytes:
    """The base document with the value at `path` replaced by the hostile raw text."""
    if not path:
        return hostile.text.encode("utf-8", "surrogatepass")
    document = json.loads(json.dumps(base))
    target = document
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = MARK
    text = json.dumps(document).replace(f'"{MARK}"', hostile.text, 1)
    return text.encode("utf-8", "surrogatepass")


@dataclass(frozen=True)
class Route:
    name: str
    base: Any
    send: Callable[[Any, bytes], Any]


def stored_state(container: Any, table_items: Any) -> Callable[[], Any]:
    """What a refused request must not change: every item of both tables, the intake queue, the sent mail."""
    from chalicelib import aws

    sqs, url = aws.client("sqs"), container.settings.intake_queue_url

    def state() -> Any:
        from moto.core import DEFAULT_ACCOUNT_ID
        from moto.ses.models import ses_backends

        queued = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])
        sent = len(ses_backends[DEFAULT_ACCOUNT_ID]["eu-west-1"].sent_messages)
        items = sorted(json.dumps(item, sort_keys=True, default=repr) for item in table_items())
        return items, queued["Attributes"]["ApproximateNumberOfMessages"], sent

    return state


def check(client: Any, world: Callable[[], Any], route: Route, body: bytes, hostile: Hostile) -> None:
    before = world()
    response = route.send(client, body)
    status = response.status_code
    assert status < 500, f"{route.name} / {hostile.name}: {status} {response.body[:200]!r}"
    if hostile.always_refused:
        assert 400 <= status < 500, f"{route.name} / {hostile.name}: accepted with {status}"
    if status >= 400:
        assert world() == before, f"{route.name} / {hostile.name}: a refused request changed the stored state"
        assert json.loads(response.body)["error"]  # a clear error, never a stack trace


def hostile_anywhere(client: Any, world: Callable[[], Any], route: Route, data: Any) -> None:
    """One example of the property every JSON route keeps: a hostile value at any place of a valid body is refused
    (nothing changed) or harmless, never a 5xx.  `data` is hypothesis' `st.data()`."""
    from hypothesis import strategies as st

    path = data.draw(st.sampled_from(paths(route.base)), label="path")
    hostile = data.draw(st.sampled_from(HOSTILE), label="hostile")
    check(client, world, route, with_hostile(route.base, path, hostile), hostile)
