"""Storefront banner API: GET /consent/config, POST /consent, GET /consent/{visitor_id} (CORS limited to
ALLOWED_ORIGINS)."""

from __future__ import annotations

import re
from typing import Any

from chalice.app import Blueprint, Response

from chalicelib.container import get_container
from chalicelib.domain.consent import ProofContext, holder_for_visitor
from chalicelib.errors import InvalidInputError
from chalicelib.handlers.auth import authenticate
from chalicelib.handlers.http import api_route, json_body, json_response
from chalicelib.handlers.openapi import ACCOUNT
from chalicelib.payloads.consent import MAX_BODY, VISITOR_ID_PATTERN, ConsentConfigOut, ConsentIn
from chalicelib.services.consent_config import consent_config
from chalicelib.services.record_consent import ConsentCommand, ConsentRules, Owner, read_consent, record_consent

bp = Blueprint(__name__)
CONFIG_MAX_AGE = 300


def allowed_origins() -> list[str]:
    return list(get_container().settings.allowed_origins)


def proof_context(blueprint: Blueprint) -> ProofContext:
    """GPC, country, truncated IP (only when the store's policy keeps one) and user-agent family of the current
    request."""
    request = blueprint.current_request
    headers = request.headers
    identity: dict[str, Any] = (request.context or {}).get("identity") or {}
    return ProofContext.from_request(
        gpc_header=headers.get("sec-gpc"), country_header=headers.get("cloudfront-viewer-country"),
        viewer_address=headers.get("cloudfront-viewer-address"), source_ip=identity.get("sourceIp"),
        user_agent=headers.get("user-agent"),
        store_ip=get_container().store_policy.ip_addresses.store != "none")


def _has_credentials(blueprint: Blueprint) -> bool:
    return blueprint.current_request.headers.get("authorization") is not None


@api_route(bp, "/consent/config", methods=["GET"], cors=allowed_origins, responses=(200, 304),
           returns=ConsentConfigOut)
def get_consent_config() -> Response:
    """What the consent banner shows, from the store's policy file: public and cacheable (an ETag of the policy
    version; `If-None-Match` with it answers 304)."""
    policy = get_container().store_policy
    etag = f'"{policy.policy.version}"'
    headers = {"Cache-Control": f"public, max-age={CONFIG_MAX_AGE}", "ETag": etag}
    asked = bp.current_request.headers.get("if-none-match") or ""
    if etag in (tag.strip().removeprefix("W/") for tag in asked[:1024].split(",")):
        return Response(body="", status_code=304, headers=dict(headers))
    return json_response(200, consent_config(policy).model_dump(mode="json"), headers)


@api_route(bp, "/consent", methods=["POST"], cors=allowed_origins, auth=ACCOUNT + "?", body=ConsentIn,
           responses=(201, 409, 410, 429), summary="Record a visitor's consent choice (a receipt)")
def post_consent() -> Response:
    container = get_container()
    owner = None
    if _has_credentials(bp):  # a logged-in customer: a bad token is refused, never recorded anonymously
        principal = authenticate(bp.current_request.headers, container)
        owner = Owner(principal.subject, principal.customer_id)
    body = json_body(bp, ConsentIn, MAX_BODY)
    command = ConsentCommand(body.action, body.choices.domain() if body.choices else None, body.policy_version,
                             body.source, body.notice_hash, body.locale)
    receipt = record_consent(container.consent, command, proof_context(bp),
                             holder=holder_for_visitor(body.visitor_id, container.pepper), now=container.now(),
                             rules=ConsentRules.of(container), owner=owner)
    return json_response(201, receipt.as_json())


@api_route(bp, "/consent/{visitor_id}", methods=["GET"], cors=allowed_origins,
           summary="A visitor's current consent")
def get_consent(visitor_id: str) -> Response:
    if not re.fullmatch(VISITOR_ID_PATTERN, visitor_id):
        raise InvalidInputError("visitor_id: not a visitor id", field="visitor_id")
    container = get_container()
    view = read_consent(container.consent, holder_for_visitor(visitor_id, container.pepper),
                        now=container.now(), rules=ConsentRules.of(container),
                        gpc=proof_context(bp).gpc)
    return json_response(200, {**view.as_json(), "current_policy_version": container.store_policy.policy.version})
