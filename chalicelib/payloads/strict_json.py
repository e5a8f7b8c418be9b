"""The one JSON reader for bodies from outside: what it returns can be validated, stored and encrypted.

`json.loads` alone accepts what no store can keep: `NaN` and `Infinity` (and `1e400`, which becomes infinity),
integers of thousands of digits, lone UTF-16 surrogates (`"\\ud800"`, which no UTF-8 encoder takes), and nesting
deep enough to exhaust the interpreter's stack.  Each of these gave a 500 somewhere downstream.  Here they are a
`JsonRejected` (a 400 for the caller) before anything else sees them:

- the body must be UTF-8;
- numbers must be finite, integers at most 19 digits (int64), floats within +-1e100 (DynamoDB numbers stop at
  1e126 and 38 digits of precision; the product has no use for more);
- strings (keys and values) must be valid Unicode text: no lone surrogates;
- nesting at most MAX_DEPTH levels (checked without recursion).

The standard library's parser does the parsing; only these checks are ours, because no maintained library offers
them as options of `json.loads`.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

MAX_DEPTH = 32
MAX_INT_DIGITS = 19
MAX_FLOAT = 1e100
MIN_FLOAT = 1e-100
_SURROGATE = re.compile("[\ud800-\udfff]")


class JsonRejected(ValueError):
    """A body that is not JSON this service can accept (the message names the problem, never the value)."""


def _constant(name: str) -> Any:
    raise JsonRejected(f"{name} is not a JSON number this service accepts")


def _integer(text: str) -> int:
    if len(text.lstrip("-")) > MAX_INT_DIGITS:
        raise JsonRejected("number out of range")
    return int(text)


def _float(text: str) -> float:
    value = float(text)
    magnitude = abs(value)
    if not math.isfinite(value) or magnitude > MAX_FLOAT or (0 < magnitude < MIN_FLOAT):
        raise JsonRejected("number out of range")
    return value


def _check_text(text: str) -> None:
    if _SURROGATE.search(text):
        raise JsonRejected("text is not valid Unicode")


def check_tree(data: Any, *, max_depth: int = MAX_DEPTH) -> None:
    """Depth and text checks on an already parsed value, iteratively (no recursion, whatever the depth)."""
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, str):
            _check_text(value)
        elif isinstance(value, dict | list):
            if depth > max_depth:
                raise JsonRejected(f"nested deeper than {max_depth} levels")
            if isinstance(value, dict):
                for key, item in value.items():
                    _check_text(key)
                    stack.append((item, depth + 1))
            else:
                stack.extend((item, depth + 1) for item in value)


def loads(body: bytes | str) -> Any:
    """Parse a JSON document under the rules above; JsonRejected otherwise."""
    try:
        text = body.decode("utf-8") if isinstance(body, bytes | bytearray) else body
    except UnicodeDecodeError:
        raise JsonRejected("body is not UTF-8") from None
    try:
        data = json.loads(text, parse_constant=_constant, parse_int=_integer, parse_float=_float)
    except JsonRejected:
        raise
    except RecursionError:
        raise JsonRejected(f"nested deeper than {MAX_DEPTH} levels") from None
    except ValueError:
        raise JsonRejected("body is not valid JSON") from None
    check_tree(data)
    return data
