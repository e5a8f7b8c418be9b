"""GET /openapi.json: every route of the app has an operation and every operation a route; the document is valid
OpenAPI 3.1; its request bodies are the handlers' own pydantic models; it is built on first use only."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest

from chalicelib.handlers.openapi import OPERATIONS, document


def _app_routes() -> set[tuple[str, str]]:
    import app

    return {(path, method.upper()) for path, methods in app.app.routes.items() for method in methods}


def _documented(doc: dict[str, Any]) -> set[tuple[str, str]]:
    return {(path, method.upper()) for path, methods in doc["paths"].items() for method in methods}


def test_every_route_has_an_operation_and_every_operation_a_route() -> None:
    routes, documented = _app_routes(), _documented(document())
    assert routes - documented == set(), "routes without an entry in /openapi.json (register them via api_route)"
    assert documented - routes == set(), "entries in /openapi.json without a route"
    assert len(routes) > 30


def test_a_route_registered_around_api_route_is_caught() -> None:
    """The check above sees what the registry cannot: a route added with Chalice's own decorator."""
    from chalice import Blueprint, Chalice

    extra = Chalice(app_name="t")
    bp = Blueprint("chalicelib.handlers.t")
    bp.route("/sneaky", methods=["GET"])(lambda: {})
    extra.register_blueprint(bp)
    routes = {(p, m) for p, ms in extra.routes.items() for m in ms}
    assert routes - _documented(document()) == {("/sneaky", "GET")}


def test_the_document_is_valid_openapi_3_1() -> None:
    validator = pytest.importorskip("openapi_spec_validator")
    doc = document()
    assert doc["openapi"] == "3.1.0"
    validator.validate(doc)


def test_request_bodies_are_the_handlers_models() -> None:
    from pydantic import BaseModel

    from chalicelib.handlers.openapi import _model

    schemas = document()["components"]["schemas"]
    checked = 0
    for op in OPERATIONS.values():
        for candidate in op.body if isinstance(op.body, tuple) else (op.body,):
            if candidate is None or isinstance(candidate, dict):
                continue
            model = _model(candidate)
            assert issubclass(model, BaseModel)
            own = model.model_json_schema(ref_template="#/components/schemas/{model}")
            own.pop("$defs", None)
            assert schemas[model.__name__] == own, model.__name__
            checked += 1
    assert checked >= 15


def test_every_operation_answers_errors_with_the_one_error_body() -> None:
    from jsonschema import validate

    from chalicelib.errors import InvalidInputError, RateLimitedError
    from chalicelib.handlers.http import response_for

    doc = document()
    error_schema = doc["components"]["schemas"]["Error"]
    for error in (InvalidInputError("x: bad", field="x"), RateLimitedError("slow down", retry_after=3)):
        validate(json.loads(response_for(error).body), error_schema)
    for path, methods in doc["paths"].items():
        for method, operation in methods.items():
            answers = operation["responses"]
            assert "503" in answers and "Retry-After" in answers["503"]["headers"], (path, method)
            assert any(int(code) < 400 for code in answers), (path, method)
            if "requestBody" in operation:
                assert {"400", "413", "415"} <= set(answers), (path, method)
            if operation["security"]:
                assert "401" in answers, (path, method)


def test_security_schemes_and_signature_headers() -> None:
    doc = document()
    schemes = doc["components"]["securitySchemes"]
    assert schemes["accountJwt"]["bearerFormat"] == "JWT"
    assert doc["paths"]["/account/requests/{request_id}"]["get"]["security"] == [{"accountJwt": []}]
    assert doc["paths"]["/marketing/permission"]["post"]["security"] == [{"marketingApiKey": []}]
    assert doc["paths"]["/consent"]["post"]["security"] == [{}, {"accountJwt": []}]
    headers = {p["name"] for p in doc["paths"]["/webhooks/paypal"]["post"]["parameters"] if p["in"] == "header"}
    assert {"paypal-transmission-sig", "paypal-cert-url"} <= headers


def test_served_by_the_app(client: Any) -> None:
    response = client.http.get("/openapi.json")
    assert response.status_code == 200
    served = json.loads(response.body)
    assert _documented(served) == _app_routes()
    assert served["info"]["version"] == "0.1.0"


def test_built_on_first_request_only() -> None:
    """Cold start: importing the app builds nothing (and imports no webhook payload module)."""
    code = ("import sys, app; from chalicelib.handlers.openapi import document; "
            "assert document.cache_info().currsize == 0; "
            "assert 'chalicelib.payloads.woocommerce' not in sys.modules, 'imported at start'")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
