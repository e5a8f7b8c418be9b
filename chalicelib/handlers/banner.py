"""The consent banner's static files: GET /consent.js and GET /consent.css (issue 14; docs/consent.md, "The banner").

Public, no CORS needed (a <script>/<link> load), the same bytes whatever the query string: the files are read once
per process from chalicelib/assets/.  Each answer carries its Content-Type, `nosniff`, `Cross-Origin-Resource-Policy:
cross-origin` (embeddable on the store's pages), an ETag of its content (`If-None-Match` with it answers 304) and
`Cache-Control: public, max-age=3600` (no version in the URL, so an hour, revalidated by the ETag).
"""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path

from chalice.app import Blueprint, Response

from chalicelib.handlers.http import api_route

bp = Blueprint(__name__)
ASSETS = Path(__file__).resolve().parent.parent / "assets"
MAX_AGE = 3600
TYPES = {"consent.js": "text/javascript; charset=utf-8", "consent.css": "text/css; charset=utf-8"}


@cache
def asset(name: str) -> tuple[str, str]:
    """(text, ETag) of one of the banner's files."""
    data = (ASSETS / name).read_bytes()
    return data.decode("utf-8"), '"' + hashlib.sha256(data).hexdigest()[:32] + '"'


def _answer(name: str) -> Response:
    text, etag = asset(name)
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
