"""Account routes of data subject rights (JWT): export, deletion with a grace period, any offered request (a
correction with the changes it asks for), and request status."""

from __future__ import annotations

from chalice.app import Blueprint, Response

from chalicelib.container import get_container
from chalicelib.domain.accounts import Principal
from chalicelib.domain.privacy_requests import PrivacyRequest, RequestType
from chalicelib.errors import InvalidInputError, NotFoundError
from chalicelib.handlers import page_texts
from chalicelib.handlers.auth import authenticate
from chalicelib.handlers.http import api_route, json_body, json_response
from chalicelib.handlers.openapi import ACCOUNT
from chalicelib.payloads.privacy_requests import MAX_BODY, AccountDeletionBody, AccountRequestBody
from chalicelib.services import privacy_requests as service

bp = Blueprint(__name__)


def _principal() -> Principal:
    return authenticate(bp.current_request.headers, get_container())


def _submit(principal: Principal, request_type: str, body: AccountRequestBody | None = None) -> PrivacyRequest:
    container = get_container()
    now = container.now()
    changes = body.changes.given() if body and body.changes else None
    accept = bp.current_request.headers.get("accept-language")  # the language of every later mail to the subject
    language = page_texts.language(accept, container.store_policy.rights.languages) if accept else None
    submitted = service.submit_request(container, email=principal.email, request_type=request_type,
                                       channel="account", received_at=now, needs_verification=False,
                                       customer_id=principal.customer_id, changes=changes,
                                       order_ids=body.order_ids if body else None, params={"language": language})
    # Stored: from here on no storage failure may answer 5xx (the storefront's retry would make a second request);
    # what fails is left to the scheduled job (fulfil_safely).
    request = submitted.request or service.get_request(container, submitted.request_id, now=now)
    return service.fulfil_safely(container, request, now=now)


@api_route(bp, "/account/export", methods=["POST"], auth=ACCOUNT, responses=(202, 404, 409, 410, 429),
           summary="Export the account's data (GDPR Art. 15/20)")
def post_export() -> Response:
    request = _submit(_principal(), "access")
    view = service.describe(request, now=get_container().now())
    return json_response(202, {"request_id": request.request_id, "status": request.status.value,
                               "due_at": view["due_at"]})


@api_route(bp, "/account/deletion", methods=["POST"], auth=ACCOUNT, body=AccountDeletionBody,
           responses=(202, 404, 409, 410, 429), summary="Delete the account after a grace period (GDPR Art. 17)")
def post_deletion() -> Response:
    principal = _principal()
    if bp.current_request.raw_body:
        body = json_body(bp, AccountDeletionBody, MAX_BODY)
        if not body.confirm:
            raise InvalidInputError("confirm must be true", field="confirm")
    request = _submit(principal, "deletion")
    view = service.describe(request, now=get_container().now())
    return json_response(202, {"request_id": request.request_id, "status": request.status.value,
                               "execute_after": view.get("execute_after"), "due_at": view["due_at"]})


def _confirmed_request(request_type: str) -> Response:
    principal = _principal()
    if bp.current_request.raw_body:
        body = json_body(bp, AccountDeletionBody, MAX_BODY)
        if not body.confirm:
            raise InvalidInputError("confirm must be true", field="confirm")
    request = _submit(principal, request_type)
    view = service.describe(request, now=get_container().now())
    return json_response(202, {"request_id": request.request_id, "status": request.status.value,
                               "due_at": view["due_at"]})


@api_route(bp, "/account/restriction", methods=["POST"], auth=ACCOUNT, body=AccountDeletionBody,
           responses=(202, 404, 409, 410, 429))
def post_restriction() -> Response:
    """GDPR Art. 18: the account's data is kept but no longer used, until an operator lifts it (told first)."""
    return _confirmed_request("restriction")


@api_route(bp, "/account/objection", methods=["POST"], auth=ACCOUNT, body=AccountDeletionBody,
           responses=(202, 404, 409, 410, 429))
def post_objection() -> Response:
    """GDPR Art. 21: analytics, profiling, advertising and marketing stop for the account."""
    return _confirmed_request("objection")


@api_route(bp, "/account/deletion/{request_id}", methods=["DELETE"], auth=ACCOUNT,
           responses=(200, 404, 409), summary="Cancel a deletion during its grace period")
def delete_deletion(request_id: str) -> Response:
    principal = _principal()
    container = get_container()
    now = container.now()
    request = service.own_request(container, customer_id=principal.customer_id, request_id=request_id, now=now)
    if request.type is not RequestType.DELETION:
        raise NotFoundError("no such deletion request")
    cancelled = service.cancel(container, request, actor=f"customer:{principal.customer_id}",
                               reason="cancelled by the customer during the grace period", now=now)
    return json_response(200, service.describe(cancelled, now=now))


@api_route(bp, "/account/requests", methods=["POST"], auth=ACCOUNT, body=AccountRequestBody,
           responses=(202, 404, 409, 410, 429), summary="Any other request the store offers (e.g. a correction)")
def post_request() -> Response:
    """`{"type": "correction", "changes": {"first_name": "...", "billing": {"city": "..."}}}` (or any other type
    the store offers): the request is made and fulfilled at once where it can be."""
    principal = _principal()
    body = json_body(bp, AccountRequestBody, MAX_BODY)
    if body.type == "deletion":  # its own route, with its confirmation and grace period
        raise InvalidInputError("a deletion is requested with POST /account/deletion", field="type")
    request = _submit(principal, body.type, body)
    view = service.describe(request, now=get_container().now())
    return json_response(202, {"request_id": request.request_id, "type": request.type.value,
                               "status": request.status.value, "due_at": view["due_at"]})


@api_route(bp, "/account/requests", methods=["GET"], auth=ACCOUNT,
           summary="The account's privacy requests")
def list_requests() -> Response:
    principal = _principal()
    container = get_container()
    now = container.now()
    requests = service.account_requests(container, customer_id=principal.customer_id, now=now)
    return json_response(200, {"requests": [service.describe(r, now=now) for r in requests]})


@api_route(bp, "/account/requests/{request_id}", methods=["GET"], auth=ACCOUNT, responses=(200, 404),
           summary="One of the account's requests (404 for any other)")
def get_request(request_id: str) -> Response:
    principal = _principal()
    container = get_container()
    now = container.now()
    request = service.own_request(container, customer_id=principal.customer_id, request_id=request_id, now=now)
    view = service.describe(request, now=now)
    urls = service.download_urls(container, request, now=now, actor=f"customer:{principal.customer_id}")
    if urls:
        view["download"] = {**urls, "expires_in": service.DOWNLOAD_URL_SECONDS}
    return json_response(200, view)
