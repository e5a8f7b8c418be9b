"""Middleware: start-up validation, correlation ids and metrics flushing for every event type."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from chalice.app import Request

from chalicelib.handlers.http import response_for
from chalicelib.observability import flush_metrics, logger
from chalicelib.settings import ConfigurationError

_started = False


def ensure_started() -> None:
    """Validate the configuration (settings, the store's policy and retention, required secrets) once per process."""
    global _started
    if _started:
        return
    from chalicelib.policy import check_configuration
    from chalicelib.secrets import check_required_secrets
    from chalicelib.settings import get_settings

    check_configuration(get_settings())
    check_required_secrets()
    _started = True


def reset_started() -> None:
    global _started
    _started = False


def _correlation_id(event: Any) -> str | None:
    if isinstance(event, Request):
        headers: Any = event.headers or {}
        value = headers.get("x-request-id") or headers.get("x-amzn-trace-id") or (event.context or {}).get(
            "requestId")
        return str(value)[:128] if value else None
    context = getattr(event, "context", None)
    return getattr(context, "aws_request_id", None)


def observe(event: Any, get_response: Callable[[Any], Any]) -> Any:
    logger.set_correlation_id(_correlation_id(event))
    try:
        ensure_started()
    except ConfigurationError as error:
        if isinstance(event, Request):
            return response_for(error)
        logger.error("configuration error", extra={"detail": str(error)})
        raise
    try:
        return get_response(event)
    finally:
        flush_metrics()
