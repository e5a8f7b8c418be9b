"""Guest and web privacy requests: submit (always the same 202), verify by a single-use link, download."""

from __future__ import annotations

from typing import Any

from chalice.app import Blueprint, Response

from chalicelib.container import get_container
from chalicelib.errors import SubjectSuppressedError
from chalicelib.handlers.http import api_route, json_body, json_response
from chalicelib.observability import logger
from chalicelib.payloads.requests import MAX_BODY, WebRequestBody
from chalicelib.services import privacy_requests as service

bp = Blueprint(__name__)

ACCEPTED = {"status": "received",
            "message": "If the address is valid, we sent it a link to confirm the request. It expires in 24 hours."}

PAGE = ("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Privacy request</title></head>"
        "<body><h1>{title}</h1><p>{text}</p></body></html>")


def _source_ip() -> str | None:
    identity: dict[str, Any] = (bp.current_request.context or {}).get("identity") or {}
    value = identity.get("sourceIp")
    return str(value) if value else None


def _query(name: str) -> str:
    params: Any = bp.current_request.query_params or {}
    return str(params.get(name) or "")[:256]


def _page(status: int, title: str, text: str) -> Response:
    return Response(body=PAGE.format(title=title, text=text), status_code=status,
                    headers={"Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store",
                             "Referrer-Policy": "no-referrer"})


@api_route(bp, "/privacy-requests", methods=["POST"])
def post_request() -> Response:
    body = json_body(bp, WebRequestBody, MAX_BODY)
    container = get_container()
    now = container.now()
    service.rate_limit(container, email=body.email, ip=_source_ip(), now=now)
    try:
        submitted = service.submit_request(container, email=body.email, request_type=body.type, channel="web",
                                           received_at=now, needs_verification=True)
    except SubjectSuppressedError:  # an erased subject: nothing is held; answer exactly as for anyone else
        logger.info("privacy request for an erased subject ignored")
        return json_response(202, ACCEPTED)
    service.send_verification(container, email=body.email, submitted=submitted, request_type=body.type)
    return json_response(202, ACCEPTED)


@api_route(bp, "/privacy-requests/verify", methods=["GET"])
def verify() -> Response:
    container = get_container()
    token = _query("token")
    request = service.verify_request(container, token=token, now=container.now())
    texts = {"access": "We are preparing your data export; the download link will come by e-mail.",
             "deletion": "Your deletion request is confirmed.",
             "correction": "Your correction request is confirmed; we will contact you.",
             "opt_out": "You will no longer receive marketing e-mails."}
    return _page(200, "Request confirmed", f"Request {request.request_id}: {texts[request.type.value]}")


@api_route(bp, "/privacy-requests/download", methods=["GET"])
def download() -> Response:
    container = get_container()
    token = _query("token")
    url = service.download_by_token(container, token=token, now=container.now())
    return Response(body="", status_code=302, headers={"Location": url, "Cache-Control": "no-store",
                                                        "Referrer-Policy": "no-referrer"})
