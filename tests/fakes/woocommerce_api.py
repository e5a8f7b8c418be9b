"""A fake WooCommerce REST API (v3) on 127.0.0.1 (a free port, in a thread, stopped after the test), for the one call
a correction makes: `PUT /wp-json/wc/v3/customers/{id}` (https://woocommerce.github.io/woocommerce-rest-api-docs/
#update-a-customer).

It speaks what WooCommerce answers:
- HTTP Basic auth with the consumer key and secret, else 401 `woocommerce_rest_cannot_edit`;
- an unknown customer id: 400 `woocommerce_rest_invalid_id` ("Invalid resource ID.");
- the body: a JSON object of the customer schema's writable properties (`email`, `first_name`, `last_name`,
  `username`, `password`, `billing{...}`, `shipping{...}`, `meta_data`), each a string (addresses: their documented
  properties, strings); anything else: 400 `rest_invalid_param` (stricter than WordPress, which ignores unknown
  top-level keys, so that a body of ours that does not follow the schema fails the test);
- success: 200 with the customer as it is now (the change applied to the stored customer).

It records every call (method, path, whether the auth was right, the JSON body) and can misbehave: `faults`
(`fail_next` statuses, `slow` answers after the client's timeout, `garbage`).
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from http.server import ThreadingHTTPServer
from typing import Any

from tests.fakes import local_http
from tests.fakes.processor_apis import Faults

CONSUMER_KEY = "ck_0123456789abcdef0123456789abcdef01234567"
CONSUMER_SECRET = "cs_fedcba9876543210fedcba9876543210fedcba98"
PREFIX = "/wp-json/wc/v3/customers/"
ADDRESS = ("first_name", "last_name", "company", "address_1", "address_2", "city", "state", "postcode", "country",
           "phone")
BILLING = (*ADDRESS, "email")
WRITABLE = ("email", "first_name", "last_name", "username", "password", "billing", "shipping", "meta_data")


@dataclass
class Call:
    method: str
    path: str
    authorised: bool
    body: Any


@dataclass
class FakeWooCommerce:
    base: str = ""
    customers: dict[int, dict[str, Any]] = field(default_factory=dict)
    calls: list[Call] = field(default_factory=list)
    faults: Faults = field(default_factory=Faults)

    def add_customer(self, customer_id: int, **fields: Any) -> None:
        self.customers[customer_id] = {"id": customer_id, "email": "", "first_name": "", "last_name": "",
                                       "billing": dict.fromkeys(BILLING, ""),
                                       "shipping": dict.fromkeys(ADDRESS, ""), **fields}

    def answer(self, method: str, path: str, headers: dict[str, str], raw: bytes) -> tuple[int, bytes]:
        authorised = headers.get("authorization") == "Basic " + base64.b64encode(
            f"{CONSUMER_KEY}:{CONSUMER_SECRET}".encode()).decode()
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        self.calls.append(Call(method, path, authorised, body))
        injected = self.faults.inject()
        if injected is not None:
            return injected
        if not authorised:
            return _error(401, "woocommerce_rest_cannot_edit", "Sorry, you are not allowed to edit this resource.")
        ident = path.removeprefix(PREFIX)
        if method != "PUT" or not path.startswith(PREFIX) or not ident.isdigit():
            return _error(404, "rest_no_route", "No route was found matching the URL and request method.")
        customer = self.customers.get(int(ident))
        if customer is None:
            return _error(400, "woocommerce_rest_invalid_id", "Invalid resource ID.")
        problem = _schema_problem(body)
        if problem:
            return _error(400, "rest_invalid_param", f"Invalid parameter(s): {problem}")
        for name, value in body.items():
            if isinstance(value, dict):
                customer[name] = {**customer.get(name, {}), **value}
            else:
                customer[name] = value
        return 200, json.dumps(customer).encode()


def _error(status: int, code: str, message: str) -> tuple[int, bytes]:
    return status, json.dumps({"code": code, "message": message, "data": {"status": status}}).encode()


def _schema_problem(body: Any) -> str | None:
    if not isinstance(body, dict) or not body:
        return "body"
    for name, value in body.items():
        if name not in WRITABLE or name == "meta_data":
            return name
        if name in ("billing", "shipping"):
            allowed = BILLING if name == "billing" else ADDRESS
            if not isinstance(value, dict) or any(k not in allowed or not isinstance(v, str) for k, v in value.items()):
                return name
        elif not isinstance(value, str):
            return name
    return None


def start() -> tuple[FakeWooCommerce, ThreadingHTTPServer]:
    fake = FakeWooCommerce()
    fake.base, server = local_http.serve(lambda method, path, _query, headers, body: fake.answer(
        method, path, headers, body), content_type="application/json; charset=UTF-8")
    return fake, server


stop = local_http.stop


def running(monkeypatch: Any) -> Any:
    """Start the fake and point the settings and secrets at it (WOOCOMMERCE_API_BASE, the consumer key and
    secret, a 0.5 s timeout); a generator for a fixture, which stops it.  Use it before `container`/`client`."""
    from chalicelib.settings import get_settings

    fake, server = start()
    monkeypatch.setenv("WOOCOMMERCE_API_BASE", fake.base)
    monkeypatch.setenv("WOOCOMMERCE_CONSUMER_KEY", CONSUMER_KEY)
    monkeypatch.setenv("WOOCOMMERCE_CONSUMER_SECRET", CONSUMER_SECRET)
    monkeypatch.setenv("WOOCOMMERCE_API_TIMEOUT_SECONDS", "0.5")
    get_settings.cache_clear()
    try:
        yield fake
    finally:
        stop(server)
