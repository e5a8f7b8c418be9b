"""The consent banner's static files: GET /consent.js and GET /consent.css (issue 14; docs/consent.md, "The banner").

Public, no CORS needed (a <script>/<link> load), the same bytes whatever the query string: the files are read once
per process from chalicelib/assets/; the script gets the store policy's `[consent_mode]` (regions, wait) written
into its `MODE` line, so Consent Mode's default is set synchronously, before any tag, from the policy.
Each answer carries its Content-Type, `nosniff`, `Cross-Origin-Resource-Policy:
cross-origin` (embeddable on the store's pages), an ETag of its content (`If-None-Match` with it answers 304) and
`Cache-Control: public, max-age=3600` (no version in the URL, so an hour, revalidated by the ETag).
"""

from __future__ import annotations

import hashlib
import json
from functools import cache
from pathlib import Path

from chalice.app import Blueprint, Response

from chalicelib.container import get_container
from chalicelib.handlers.http import api_route

bp = Blueprint(__name__)
ASSETS = Path(__file__).resolve().parent.parent / "assets"
MAX_AGE = 3600
TYPES = {"consent.js": "text/javascript; charset=utf-8", "consent.css": "text/css; charset=utf-8"}


MODE_LINE = 'var MODE = {"regions": [], "wait_for_update_ms": 500};'


@cache
def asset(name: str, mode: str = "") -> tuple[str, str]:
    """(text, ETag) of one of the banner's files; `mode` (JSON of the policy's consent_mode) goes into the script."""
    text = (ASSETS / name).read_text(encoding="utf-8")
    if name == "consent.js" and mode:
        if MODE_LINE not in text:  # pragma: no cover (the asset and this module change together)
            raise RuntimeError("consent.js has no MODE line")
        text = text.replace(MODE_LINE, f"var MODE = {mode};")
    return text, '"' + hashlib.sha256(text.encode("utf-8")).hexdigest()[:32] + '"'


def _mode() -> str:
    """The policy's Consent Mode defaults as the script's JSON (codes are validated: A-Z, 0-9 and '-')."""
    mode = get_container().store_policy.consent_mode
    return json.dumps({"regions": list(mode.regions), "wait_for_update_ms": mode.wait_for_update_ms})


def _answer(name: str) -> Response:
    text, etag = asset(name, _mode() if name == "consent.js" else "")
    headers: dict[str, str | list[str]] = {
        "Content-Type": TYPES[name], "Cache-Control": f"public, max-age={MAX_AGE}", "ETag": etag,
        "X-Content-Type-Options": "nosniff", "Cross-Origin-Resource-Policy": "cross-origin"}
    asked = bp.current_request.headers.get("if-none-match") or ""
    if etag in (tag.strip().removeprefix("W/") for tag in asked[:1024].split(",")):
        return Response(body="", status_code=304, headers=headers)
    return Response(body=text, status_code=200, headers=headers)


@api_route(bp, "/consent.js", methods=["GET"], responses=(200, 304), produces=TYPES["consent.js"],
           summary="The consent banner's script")
def consent_script() -> Response:
    return _answer("consent.js")


@api_route(bp, "/consent.css", methods=["GET"], responses=(200, 304), produces=TYPES["consent.css"],
           summary="The consent banner's styles")
def consent_styles() -> Response:
    return _answer("consent.css")
