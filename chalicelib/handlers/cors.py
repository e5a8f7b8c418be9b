"""CORS for a list of allowed origins (Chalice's CORSConfig takes a single origin per route).  `http.api_route`
with `cors=` applies it: the origin is checked first, and every answer (errors included, through the one error
path) carries the CORS headers.

- A request whose `Origin` is in ALLOWED_ORIGINS gets `Access-Control-Allow-Origin: <that origin>` and `Vary: Origin`.
- A request from any other origin is refused (403) before anything is stored: a browser would not let the page read
  the answer anyway, and a disallowed site must not be able to write consent records for our visitors.
- Requests without `Origin` (server to server, curl) are not cross-origin and pass, and so do the API's own pages
  (the privacy center): an `Origin` whose host is the request's `Host` is same-origin, needing no CORS headers.
- Preflight (`OPTIONS`) answers 204 with the allowed methods and headers for an allowed origin, 403 otherwise.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from chalice.app import Blueprint, Response

from chalicelib.errors import ForbiddenError

ALLOWED_HEADERS = "Content-Type, Authorization"
MAX_AGE_SECONDS = "600"


def _origin(headers: Mapping[str, str]) -> str | None:
    value = headers.get("origin") or headers.get("Origin")
    return value.strip() if value else None


def _same_origin(origin: str, headers: Mapping[str, str]) -> bool:
    host = headers.get("host") or headers.get("Host")
    return bool(host) and origin.partition("://")[2] == str(host).strip().lower()


def check_origin(headers: Mapping[str, str], allowed: Iterable[str]) -> dict[str, str]:
    """The CORS headers of an actual request; ForbiddenError for an origin that is not allowed."""
    origin = _origin(headers)
    if origin is None or _same_origin(origin, headers):
        return {}
    if origin not in set(allowed):
        raise ForbiddenError("origin not allowed", field="Origin")
    return {"Access-Control-Allow-Origin": origin, "Vary": "Origin"}


def preflight_headers(headers: Mapping[str, str], allowed: Iterable[str], methods: Iterable[str]) -> dict[str, str]:
    """The headers of a preflight answer; ForbiddenError when the origin (or a missing one) is not allowed."""
    origin = _origin(headers)
    if origin is None or origin not in set(allowed):
        raise ForbiddenError("origin not allowed", field="Origin")
    return {"Access-Control-Allow-Origin": origin, "Vary": "Origin",
            "Access-Control-Allow-Methods": ", ".join([*methods, "OPTIONS"]),
            "Access-Control-Allow-Headers": ALLOWED_HEADERS, "Access-Control-Max-Age": MAX_AGE_SECONDS}


def register_preflight(bp: Blueprint, path: str, methods: list[str], allowed: Callable[[], Iterable[str]],
                       name: str, route: Callable[..., Any]) -> None:
    """The `OPTIONS` route of a CORS path (one per path, however many methods are registered on it)."""
    key = (id(bp), path)
    if key in _PREFLIGHTS:
        _PREFLIGHTS[key].extend(methods)
        return
    route_methods = _PREFLIGHTS[key] = list(methods)

    def preflight(*_: Any, **__: Any) -> Response:
        headers = preflight_headers(bp.current_request.headers, allowed(), route_methods)
        return Response(body="", status_code=204, headers={**headers, "Cache-Control": "no-store"})

    preflight.__name__ = f"{name}_preflight"
    route(bp, path, methods=["OPTIONS"], responses=(204, 403), summary="CORS preflight")(preflight)


_PREFLIGHTS: dict[tuple[int, str], list[str]] = {}
