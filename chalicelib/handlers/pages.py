"""The HTML pages customers open (the privacy center, the guest confirm page): one shell, one set of security
headers, every value escaped here.

Every page gets a strict Content-Security-Policy: scripts, styles and calls from this origin only (no inline script
or style, no `unsafe-eval`), no plugins, forms posting back here only, and `frame-ancestors` limited to the store's
origins (ALLOWED_ORIGINS; `'none'` when none are set); plus `X-Content-Type-Options: nosniff`,
`Referrer-Policy: no-referrer` (the center may be opened with a token in its URL) and `Cache-Control: no-store`.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING

from chalice.app import Response

if TYPE_CHECKING:
    from chalicelib.policy.model import StorePolicy

_ORIGIN = re.compile(r"^https?://[A-Za-z0-9.-]{1,253}(?::[0-9]{1,5})?$")
# Relative to the page (`root` is "" for /privacy-center, "../" for /privacy-requests/verify), so the pages also work
# under an API Gateway stage prefix (/api/privacy-center).
STYLESHEET = "privacy-center/app.css"
SCRIPT = "privacy-center/app.js"
ICON = "privacy-center/icon.svg"


def frame_ancestors(origins: Iterable[str]) -> str:
    """The store's origins that may frame the pages (anything that is not a plain origin is left out)."""
    allowed = [origin for origin in origins if _ORIGIN.match(origin)]
    return " ".join(allowed) if allowed else "'none'"


def content_security_policy(origins: Iterable[str]) -> str:
    return ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
            "form-action 'self'; base-uri 'none'; object-src 'none'; "
            f"frame-ancestors {frame_ancestors(origins)}")


def security_headers(origins: Iterable[str], content_type: str) -> dict[str, str | list[str]]:
    return {"Content-Type": content_type, "Content-Security-Policy": content_security_policy(origins),
            "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer", "Cache-Control": "no-store"}


def store_name(policy: StorePolicy) -> str:
    return policy.controller.trading_name or policy.controller.legal_name


def page(*, status: int, title: str, body_html: str, policy: StorePolicy, origins: Iterable[str],
         script: bool = False, lang: str = "en", root: str = "") -> Response:
    """A page in the store's style.  `title` is text (escaped here); `body_html` must already be escaped."""
    name = html.escape(store_name(policy))
    head = (f"<!doctype html><html lang=\"{html.escape(lang, quote=True)}\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            f"<title>{html.escape(title)} · {name}</title>"
            f"<link rel=\"stylesheet\" href=\"{root}{STYLESHEET}\"><link rel=\"icon\" href=\"{root}{ICON}\">"
            + (f"<script src=\"{root}{SCRIPT}\" defer></script>" if script else "")
            + "</head><body>")
    header = f"<header class=\"brand\"><p class=\"store\" id=\"store-name\">{name}</p></header>"
    document = f"{head}{header}<main id=\"main\">{body_html}</main></body></html>"
    return Response(body=document, status_code=status,
                    headers=security_headers(origins, "text/html; charset=utf-8"))


def text_on(colour: str) -> str:
    """Black or white, whichever contrasts more with a #rrggbb background (WCAG relative luminance)."""
    channels = [int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    luminance = 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
    return "#000000" if (luminance + 0.05) / 0.05 > 1.05 / (luminance + 0.05) else "#ffffff"
