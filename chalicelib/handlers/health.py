"""GET /health: the version and whether the table is reachable."""

from __future__ import annotations

from chalice.app import Blueprint, Response

from chalicelib.container import get_container
from chalicelib.handlers.http import api_route, json_response

bp = Blueprint(__name__)


@api_route(bp, "/health", methods=["GET"], summary="Version and whether the table is reachable")
def health() -> Response:
    container = get_container()
    table = "reachable" if container.table.reachable() else "unreachable"
    status = 200 if table == "reachable" else 503
    return json_response(status, {"status": "ok" if status == 200 else "degraded",
                                   "version": container.settings.app_version, "stage": container.settings.stage,
                                   "table": table})


@api_route(bp, "/openapi.json", methods=["GET"], summary="This API's OpenAPI 3.1 document")
def openapi_document() -> Response:
    """Built on the first request (handlers/openapi.py), from the models the routes validate with."""
    from chalicelib.handlers.openapi import document

    settings = get_container().settings
    return json_response(200, document(settings.app_version), {"Cache-Control": "public, max-age=300"})
