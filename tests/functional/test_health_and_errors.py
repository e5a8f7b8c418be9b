"""HTTP basics through chalice.test.Client: health, error mapping, no stack traces."""

import json
from typing import Any

import pytest
from chalice import Blueprint

from chalicelib.errors import NotFoundError
from chalicelib.handlers.http import api_route


def test_health_reports_version_and_table(client: Any) -> None:
    response = client.http.get("/health")
    assert response.status_code == 200
    body = json.loads(response.body)
    assert body == {"status": "ok", "version": "0.1.0", "stage": "local", "table": "reachable"}


def test_health_reports_an_unreachable_table(client: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    import boto3

    boto3.client("dynamodb").delete_table(TableName="privacy-backend-local")
    response = client.http.get("/health")
    assert response.status_code == 503
    assert json.loads(response.body)["table"] == "unreachable"


def _app_with(view_name: str, error: Exception) -> Any:
    from chalice import Chalice

    from chalicelib.handlers import middleware

    app = Chalice(app_name="t")
    app.register_middleware(middleware.observe, "all")
    bp = Blueprint(__name__)

    @api_route(bp, "/boom", methods=["GET"])
    def boom() -> None:
        raise error

    boom.__name__ = view_name
    app.register_blueprint(bp)
    return app


def test_domain_error_maps_to_its_status(container: Any) -> None:
    from chalice.test import Client

    with Client(_app_with("nf", NotFoundError("no such request")), stage_name="local") as c:
        response = c.http.get("/boom")
    assert response.status_code == 404
    assert json.loads(response.body) == {"error": "not_found", "message": "no such request"}


def test_unexpected_error_is_a_json_500_without_stack_trace(container: Any) -> None:
    from chalice.test import Client

    with Client(_app_with("crash", RuntimeError("secret internals at line 42")), stage_name="local") as c:
        response = c.http.get("/boom")
    assert response.status_code == 500
    assert json.loads(response.body) == {"error": "internal_error", "message": "An internal error occurred."}
    assert b"Traceback" not in response.body and b"secret internals" not in response.body


def test_missing_configuration_fails_at_start_naming_the_setting(
    container: Any, monkeypatch: pytest.MonkeyPatch, log_output: Any
) -> None:
    from chalice.test import Client

    import chalicelib.secrets
    from app import app
    from tests.conftest import reset_caches

    real = chalicelib.secrets.read_environment_secret
    monkeypatch.setattr(chalicelib.secrets, "read_environment_secret",
                        lambda name: None if name == "SUBJECT_PEPPER" else real(name))
    with Client(app, stage_name="local") as c:
        reset_caches()
        response = c.http.get("/health")
    assert response.status_code == 500
    assert json.loads(response.body)["error"] == "configuration_error"
    assert "SUBJECT_PEPPER" in log_output()
