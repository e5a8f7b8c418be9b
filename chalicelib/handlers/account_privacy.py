"""Customer account privacy settings (bearer JWT): GET /account/privacy, PUT /account/privacy/consent,
PUT /account/privacy/marketing."""

from __future__ import annotations

from chalice.app import Blueprint, Response

from chalicelib.container import get_container
from chalicelib.handlers.auth import authenticate
from chalicelib.handlers.consent import allowed_origins, proof_context
from chalicelib.handlers.http import api_route, json_body, json_response
from chalicelib.handlers.openapi import ACCOUNT
from chalicelib.payloads.consent import MAX_BODY, AccountConsentIn, MarketingIn
from chalicelib.services.account_privacy import account_privacy, change_marketing, record_account_consent
from chalicelib.services.record_consent import ConsentCommand

bp = Blueprint(__name__)


@api_route(bp, "/account/privacy", methods=["GET"], cors=allowed_origins, auth=ACCOUNT,
           summary="The account's consent and marketing settings")
def get_account_privacy() -> Response:
    container = get_container()
    principal = authenticate(bp.current_request.headers, container)
    return json_response(200, account_privacy(container, principal, gpc=proof_context(bp).gpc))


@api_route(bp, "/account/privacy/consent", methods=["PUT"], cors=allowed_origins, auth=ACCOUNT,
           body=AccountConsentIn, responses=(200, 409, 410, 429), summary="Record the account's consent")
def put_account_consent() -> Response:
    container = get_container()
    principal = authenticate(bp.current_request.headers, container)
    body = json_body(bp, AccountConsentIn, MAX_BODY)
    command = ConsentCommand(body.action, body.choices.domain() if body.choices else None, body.policy_version,
                             "privacy_center", body.notice_hash, body.locale)
    receipt = record_account_consent(container, principal, command, proof_context(bp), visitor_id=body.visitor_id)
    return json_response(200, receipt.as_json())


@api_route(bp, "/account/privacy/marketing", methods=["PUT"], cors=allowed_origins, auth=ACCOUNT,
           body=MarketingIn, responses=(200, 409, 410, 429), summary="Opt in or out of marketing e-mail")
def put_account_marketing() -> Response:
    container = get_container()
    principal = authenticate(bp.current_request.headers, container)
    body = json_body(bp, MarketingIn, MAX_BODY)
    return json_response(200, change_marketing(container, principal, body.email_marketing, proof_context(bp)))
