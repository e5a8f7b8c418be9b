"""Hostile JSON on every JSON route (property-based): a 4xx and nothing stored, never a 5xx.

Each example takes a valid body of the route and puts one hostile value at a random place in it (or replaces the
whole body): nesting far past the limit, `NaN` / `Infinity` / `1e400`, integers of 10^19 and more, `true` where an id
goes, lone UTF-16 surrogates, control characters, strings past every size limit, and values of the wrong type.
For the values no route may ever accept (depth, non-finite and out-of-range numbers, surrogates, a boolean id) the
answer must be a 4xx; for the rest (a control character in a free-text note is text) it may be a 2xx, but never a
5xx.  Whenever the answer is a 4xx, the tables (data and keys), the intake queue and the sent mail are unchanged.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.conftest import EVENTS, NOW
from tests.fakes.hostile import (
    HOSTILE,
    HOSTILE_SETTINGS,
    JSON,
    NEVER_ACCEPTED,
    Hostile,
    Route,
    check,
    hostile_anywhere,
    paths,
    stored_state,
    with_hostile,
)
from tests.helpers import POLICIES, account_token, bearer, store_policy, wc_signature

pytestmark = pytest.mark.slow


def _wc(topic: str) -> Callable[[Any, bytes], Any]:
    def send(client: Any, body: bytes) -> Any:
        return client.http.post("/webhooks/woocommerce", body=body, headers={
            **JSON, "X-WC-Webhook-Topic": topic, "X-WC-Webhook-Signature": wc_signature(body)})
    return send


def _plain(method: str, path: str, *, token: bool = False) -> Callable[[Any, bytes], Any]:
    def send(client: Any, body: bytes) -> Any:
        headers = {**JSON, **(bearer(account_token("57", "jana.mueller@example.org", now=NOW)) if token else {})}
        return getattr(client.http, method)(path, body=body, headers=headers)
    return send


# -- Airwallex: signed like Airwallex does (hex HMAC-SHA256 of x-timestamp + body, the local stage's secret) --------
def _aw(client: Any, body: bytes) -> Any:
    from chalicelib.signatures.airwallex import sign

    timestamp = str(NOW * 1000)
    signature = sign(timestamp, body, "local-dev-airwallex-webhook-secret-not-real")
    return client.http.post("/webhooks/airwallex", body=body,
                            headers={**JSON, "x-timestamp": timestamp, "x-signature": signature})
# -- end Airwallex -------------------------------------------------------------------------------------------------


def _fixture(name: str) -> Any:
    return json.loads((EVENTS / name).read_text())


CONSENT = {"visitor_id": "v-0123456789abcdef", "action": "custom", "policy_version": "2026-05",
           "choices": {"preferences": True, "analytics": False, "marketing": False}, "locale": "de-DE"}
ROUTES = [
    Route("woocommerce order", _fixture("woocommerce/order.created.payload.json"), _wc("order.updated")),
    Route("woocommerce customer", _fixture("woocommerce/customer.created.payload.json"), _wc("customer.updated")),
    Route("woocommerce deletion", _fixture("woocommerce/order.deleted.payload.json"), _wc("order.deleted")),
    Route("paypal", _fixture("paypal/CHECKOUT.ORDER.COMPLETED.json"), _plain("post", "/webhooks/paypal")),
    Route("airwallex", _fixture("airwallex/payment_intent.succeeded.json"), _aw),  # Airwallex
    Route("consent", CONSENT, _plain("post", "/consent")),
    Route("account consent", {k: v for k, v in CONSENT.items() if k != "visitor_id"},
          _plain("put", "/account/privacy/consent", token=True)),
    Route("account marketing", {"email_marketing": True}, _plain("put", "/account/privacy/marketing", token=True)),
    Route("account deletion", {"confirm": True}, _plain("post", "/account/deletion", token=True)),
    Route("account restriction", {"confirm": True}, _plain("post", "/account/restriction", token=True)),
    Route("account objection", {"confirm": True}, _plain("post", "/account/objection", token=True)),
    Route("guest request", {"email": "guest.person@example.com", "type": "access", "language": "de"},
          _plain("post", "/privacy-requests")),
]


class AcceptEveryDelivery:
    """Stands in for PayPal's signature check (tested on its own), so hostile bodies reach the parser."""

    def verify(self, headers: Any, body: bytes) -> None:
        return None


