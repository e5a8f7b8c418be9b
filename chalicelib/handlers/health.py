"""GET /health: the version and whether the table is reachable."""

from __future__ import annotations

from chalice.app import Blueprint, Response

from chalicelib.container import get_container
from chalicelib.handlers.http import api_route, json_response

bp = Blueprint(__name__)


@api_route(bp, "/health", methods=["GET"])
def health() -> Response:
    container = get_container()
    table = "reachable" if container.table.reachable() else "unreachable"
    status = 200 if table == "reachable" else 503
    return json_response(status, {"status": "ok" if status == 200 else "degraded",
                                   "version": container.settings.app_version, "stage": container.settings.stage,
                                   "table": table})
