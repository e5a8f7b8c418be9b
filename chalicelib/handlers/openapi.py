"""The API contract: `GET /openapi.json` (OpenAPI 3.1), generated from what the routes declare.

`http.api_route(..., body=Model, responses=(200,), summary=..., auth=..., query=..., produces=...)` records one
`Operation` per path and method here as the route is registered; `document()` builds the document on first use
(cold start pays nothing for it) from the same pydantic models the handlers validate with
(`model_json_schema`, no hand-kept copy).  Every operation also documents the answers the one error path
(`http.response_for`) can give it: 400/413/415 where it reads a body, 401 behind a credential, 403 behind the CORS
check, 503 (with `Retry-After`) when storage is unavailable, all with the one error body `Error`.
tests/unit/test_openapi.py fails when a route of the app has no operation or an operation no route.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any

JSON = "application/json"
FORM = "application/x-www-form-urlencoded"
HTML = "text/html; charset=utf-8"

# The security schemes (components.securitySchemes); webhook signatures are header parameters (see SIGNATURES).
ACCOUNT = "accountJwt"
MARKETING_KEY = "marketingApiKey"
SECURITY_SCHEMES: dict[str, Any] = {
    ACCOUNT: {"type": "http", "scheme": "bearer", "bearerFormat": "JWT",
              "description": "The storefront's token for the logged-in customer (HS256 or RS256 as configured; "
                             "iss, aud, sub, email, exp, iat required)."},
    MARKETING_KEY: {"type": "http", "scheme": "bearer",
                    "description": "The store's mailing tool's API key (MARKETING_API_KEYS); every refusal is "
                                   "the same 401."},
}

# Signed webhooks: the headers each provider signs with (checked over the raw body; 401 when they do not verify).
SIGNATURES: dict[str, tuple[tuple[str, str], ...]] = {
    "woocommerce": (("X-WC-Webhook-Signature", "base64 HMAC-SHA256 of the raw body with the webhook secret"),
                    ("X-WC-Webhook-Topic", "order.created, order.updated, customer.deleted, ...")),
    "paypal": (("paypal-transmission-id", "PayPal's transmission id"),
               ("paypal-transmission-time", "RFC 3339 time of the transmission"),
               ("paypal-transmission-sig", "base64 RSA-SHA256 signature"),
               ("paypal-cert-url", "PayPal's certificate URL (only PayPal's hosts are fetched)"),
               ("paypal-auth-algo", "SHA256withRSA")),
    "airwallex": (("x-timestamp", "milliseconds since the epoch (a bounded window)"),
                  ("x-signature", "hex HMAC-SHA256 of timestamp + raw body")),
    "bitpay": (("x-signature", "HMAC-SHA256 of the raw body with the webhook token, when one is configured"),),
}

STATUS_TEXT = {200: "OK", 201: "Created", 202: "Accepted", 204: "No content (preflight)", 302: "Redirect",
               304: "Not modified (If-None-Match)", 400: "Invalid input", 401: "Not authenticated",
               403: "Origin not allowed", 404: "Not found", 409: "Conflict", 410: "Gone (subject erased)",
               413: "Body too large", 415: "Unsupported media type", 422: "Not confirmed by the provider",
               429: "Rate limited (Retry-After)", 503: "Temporarily unavailable (Retry-After)"}
RETRY_AFTER = {"Retry-After": {"description": "seconds to wait before retrying", "schema": {"type": "string"}}}

ERROR_SCHEMA: dict[str, Any] = {
    "type": "object", "additionalProperties": False, "required": ["error", "message"],
    "description": "The one error body (chalicelib/handlers/http.response_for).",
    "properties": {"error": {"type": "string", "description": "a stable code, e.g. invalid_input"},
                   "message": {"type": "string"}, "field": {"type": "string"}}}
# Chalice answers a Content-Type the route does not list before any view runs, with its own body.
FRAMEWORK_ERROR_SCHEMA: dict[str, Any] = {
    "type": "object", "description": "Chalice's own answer (before the view runs), e.g. 415.",
    "properties": {"Code": {"type": "string"}, "Message": {"type": "string"}}}


@dataclass(frozen=True)
class Operation:
    path: str
    method: str
    name: str
    summary: str
    body: Any = None  # a pydantic model, a tuple of them (any one of), or a ready schema (dict)
    body_types: tuple[str, ...] = ()
    responses: tuple[int, ...] = (200,)
    produces: str = JSON
    auth: str | None = None
    query: tuple[tuple[str, bool], ...] = ()  # (name, required)
    headers: tuple[tuple[str, str], ...] = ()
    cors: bool = False
    tags: tuple[str, ...] = field(default=())
    returns: Any = None  # the success body: a model, "module:Name" or a schema (dict); None: any JSON object
    module: str = ""


OPERATIONS: dict[tuple[str, str], Operation] = {}
APP_MODULES = "chalicelib.handlers."  # routes tests register on blueprints of their own are not the app's


def record(path: str, method: str, *, name: str, summary: str | None, body: Any = None,
           body_types: Iterable[str] = (), responses: Iterable[int] = (200,), produces: str = JSON,
           auth: str | None = None, query: Iterable[str] = (), headers: Iterable[tuple[str, str]] = (),
           cors: bool = False, module: str = "", returns: Any = None) -> None:
    """One route's entry (called by http.api_route as the route is registered).  A query name ending in `!` is
    required."""
    params = tuple((q.rstrip("!"), q.endswith("!")) for q in query)
    OPERATIONS[(path, method.upper())] = Operation(
        path, method.upper(), name, summary or name.replace("_", " "), body, tuple(body_types), tuple(responses),
        produces, auth, params, tuple(headers), cors, (path.strip("/").split("/")[0] or "root",), module=module,
        returns=returns)
    document.cache_clear()


def _model(candidate: Any) -> type[Any]:
    """A model, or "module:Name" (webhook payload modules are imported lazily, so their handlers name them)."""
    if isinstance(candidate, str):
        import importlib

        module, _, name = candidate.partition(":")
        return getattr(importlib.import_module(module), name)  # type: ignore[no-any-return]
    return candidate  # type: ignore[no-any-return]


def _alternatives(body: Any) -> tuple[Any, ...]:
    return body if isinstance(body, tuple) else (body,)


def _models(operations: Iterable[Operation]) -> list[tuple[type[Any], Any]]:
    """(model, mode): request bodies as they are validated, answers as they are serialised."""
    found: dict[str, tuple[type[Any], Any]] = {}
    for op in operations:
        for candidates, mode in ((op.body, "validation"), (op.returns, "serialization")):
            for candidate in _alternatives(candidates):
                if candidate is not None and not isinstance(candidate, dict):
                    model = _model(candidate)
                    found[model.__name__] = (model, mode)
    return list(found.values())


def _schema(candidate: Any) -> dict[str, Any]:
    if isinstance(candidate, dict):
        return candidate
    return {"$ref": f"#/components/schemas/{_model(candidate).__name__}"}


def _body_schema(body: Any) -> dict[str, Any]:
    alternatives = _alternatives(body)
    return _schema(alternatives[0]) if len(alternatives) == 1 else {"oneOf": [_schema(a) for a in alternatives]}


def _content(media: str, schema: Mapping[str, Any]) -> dict[str, Any]:
    return {media: {"schema": dict(schema)}}


def _error(status: int, schema_name: str = "Error") -> dict[str, Any]:
    answer: dict[str, Any] = {"description": STATUS_TEXT.get(status, "Error"),
                              "content": _content(JSON, {"$ref": f"#/components/schemas/{schema_name}"})}
    if status in (429, 503):
        answer["headers"] = RETRY_AFTER
    return answer


def _success(op: Operation, status: int) -> dict[str, Any]:
    answer: dict[str, Any] = {"description": STATUS_TEXT.get(status, "OK")}
    if status in (204, 304):
        return answer
    if status == 302:
        answer["headers"] = {"Location": {"description": "a short-lived signed URL", "schema": {"type": "string"}}}
        return answer
    schema: dict[str, Any] = {"type": "object"} if op.produces == JSON else {"type": "string"}
    if op.returns is not None and status == min(op.responses):
        schema = _body_schema(op.returns)
    answer["content"] = _content(op.produces, schema)
    return answer


def _parameters(op: Operation) -> list[dict[str, Any]]:
    params: list[dict[str, Any]] = []
    for segment in op.path.split("/"):
        if segment.startswith("{") and segment.endswith("}"):
            params.append({"name": segment[1:-1], "in": "path", "required": True,
                           "schema": {"type": "string", "maxLength": 256}})
    params += [{"name": name, "in": "query", "required": required, "schema": {"type": "string", "maxLength": 1024}}
               for name, required in op.query]
    params += [{"name": name, "in": "header", "required": False, "description": text, "schema": {"type": "string"}}
               for name, text in op.headers]
    return params


def _status_codes(op: Operation) -> list[int]:
    codes = set(op.responses) | {503}
    if op.body is not None or op.query or "{" in op.path:
        codes.add(400)
    if op.body is not None:
        codes |= {413, 415}
    if op.auth is not None or op.headers:
        codes.add(401)
    if op.cors:
        codes.add(403)
    return sorted(codes)


def _operation(op: Operation) -> dict[str, Any]:
    responses: dict[str, Any] = {}
    for code in _status_codes(op):
        if code < 400:
            responses[str(code)] = _success(op, code)
            continue
        responses[str(code)] = _error(code, "FrameworkError" if code == 415 else "Error")
        if op.produces == HTML and code in op.responses:  # a page answers its own refusals as a page
            responses[str(code)]["content"][HTML] = {"schema": {"type": "string"}}
    entry: dict[str, Any] = {"operationId": f"{op.module.rsplit('.', 1)[-1]}_{op.name}", "summary": op.summary,
                             "tags": list(op.tags), "responses": responses}
    params = _parameters(op)
    if params:
        entry["parameters"] = params
    if op.body is not None:
        schema = _body_schema(op.body)
        entry["requestBody"] = {"required": op.method != "DELETE" and op.name not in OPTIONAL_BODIES,
                                "content": {media: {"schema": schema} for media in (op.body_types or (JSON,))}}
    if op.auth and op.auth.endswith("?"):  # optional: a bad credential is refused, none is anonymous
        entry["security"] = [{}, {op.auth.rstrip("?"): []}]
    else:
        entry["security"] = [{op.auth: []}] if op.auth else []
    return entry


# Routes whose body is optional (an empty body means "confirmed" on the account's own requests).
OPTIONAL_BODIES = frozenset({"post_deletion", "post_restriction", "post_objection"})


@cache
def document(version: str = "0") -> dict[str, Any]:
    """The OpenAPI 3.1 document of every recorded operation (built once, on first use)."""
    from pydantic.json_schema import models_json_schema

    operations = sorted((op for op in OPERATIONS.values() if op.module.startswith(APP_MODULES)),
                        key=lambda op: (op.path, op.method))
    _, generated = models_json_schema(_models(operations),
                                      ref_template="#/components/schemas/{model}")
    schemas: dict[str, Any] = dict(generated.get("$defs", {}))
    schemas["Error"] = ERROR_SCHEMA
    schemas["FrameworkError"] = FRAMEWORK_ERROR_SCHEMA
    paths: dict[str, dict[str, Any]] = {}
    for op in operations:
        paths.setdefault(op.path, {})[op.method.lower()] = _operation(op)
    return {"openapi": "3.1.0",
            "info": {"title": "privacy-backend", "version": version,
                     "description": "Webhooks, consent proof, data subject rights and the store's privacy pages. "
                                    "Errors have one body (Error); 5xx answers are defects except 503, which "
                                    "says when to retry."},
            "jsonSchemaDialect": "https://json-schema.org/draft/2020-12/schema",
            "paths": paths,
            "components": {"schemas": schemas, "securitySchemes": SECURITY_SCHEMES}}