@pytest.fixture
def world(client: Any, container: Any, table_items: Any) -> Callable[[], Any]:
    container.override(paypal_verifier=AcceptEveryDelivery())
    return stored_state(container, table_items)


@pytest.mark.parametrize("route", ROUTES, ids=[route.name for route in ROUTES])
@HOSTILE_SETTINGS
@given(data=st.data())
def test_a_hostile_value_anywhere_is_refused_or_harmless(client: Any, world: Any, route: Route,
                                                         data: st.DataObject) -> None:
    hostile_anywhere(client, world, route, data)


@pytest.mark.parametrize("route", ROUTES, ids=[route.name for route in ROUTES])
@pytest.mark.parametrize("hostile", NEVER_ACCEPTED, ids=[h.name for h in NEVER_ACCEPTED])
def test_what_no_route_accepts_is_refused_at_the_first_field(client: Any, world: Any, route: Route,
                                                             hostile: Hostile) -> None:
    path = paths(route.base)[1]  # the first field of the body
    check(client, world, route, with_hostile(route.base, path, hostile), hostile)


@pytest.mark.parametrize("ident", ["true", "false", "1.0", '"1234"', str(2**53), "0", "-5"])
@pytest.mark.parametrize("route", ROUTES[:3], ids=[route.name for route in ROUTES[:3]])
def test_a_woocommerce_id_is_a_positive_json_integer(client: Any, world: Any, route: Route, ident: str) -> None:
    check(client, world, route, with_hostile(route.base, ("id",), Hostile(ident, True, f"id {ident}")),
          Hostile(ident, True, f"id {ident}"))


# -- the consent routes of each store: choices name the store's own categories (its policy file) -----------------------
def store_consent(name: str) -> dict[str, Any]:
    policy = store_policy(name)
    categories = [category for category in policy.cookies if category != "essential"]
    return {**CONSENT, "policy_version": policy.policy.version,
            "choices": {category: index % 2 == 0 for index, category in enumerate(categories)}}


@pytest.fixture(params=POLICIES)
def store(request: pytest.FixtureRequest, container: Any) -> str:
    container.override(store_policy=store_policy(request.param))
    return str(request.param)


@HOSTILE_SETTINGS
@given(data=st.data())
def test_a_hostile_value_in_a_consent_of_each_store_is_refused_or_harmless(client: Any, store: str, world: Any,
                                                                          data: st.DataObject) -> None:
    route = Route(f"consent {store}", store_consent(store), _plain("post", "/consent"))
    hostile_anywhere(client, world, route, data)


category_names = st.one_of(st.sampled_from(["essential", "preferences", "analytics", "marketing", "support",
                                            "tracking", "Marketing", "__proto__", "", "x" * 5000]),
                           st.text(max_size=40))
choice_values = st.one_of(st.booleans(), st.none(), st.integers(-(10**6), 10**6), st.text(max_size=8), st.just([True]),
                          st.just({"granted": True}))


@HOSTILE_SETTINGS
@given(choices=st.dictionaries(category_names, choice_values, max_size=20))
def test_choices_that_are_not_exactly_the_stores_categories_change_nothing(client: Any, store: str, world: Any,
                                                                          choices: dict[str, Any]) -> None:
    expected = {category for category in store_policy(store).cookies if category != "essential"}
    named = {k: v for k, v in choices.items() if not (k == "essential" and v is True)}
    exact = set(named) == expected and all(isinstance(v, bool) for v in named.values())
    body = json.dumps({**store_consent(store), "choices": choices}).encode()
    before = world()
    response = client.http.post("/consent", body=body, headers=JSON)
    assert response.status_code == (201 if exact else 400), response.body
    if not exact:
        assert world() == before and json.loads(response.body)["field"].startswith("choices")


config_headers = st.fixed_dictionaries({}, optional={
    "If-None-Match": st.one_of(st.text(max_size=50), st.just('"' + "v" * 10_000 + '"'), st.just("*")),
    "Origin": st.sampled_from(["https://store.example", "https://evil.example", "null", ""]),
    "Accept": st.text(max_size=30)})


