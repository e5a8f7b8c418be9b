"""The privacy center (`GET /privacy-center`) and its script and stylesheet, served from the API's own origin so
its calls are same-origin.  The page is the same for everyone (no personal data in it): the script reads the
account token the storefront put in the URL (`#token=` or `?token=`), removes it from the URL and keeps it in
memory, and calls the account API with it as a bearer token; without a token it offers the guest forms."""

from __future__ import annotations

import html
from functools import cache
from pathlib import Path

from chalice.app import Blueprint, Response

from chalicelib.container import get_container
from chalicelib.handlers.http import api_route
from chalicelib.handlers.openapi import HTML
from chalicelib.handlers.pages import page, security_headers, text_on

bp = Blueprint(__name__)

WEB = Path(__file__).resolve().parent / "web"
GUEST_TYPES = ("access", "deletion", "correction", "restriction", "opt_out")


@cache
def _asset(name: str) -> str:
    return (WEB / name).read_text(encoding="utf-8")


def _origins() -> list[str]:
    return list(get_container().settings.allowed_origins)


@api_route(bp, "/privacy-center", methods=["GET"], produces=HTML)
def privacy_center() -> Response:
    container = get_container()
    policy = container.store_policy
    grace = container.settings.deletion_grace_days
    attributes = (f"data-guest-types=\"{' '.join(GUEST_TYPES)}\" data-grace-days=\"{int(grace)}\" "
                  f"data-privacy-policy=\"{html.escape(policy.policy.privacy_policy_url, quote=True)}\" "
                  f"data-languages=\"{html.escape(' '.join(policy.rights.languages), quote=True)}\"")
    body = (f"<div id=\"center\" {attributes}>"
            "<h1 id=\"title\">Privacy center</h1>"
            "<noscript><p>The privacy center needs JavaScript. You can also write to "
            f"{html.escape(policy.controller.contacts.privacy)}.</p></noscript>"
            "<p id=\"status\" role=\"status\" aria-live=\"polite\"></p>"
            "<div id=\"app\"></div></div>")
    return page(status=200, title="Privacy center", body_html=body, policy=policy, origins=_origins(),
                script=True)


@api_route(bp, "/privacy-center/app.js", methods=["GET"], produces="text/javascript; charset=utf-8",
           summary="The privacy center's script")
def script() -> Response:
    return Response(body=_asset("center.js"), status_code=200,
                    headers=security_headers(_origins(), "text/javascript; charset=utf-8"))


@api_route(bp, "/privacy-center/app.css", methods=["GET"], produces="text/css; charset=utf-8",
           summary="The privacy center's styles")
def stylesheet() -> Response:
    primary = get_container().store_policy.branding.primary  # validated #rrggbb: safe in CSS
    css = f":root{{--primary:{primary};--on-primary:{text_on(primary)}}}\n" + _asset("center.css")
    return Response(body=css, status_code=200, headers=security_headers(_origins(), "text/css; charset=utf-8"))


@api_route(bp, "/privacy-center/icon.svg", methods=["GET"], produces="image/svg+xml")
def icon() -> Response:
    """The pages' icon (a browser asks for one): a dot in the store's colour."""
    primary = get_container().store_policy.branding.primary
    svg = (f"<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 16 16\"><circle cx=\"8\" cy=\"8\" r=\"7\" "
           f"fill=\"{primary}\"/></svg>")
    return Response(body=svg, status_code=200, headers=security_headers(_origins(), "image/svg+xml"))
