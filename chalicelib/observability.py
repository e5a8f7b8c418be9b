"""One Logger and one Metrics for the service.

Personal data never reaches the logs: code logs identifiers and counts, never payloads, and as a safety net the
formatter scrubs anything shaped like an e-mail address, an IP address or a phone number from every record
(exception messages and tracebacks included, since validation errors can echo input).
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter

if TYPE_CHECKING:
    from aws_lambda_powertools import Metrics

SERVICE = "privacy-backend"
NAMESPACE = "PrivacyBackend"

_EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+(?:@|%40)[A-Za-z0-9.\-]+\.[A-Za-z]{2,}")
_IPV4 = re.compile(r"(?<![\d.])(?:\d{1,3}\.){3}\d{1,3}(?!\d)")
_IPV6 = re.compile(r"(?<![\w:])[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}(?![\w:])")
_PHONE = re.compile(r"(?<![\w+])(?:\+\s?\d|\(\d|\d)[\d ()\-./]{5,}\d(?!\w)")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")
# Keys whose values are produced by the logger itself, not by our data.
_OWN_KEYS = frozenset({"timestamp", "level", "service", "location", "sampling_rate", "cold_start", "function_name",
                       "function_memory_size", "function_arn", "function_request_id", "xray_trace_id"})


def _ipv6(match: re.Match[str]) -> str:
    text = match.group(0)
    return "[ip]" if "::" in text or text.count(":") >= 5 else text


def _phone(match: re.Match[str]) -> str:
    text = match.group(0)
    digits = sum(ch.isdigit() for ch in text)
    plain = text.isdigit()  # a bare number (ids, epochs) is not treated as a phone number
    return "[phone]" if digits >= 7 and not plain and not _DATE.match(text) else text


def redact(text: str) -> str:
    """Scrub e-mail addresses, IP addresses and phone numbers from a string."""
    text = _EMAIL.sub("[email]", text)
    text = _IPV6.sub(_ipv6, text)
    text = _IPV4.sub("[ip]", text)
    return _PHONE.sub(_phone, text)


def _redact_value(value: Any) -> Any:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {k: _redact_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_redact_value(v) for v in value]
    if value is None or isinstance(value, bool | int | float):
        return value
    return redact(str(value))  # exceptions and other objects are serialised through str()


class RedactingFormatter(LambdaPowertoolsFormatter):
    """Redacts every field of the record (message, extra keys, exception and stack trace) before serialising."""

    def serialize(self, log: Any) -> str:
        return super().serialize({k: v if k in _OWN_KEYS else _redact_value(v) for k, v in dict(log).items()})


logger = Logger(service=SERVICE, logger_formatter=RedactingFormatter(), use_rfc3339=True)


@lru_cache(maxsize=1)
def get_metrics() -> Metrics:
    """Metrics is built on first use (it costs import time that most cold starts do not need)."""
    from aws_lambda_powertools import Metrics

    return Metrics(namespace=NAMESPACE, service=SERVICE)


def metric_name(*parts: str) -> str:
    """The one naming style of metrics: PascalCase words, e.g. ("woocommerce", "order", "accepted") ->
    "WooCommerceOrderAccepted", ("Mail", "ignored_list") -> "MailIgnoredList"."""
    words = [word for part in parts for word in str(part).replace("-", "_").split("_") if word]
    return "".join(_SPELLING.get(word.lower(), word[:1].upper() + word[1:]) for word in words)


_SPELLING = {"woocommerce": "WooCommerce", "paypal": "PayPal"}


def count(name: str, value: float = 1) -> None:
    """Count `value` of the metric `name` (PascalCase, see `metric_name`)."""
    from aws_lambda_powertools.metrics import MetricUnit

    get_metrics().add_metric(name=name, unit=MetricUnit.Count, value=value)


def flush_metrics() -> None:
    if get_metrics.cache_info().currsize == 0:
        return  # nothing was counted in this process yet
    import warnings

    try:
        with warnings.catch_warnings():  # an invocation that counted nothing is normal, not worth a warning
            warnings.simplefilter("ignore", UserWarning)
            get_metrics().flush_metrics(raise_on_empty_metrics=False)
    except Exception:  # metrics must never fail a request
        logger.warning("metrics flush failed")