@HOSTILE_SETTINGS
@given(headers=config_headers, query=st.dictionaries(st.text(min_size=1, max_size=10), st.text(max_size=20),
                                                     max_size=3))
def test_the_banner_configuration_ignores_hostile_headers_and_queries(client: Any, store: str, world: Any,
                                                                      headers: dict[str, str],
                                                                      query: dict[str, str]) -> None:
    from urllib.parse import urlencode

    safe = {k: v for k, v in headers.items() if v.isprintable() and v.isascii()}
    before = world()
    response = client.http.get("/consent/config" + (f"?{urlencode(query)}" if query else ""), headers=safe)
    assert response.status_code in (200, 304, 403), response.body
    if response.status_code == 200:
        assert json.loads(response.body)["policy_version"] == store_policy(store).policy.version
    assert world() == before


@given(email=st.one_of(
    st.text(min_size=1, max_size=80).map(lambda s: s + "@example.com"),
    st.sampled_from(["a@b.example\x00", "a\x01@b.example", "a@b.example\u202e", "a b@c.example", "a@b@c.example",
                     "Jana <jana@example.org>", "a@b.example, attacker@evil.example", "a@b.example;c@d.example",
                     "x" * 65 + "@example.com", "a@" + "b" * 250 + ".com", "a@b", "a@-b.example", "a@b..example",
                     ".a@b.example", "a.@b.example", "a@b.example\r\nBcc: x@evil.example", '"a"@b.example'])))
@HOSTILE_SETTINGS
def test_an_address_that_is_not_one_mailbox_is_refused_by_the_guest_form(client: Any, world: Any,
                                                                         email: str) -> None:
    from chalicelib.domain.email_address import is_email

    body = json.dumps({"email": email, "type": "access"}).encode()
    before = world()
    response = client.http.post("/privacy-requests", body=body, headers=JSON)
    assert response.status_code == (202 if is_email(email) else 400)
    if response.status_code == 400:
        assert world() == before


# -- BitPay (begin): the IPN route, its invoice served by the fake BitPay API on 127.0.0.1 ---------------------------
BITPAY_IPN = _fixture("bitpay/ipn_extended_invoice_confirmed.json")
BITPAY_IPN["data"]["id"] = "Hpqc62dfE1ZjzeeH4kEycF"
BITPAY_ROUTE = Route("bitpay", BITPAY_IPN, _plain("post", "/webhooks/bitpay"))


@HOSTILE_SETTINGS
@given(data=st.data())
def test_a_hostile_value_anywhere_in_a_bitpay_ipn_is_refused_or_harmless(bitpay_server: Any, client: Any,
                                                                        world: Any, data: st.DataObject) -> None:
    bitpay_server.invoices["Hpqc62dfE1ZjzeeH4kEycF"] = dict(BITPAY_IPN["data"])
    path = data.draw(st.sampled_from(paths(BITPAY_ROUTE.base)), label="path")
    hostile = data.draw(st.sampled_from(HOSTILE), label="hostile")
    check(client, world, BITPAY_ROUTE, with_hostile(BITPAY_ROUTE.base, path, hostile), hostile)


@pytest.mark.parametrize("hostile", [*NEVER_ACCEPTED, Hostile("true", True, "true id"),
                                     Hostile('"../../x?token=y"', True, "path id"),
                                     Hostile('"http://169.254.169.254/"', True, "url id")],
                         ids=lambda h: h.name)
@pytest.mark.parametrize("where", [("data", "id"), ("id",)], ids=["extended id", "standard id"])
def test_a_hostile_bitpay_invoice_id_is_refused_before_bitpay_is_asked(bitpay_server: Any, client: Any, world: Any,
                                                                       hostile: Hostile,
                                                                       where: tuple[str, ...]) -> None:
    base = BITPAY_IPN if where[0] == "data" else dict(BITPAY_IPN["data"])
    check(client, world, BITPAY_ROUTE, with_hostile(base, where, hostile), hostile)
    assert bitpay_server.seen == []
# -- BitPay (end) ---------------------------------------------------------------------------------------------------
