"""A small HTTP port for the few outbound calls the webhooks make (PayPal certificates, OAuth token, postback).

Tests inject a fake (an object with `request`) or point the urllib implementation at a local server; nothing here
follows redirects (a redirect could lead a certificate fetch to a host the SSRF guard never approved), responses are
size-bounded and every call has a timeout.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

MAX_RESPONSE_BYTES = 256 * 1024
TIMEOUT_SECONDS = 5.0


@dataclass(frozen=True)
class HttpResponse:
    status: int
    body: bytes


class HttpError(Exception):
    """The remote end could not be reached or answered something unusable (never contains payload data)."""


class HttpPort(Protocol):
    def request(self, method: str, url: str, *, headers: Mapping[str, str] | None = None,
                body: bytes | None = None, timeout: float = TIMEOUT_SECONDS) -> HttpResponse: ...


class UrllibHttp:
    """The default implementation: urllib, TLS verified by the platform, no redirects, bounded bodies."""

    def __init__(self, max_bytes: int = MAX_RESPONSE_BYTES) -> None:
        self.max_bytes = max_bytes

    def request(self, method: str, url: str, *, headers: Mapping[str, str] | None = None,
                body: bytes | None = None, timeout: float = TIMEOUT_SECONDS) -> HttpResponse:
        import urllib.error
        import urllib.request

        if not url.lower().startswith(("https://", "http://")):
            raise HttpError("unsupported URL scheme")
        opener = urllib.request.build_opener(_no_redirect_handler())
        request = urllib.request.Request(url, data=body, method=method, headers=dict(headers or {}))  # noqa: S310
        try:
            with opener.open(request, timeout=timeout) as response:
                return HttpResponse(int(response.status), self._read(response))
        except urllib.error.HTTPError as error:
            return HttpResponse(int(error.code), self._read(error))
        except (urllib.error.URLError, OSError, ValueError) as error:
            raise HttpError(f"request failed: {type(error).__name__}") from None

    def _read(self, stream: Any) -> bytes:
        data: bytes = stream.read(self.max_bytes + 1)
        if len(data) > self.max_bytes:
            raise HttpError("response too large")
        return data


def _no_redirect_handler() -> Any:
    import urllib.request

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: Any, **kwargs: Any) -> None:
            return None

    return NoRedirect()

