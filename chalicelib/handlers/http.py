"""HTTP plumbing shared by every blueprint, and the one place where errors become answers (`response_for`).

`api_route(bp, path, ..., cors=allowed_origins)` registers a view wrapped so that
- a DomainError answers its status with `{"error": code, "message": ..., "field": ...}` (and `Retry-After` where it
  says when to retry);
- any unexpected exception answers a JSON 500 without a stack trace (logged by type, never with the payload);
- with `cors`, the origin is checked first and every answer, errors included, carries the CORS headers;
- bodies are bounded (`max_body` bytes, 413 above) and parsed by the strict JSON reader.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from chalice.app import Blueprint, Response
from pydantic import BaseModel, ValidationError

from chalicelib.errors import DomainError, InvalidInputError, PayloadTooLargeError
from chalicelib.handlers import openapi
from chalicelib.handlers.cors import check_origin, register_preflight
from chalicelib.observability import logger

M = TypeVar("M", bound=BaseModel)
View = Callable[..., Any]

JSON_HEADERS = {"Content-Type": "application/json", "Cache-Control": "no-store"}


def json_response(status: int, body: Any, headers: dict[str, str] | None = None) -> Response:
    return Response(body=json.dumps(body, separators=(",", ":"), ensure_ascii=False), status_code=status,
                    headers={**JSON_HEADERS, **(headers or {})})


def error_response(error: DomainError) -> Response:
    body: dict[str, Any] = {"error": error.code, "message": error.message}
    if error.field:
        body["field"] = error.field
    retry_after = error.retry_after or (5 if error.status == 503 else None)
    headers = {"Retry-After": str(retry_after)} if retry_after else None
    return json_response(error.status, body, headers)


def response_for(error: BaseException) -> Response:
    """THE mapping of an error to an answer (every route, the CORS check and the start-up check come here):
    a DomainError answers its status and code; a configuration error a 500 naming no setting; anything else a
    JSON 500 without a trace (logged by type, never with the payload)."""
    from chalicelib.settings import ConfigurationError

    if isinstance(error, DomainError):
        if error.status >= 500:
            logger.error("request failed", extra={"error": error.code})
        else:
            logger.info("request refused", extra={"error": error.code, "status": error.status})
        return error_response(error)
    if isinstance(error, ConfigurationError):
        logger.error("configuration error", extra={"detail": str(error)})
        return json_response(500, {"error": "configuration_error", "message": "service not configured"})
    logger.error("unexpected error", exc_info=error, extra={"error_type": type(error).__name__})
    return json_response(500, {"error": "internal_error", "message": "An internal error occurred."})


def api_route(bp: Blueprint, path: str, *, cors: Callable[[], Iterable[str]] | None = None,
              body: Any = None, responses: Iterable[int] = (200,), summary: str | None = None,
              auth: str | None = None, query: Iterable[str] = (), produces: str = "application/json",
              signed: str | None = None, returns: Any = None, **options: Any) -> Callable[[View], View]:
    """Register a view whose errors go through `response_for`.  With `cors` (the allowed origins), the origin is
    checked before the view runs (403 for another origin, nothing stored), every answer carries the CORS headers,
    and the path gets its preflight route.  `body` (the pydantic model(s) the view validates with), `responses`
    (its success codes and the 4xx it raises itself), `returns` (the first success code's body), `summary`, `auth`
    (a security scheme), `query`, `produces` and `signed` (a webhook provider) describe the route in
    `GET /openapi.json` (handlers/openapi.py)."""
    methods: list[str] = list(options.get("methods") or ["GET"])

    def register(view: View) -> View:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            cors_headers: dict[str, str] = {}
            try:
                if cors is not None:
                    cors_headers = check_origin(bp.current_request.headers, cors())
                response = view(*args, **kwargs)
            except Exception as error:  # the one error path: never a stack trace to the caller
                response = response_for(error)
            response.headers.update(cors_headers)
            return response

        wrapper.__name__ = view.__name__
        wrapper.__doc__ = view.__doc__
        bp.route(path, **options)(wrapper)
        for method in methods:
            openapi.record(path, method, name=view.__name__, body=body, responses=responses, auth=auth,
                           summary=summary or (view.__doc__ or "").strip().split("\n")[0] or None,
                           body_types=options.get("content_types") or (), query=query, produces=produces,
                           headers=openapi.SIGNATURES.get(signed or "", ()), cors=cors is not None,
                           module=str(getattr(bp, "_import_name", "")), returns=returns)
        if cors is not None:
            register_preflight(bp, path, methods, cors, view.__name__, api_route)
        return view

    return register


def raw_body(bp: Blueprint, max_body: int) -> bytes:
    raw = bp.current_request.raw_body or b""
    body = raw.encode() if isinstance(raw, str) else raw
    if len(body) > max_body:
        raise PayloadTooLargeError(f"body larger than {max_body} bytes")
    return body


def header(bp: Blueprint, name: str) -> str | None:
    value = bp.current_request.headers.get(name)
    return str(value) if value is not None else None


def describe_validation(error: ValidationError) -> tuple[str, str]:
    """(field, message) of the first problem; the input value is never echoed back."""
    first = error.errors()[0]
    field = ".".join(str(part) for part in first["loc"]) or "body"
    return field, f"{field}: {first['msg']}"


def parse_model(model: type[M], body: bytes) -> M:
    """Parse a JSON body into a model; a clear 400 naming the field otherwise."""
    from chalicelib.payloads.strict_json import JsonRejected, loads

    try:
        data = loads(body) if body else None
    except JsonRejected as error:
        raise InvalidInputError(str(error), field="body") from None
    if not isinstance(data, dict):
        raise InvalidInputError("body must be a JSON object", field="body")
    try:
        return model.model_validate(data)
    except ValidationError as error:
        field, message = describe_validation(error)
        raise InvalidInputError(message, field=field) from None


def json_body(bp: Blueprint, model: type[M], max_body: int) -> M:
    return parse_model(model, raw_body(bp, max_body))
