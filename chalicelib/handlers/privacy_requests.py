"""Guest and web privacy requests: submit (always the same 202), verify by a single-use link, download."""

from __future__ import annotations

import html
from typing import Any
from urllib.parse import parse_qs

from chalice.app import Blueprint, Response

from chalicelib.container import get_container
from chalicelib.errors import DomainError, InvalidInputError
from chalicelib.handlers import page_texts, pages
from chalicelib.handlers.http import api_route, json_body, json_response, raw_body
from chalicelib.handlers.openapi import HTML
from chalicelib.observability import logger
from chalicelib.payloads.privacy_requests import MAX_BODY, WebRequestBody
from chalicelib.services import privacy_requests as service
from chalicelib.services.request_intake import accept_web_request

bp = Blueprint(__name__)
TOKEN_FORM = {"type": "object", "required": ["token"], "properties": {"token": {"type": "string"}}}

RECEIVED = {"type": "object", "required": ["status", "message"], "additionalProperties": False,
            "properties": {"status": {"const": "received"}, "message": {"type": "string"}}}
ACCEPTED = {"status": "received",
            "message": "If the address is valid, we sent it a link to confirm the request. It expires in 24 hours."}


def _source_ip() -> str | None:
    identity: dict[str, Any] = (bp.current_request.context or {}).get("identity") or {}
    value = identity.get("sourceIp")
    return str(value) if value else None


def _query(name: str) -> str:
    params: Any = bp.current_request.query_params or {}
    return str(params.get(name) or "")[:256]


def _form_token() -> str:
    body = raw_body(bp, 2048)
    try:
        fields = parse_qs(body.decode("ascii"), max_num_fields=5)
    except (UnicodeDecodeError, ValueError):
        raise InvalidInputError("the form is not valid", field="token") from None
    values = fields.get("token") or [""]
    return values[0][:256]


def _texts() -> tuple[str, dict[str, str]]:
    offered = get_container().store_policy.rights.languages
    lang = page_texts.language(bp.current_request.headers.get("accept-language"), offered)
    return lang, page_texts.TEXTS[lang]


def _page(status: int, title: str, text: str, form: str = "") -> Response:
    """The privacy center's style and security headers (handlers/pages.py), in the browser's language among the
    store's; `title` and `text` are escaped here."""
    container = get_container()
    lang, texts = _texts()
    body = (f"<section class=\"card\"><h1>{html.escape(title)}</h1><p>{html.escape(text)}</p>{form}"
            f"<p><a href=\"../privacy-center\">{html.escape(texts['center'])}</a></p></section>")
    response = pages.page(status=status, title=title, body_html=body, policy=container.store_policy,
                          origins=container.settings.allowed_origins, root="../", lang=lang)
    response.headers["Vary"] = "Accept-Language"
    return response


@api_route(bp, "/privacy-requests", methods=["POST"], body=WebRequestBody, responses=(202, 429),
           returns=RECEIVED)
def post_request() -> Response:
    """Always the same 202 after the same work (the per-IP limit and one enqueue), known address or not: the
    per-address work runs in the intake queue's consumer (chalicelib.services.request_intake)."""
    body = json_body(bp, WebRequestBody, MAX_BODY)
    container = get_container()
    language = body.language if body.language in container.store_policy.rights.languages else _texts()[0]
    accept_web_request(container, email=body.email, request_type=body.type, ip=_source_ip(), now=container.now(),
                       changes=body.changes, order_ids=body.order_ids, language=language)
    return json_response(202, ACCEPTED)


CONFIRM_FORM = ("<form method=\"post\" action=\"{action}\" class=\"actions\"><input type=\"hidden\" name=\"token\" "
                "value=\"{token}\"><button type=\"submit\" id=\"confirm\">{button}</button></form>")


def _refused_page(error: DomainError) -> Response:
    """A refused link in a browser: the same status and message as the API's answer, as a page in the center's
    style (a person opened it, not a program)."""
    logger.info("request refused", extra={"error": error.code, "status": error.status})
    texts = _texts()[1]
    response = _page(error.status, texts["refused_title"], texts["refused_text"])
    if error.retry_after:
        response.headers["Retry-After"] = str(error.retry_after)
    return response


@api_route(bp, "/privacy-requests/verify", methods=["GET"], query=("token",), produces=HTML,
           responses=(200, 400, 404, 409, 410, 429))
def confirm_page() -> Response:
    """The e-mailed link opens a confirmation page; only its button (a POST) uses the single-use token, so mail
    scanners and link previews that fetch the link cannot confirm or burn a request."""
    try:
        return _confirm_page()
    except DomainError as error:
        if error.status >= 500:
            raise
        return _refused_page(error)


def _confirm_page() -> Response:
    token = _query("token")
    if not token or not token.replace("-", "").replace("_", "").isalnum():
        raise InvalidInputError("the link is incomplete", field="token")
    texts = _texts()[1]
    form = CONFIRM_FORM.format(action="verify", token=html.escape(token, quote=True),
                               button=html.escape(texts["confirm_button"]))
    return _page(200, texts["confirm_title"], texts["confirm_text"], form)


@api_route(bp, "/privacy-requests/verify", methods=["POST"], content_types=["application/x-www-form-urlencoded"],
           body=TOKEN_FORM, produces=HTML, responses=(200, 400, 404, 409, 410, 429),
           summary="Confirm a request (the confirmation page's button)")
def verify() -> Response:
    container = get_container()
    try:
        token = _form_token()
        request = service.verify_request(container, token=token, now=container.now())
    except DomainError as error:
        if error.status >= 500:
            raise
        return _refused_page(error)
    texts = _texts()[1]
    done = texts["done_request"].format(request_id=request.request_id)
    return _page(200, texts["done_title"], f"{done}: {texts[request.type.value]}")


@api_route(bp, "/privacy-requests/download", methods=["GET"], query=("token!",), responses=(302, 404, 410, 429),
           summary="Download an export (a redirect to a short-lived URL)")
def download() -> Response:
    container = get_container()
    token = _query("token")
    url = service.download_by_token(container, token=token, now=container.now())
    return Response(body="", status_code=302, headers={"Location": url, "Cache-Control": "no-store",
                                                        "Referrer-Policy": "no-referrer"})
