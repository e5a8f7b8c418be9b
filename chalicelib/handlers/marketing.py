"""The store's mailing tool ("marketing senders"): server-to-server routes behind a bearer API key, and the RFC 8058
one-click unsubscribe link that its mail carries.

- `POST /marketing/permission` {"email"} -> {"allowed": bool}
- `POST /marketing/unsubscribe-headers` {"email"} -> {"headers": {List-Unsubscribe, List-Unsubscribe-Post},
  "expires_at"}
- `GET /marketing/suppressions?cursor=&limit=` -> {"algorithm", "normalisation", "hashes", "next_cursor"}
- `GET /marketing/unsubscribe?t=TOKEN`: a page with a confirm button (a GET never changes anything: link scanners)
- `POST /marketing/unsubscribe?t=TOKEN` with `List-Unsubscribe=One-Click`: the opt-out (200, idempotent)

The key is checked first (401, the same answer for every reason), then the input (4xx, nothing stored), then the
key's quota (429 + Retry-After).  Nothing of the address is logged.
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any

from chalice.app import Blueprint, Response

from chalicelib.container import get_container
from chalicelib.errors import InvalidInputError
from chalicelib.handlers.http import api_route, header, json_body, json_response, raw_body
from chalicelib.handlers.openapi import HTML, MARKETING_KEY

if TYPE_CHECKING:
    from types import ModuleType

bp = Blueprint(__name__)
ADDRESS = "chalicelib.payloads.marketing:AddressIn"  # named, not imported: app start-up stays lean


def _service() -> ModuleType:
    """The use cases, imported on the first call of a route (cold start: most invocations are not these)."""
    from chalicelib.services import marketing_senders

    return marketing_senders


def _payloads() -> ModuleType:
    from chalicelib.payloads import marketing

    return marketing
# The one-click form (RFC 8058), as GET /openapi.json describes it.
ONE_CLICK = {"type": "object", "required": ["List-Unsubscribe"],
             "properties": {"List-Unsubscribe": {"const": "One-Click"}}}

JSON = ["application/json"]
FORMS = ["application/x-www-form-urlencoded", "multipart/form-data"]
MAX_QUERY_VALUE = 1024
# No script, no style, no third party: the page can only post its own form back to this origin.
PAGE_HEADERS: dict[str, str | list[str]] = {"Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store",
                "Referrer-Policy": "no-referrer", "X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY",
                "Content-Security-Policy": "default-src 'none'; form-action 'self'; frame-ancestors 'none'; "
                                           "base-uri 'none'"}
PAGE = ("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{title}</title></head>"
        "<body><main><h1>{title}</h1><p>{text}</p>{form}</main></body></html>")
CONFIRM_FORM = ("<form method=\"post\" action=\"?t={token}\"><input type=\"hidden\" name=\"List-Unsubscribe\" "
                "value=\"One-Click\"><button type=\"submit\">Unsubscribe</button></form>")


def _sender() -> Any:
    container = get_container()
    key_id = _service().authenticate_sender(container, header(bp, "Authorization"))
    return container, key_id


def _query() -> dict[str, str]:
    params: Any = bp.current_request.query_params or {}
    for name, value in params.items():
        if not isinstance(value, str) or len(value) > MAX_QUERY_VALUE:
            raise InvalidInputError(f"{str(name)[:20]}: too long", field="query")
    return {str(k): str(v) for k, v in params.items()}


def _page(status: int, title: str, text: str, form: str = "") -> Response:
    return Response(body=PAGE.format(title=html.escape(title), text=html.escape(text), form=form),
                    status_code=status, headers=dict(PAGE_HEADERS))


@api_route(bp, "/marketing/permission", methods=["POST"], content_types=JSON, auth=MARKETING_KEY,
           body=ADDRESS, responses=(200, 429), summary="May this address get marketing e-mail?")
def marketing_permission() -> Response:
    container, key_id = _sender()
    body = json_body(bp, _payloads().AddressIn, _payloads().MAX_BODY)
    _service().take_sender_quota(container, key_id)
    return json_response(200, {"allowed": _service().may_email(container, body.email)})


@api_route(bp, "/marketing/unsubscribe-headers", methods=["POST"], content_types=JSON, auth=MARKETING_KEY,
           body=ADDRESS, responses=(200, 429), summary="List-Unsubscribe headers for an address")
def marketing_unsubscribe_headers() -> Response:
    container, key_id = _sender()
    body = json_body(bp, _payloads().AddressIn, _payloads().MAX_BODY)
    _service().take_sender_quota(container, key_id)
    return json_response(200, _service().unsubscribe_headers(container, body.email))


@api_route(bp, "/marketing/suppressions", methods=["GET"], auth=MARKETING_KEY, query=("cursor", "limit"),
           responses=(200, 429), summary="Hashes of the suppressed addresses, a page at a time")
def marketing_suppressions() -> Response:
    container, key_id = _sender()
    query = _query()
    if set(query) - _payloads().QUERY_NAMES:
        raise InvalidInputError("unknown query parameter", field="query")
    try:
        limit = _payloads().parse_limit(query.get("limit"))
    except _payloads().FormRejected as error:
        raise InvalidInputError(str(error), field="limit") from None
    cursor = _service().check_cursor(query.get("cursor"))
    _service().take_sender_quota(container, key_id)
    return json_response(200, _service().suppressions_page(container, cursor, limit))


@api_route(bp, "/marketing/unsubscribe", methods=["GET"], query=("t",), produces=HTML, responses=(200, 400))
def unsubscribe_page() -> Response:
    """The link opened in a browser (or fetched by a scanner): a page whose button posts the one-click form."""
    container = get_container()
    token = _query().get("t", "")
    if _service().unsubscribe_claims(container, token) is None:
        return _page(400, "Link not valid", "This unsubscribe link is not valid or has expired. "
                                            "You can also unsubscribe from your account or by writing to us.")
    return _page(200, "Unsubscribe from marketing e-mails",
                 "Press the button to stop receiving marketing e-mails at this address. "
                 "Messages about your orders are not affected.",
                 CONFIRM_FORM.format(token=html.escape(token, quote=True)))


@api_route(bp, "/marketing/unsubscribe", methods=["POST"], content_types=FORMS, query=("t",), produces=HTML,
           body=ONE_CLICK, responses=(200, 400, 404, 410, 429))
def unsubscribe_one_click() -> Response:
    """RFC 8058: the mail receiver (or the page's button) posts `List-Unsubscribe=One-Click`."""
    container = get_container()
    token = _query().get("t", "")
    body = raw_body(bp, _payloads().MAX_FORM)
    try:
        one_click = _payloads().one_click_form(body, header(bp, "Content-Type") or "")
    except _payloads().FormRejected as error:
        raise InvalidInputError(str(error), field="body") from None
    if not one_click:
        raise InvalidInputError("the body must be List-Unsubscribe=One-Click", field="body")
    _service().one_click_unsubscribe(container, token)
    return _page(200, "You are unsubscribed", "You will no longer receive marketing e-mails at this address.")
