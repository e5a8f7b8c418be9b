"""HTTP plumbing shared by every blueprint: the one place where errors become responses.

`api_route(bp, path, ...)` registers a view wrapped so that
- a DomainError answers its status with `{"error": code, "message": ..., "field": ...}`;
- any unexpected exception answers a JSON 500 without a stack trace (logged by type, never with the payload);
- the body is bounded (`max_body` bytes, 413 above).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, TypeVar

from chalice.app import Blueprint, Response
from pydantic import BaseModel, ValidationError

from chalicelib.errors import DomainError, InvalidInputError, PayloadTooLargeError
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


def internal_error_response() -> Response:
    return json_response(500, {"error": "internal_error", "message": "An internal error occurred."})


def mapped(view: View) -> View:
    """Map domain errors (and anything unexpected) to JSON responses."""

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return view(*args, **kwargs)
        except DomainError as error:
            if error.status >= 500:
                logger.error("request failed", extra={"error": error.code})
            else:
                logger.info("request refused", extra={"error": error.code, "status": error.status})
            return error_response(error)
        except Exception as error:  # the last line of defence: never a stack trace to the caller
            logger.exception("unexpected error", extra={"error_type": type(error).__name__})
            return internal_error_response()

    wrapper.__name__ = view.__name__
    wrapper.__doc__ = view.__doc__
    return wrapper


def api_route(bp: Blueprint, path: str, **options: Any) -> Callable[[View], View]:
    def register(view: View) -> View:
        bp.route(path, **options)(mapped(view))
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
