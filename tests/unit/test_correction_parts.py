"""The parts of a correction on their own: the changes' model (known fields only, sane values), the WooCommerce REST
client against the fake WooCommerce server on 127.0.0.1 (each outcome), the store's body, the mail (names only) and
the WOOCOMMERCE_API_BASE setting."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from pydantic import ValidationError

from chalicelib.adapters.http_client import UrllibHttp
from chalicelib.adapters.woocommerce_api import WooCommerceApi
from chalicelib.mail.correction import correction_answer
from chalicelib.mail.templates import Sender
from chalicelib.payloads.corrections import CorrectionChanges, changed_fields
from chalicelib.payloads.privacy_requests import AccountRequestBody, WebRequestBody
from chalicelib.services.privacy_requests.correction import store_body
from chalicelib.settings import ConfigurationError, load_settings
from tests.conftest import stage_env
from tests.fakes import woocommerce_api
from tests.fakes.woocommerce_api import CONSUMER_KEY, CONSUMER_SECRET

CHANGES = {"first_name": "Janna", "email": "jana.new@example.org",
           "billing": {"city": "Potsdam", "country": "DE", "company": ""}, "shipping": {"address_2": ""}}


# -- the changes ------------------------------------------------------------------------------------------------------
def test_known_fields_are_accepted_and_named() -> None:
    changes = CorrectionChanges.model_validate(CHANGES)
    assert changes.given() == CHANGES
    assert changed_fields(changes.given()) == ["billing.city", "billing.company", "billing.country", "email",
                                               "first_name", "shipping.address_2"]


@pytest.mark.parametrize(("changes", "where"), [
    ({"username": "jana"}, ("username",)),
    ({"billing": {"email": "x@example.org"}}, ("billing", "email")),  # the account's address, not a billing part
    ({"shipping": {"street": "x"}}, ("shipping", "street")),
    ({"first_name": ""}, ("first_name",)),
    ({"first_name": " Jana"}, ("first_name",)),
    ({"first_name": "Ja\nna"}, ("first_name",)),
    ({"first_name": "Ja\u2028na"}, ("first_name",)),
    ({"last_name": "x" * 101}, ("last_name",)),
    ({"billing": {"address_1": "y" * 201}}, ("billing", "address_1")),
    ({"billing": {"postcode": "10115; DROP"}}, ("billing", "postcode")),
    ({"billing": {"country": "de"}}, ("billing", "country")),
    ({"billing": {"phone": "+49 30 1234567 ext<script>"}}, ("billing", "phone")),
    ({"billing": {"city": 5}}, ("billing", "city")),
    ({"billing": "Potsdam"}, ("billing",)),
    ({"email": "two@example.org, three@example.org"}, ("email",)),
    ({"billing": {}}, ()),
    ({}, ()),
])
def test_anything_else_is_refused_at_its_place(changes: dict[str, Any], where: tuple[str, ...]) -> None:
    with pytest.raises(ValidationError) as refused:
        CorrectionChanges.model_validate(changes)
    assert refused.value.errors()[0]["loc"][:len(where)] == where


def test_changes_and_orders_belong_to_a_correction_only() -> None:
    assert AccountRequestBody.model_validate({"type": "restriction"}).changes is None
    with pytest.raises(ValidationError):
        AccountRequestBody.model_validate({"type": "access", "changes": {"first_name": "x"}})
    with pytest.raises(ValidationError):
        AccountRequestBody.model_validate({"type": "correction", "order_ids": [1]})
    with pytest.raises(ValidationError):
        AccountRequestBody.model_validate({"type": "correction", "changes": {"first_name": "x"},
                                           "order_ids": list(range(1, 22))})
    guest = WebRequestBody.model_validate({"email": "a@example.org", "type": "correction",
                                           "changes": {"first_name": "x"}, "order_ids": [7]})
    assert guest.order_ids == [7]


def test_the_store_never_gets_the_email_change() -> None:
    assert store_body(CHANGES) == {"first_name": "Janna", "billing": CHANGES["billing"],
                                   "shipping": CHANGES["shipping"]}


def test_the_answer_names_fields_never_values() -> None:
    subject, text = correction_answer(request_id="r1", corrected=["billing.city", "first_name"],
                                      left=["e-mail address: a person changes it"],
                                      sender=Sender(name="Store", privacy="privacy@store.example"))
    assert "billing address: city" in text and "first name" in text and "e-mail address" in text
    assert "what follows" in subject and "Potsdam" not in text and "Janna" not in text


# -- the WooCommerce REST client ------------------------------------------------------------------------------------
@pytest.fixture
def fake() -> Iterator[woocommerce_api.FakeWooCommerce]:
    server_fake, server = woocommerce_api.start()
    server_fake.add_customer(57)
    yield server_fake
    woocommerce_api.stop(server)


def client(base: str, key: str = CONSUMER_KEY, secret: str = CONSUMER_SECRET) -> WooCommerceApi:
    return WooCommerceApi(UrllibHttp(), base, lambda: (key, secret), timeout=0.5)


def test_an_update_is_put_with_basic_auth_and_the_customer_schema(fake: Any) -> None:
    answer = client(fake.base).update_customer(57, store_body(CHANGES))
    assert answer.outcome == "updated" and answer.status == 200
    [call] = fake.calls
    assert call.method == "PUT" and call.path == "/wp-json/wc/v3/customers/57" and call.authorised
    assert fake.customers[57]["billing"]["city"] == "Potsdam" and fake.customers[57]["first_name"] == "Janna"


@pytest.mark.parametrize(("setup", "outcome", "status"), [
    ({"fail_next": [503]}, "retry", 503),
    ({"fail_next": [500]}, "retry", 500),
    ({"fail_next": [429]}, "retry", 429),
    ({"slow": True}, "retry", None),
    ({"garbage": True}, "retry", 200),
    ({"fail_next": [403]}, "rejected", 403),
])
def test_failures_are_retried_or_refused(fake: Any, setup: dict[str, Any], outcome: str, status: int | None) -> None:
    for name, value in setup.items():
        setattr(fake.faults, name, value)
    answer = client(fake.base).update_customer(57, {"first_name": "Janna"})
    assert (answer.outcome, answer.status) == (outcome, status)


def test_an_unknown_customer_and_wrong_keys_are_refusals_with_woocommerces_code(fake: Any) -> None:
    unknown = client(fake.base).update_customer(58, {"first_name": "Janna"})
    assert (unknown.outcome, unknown.status, unknown.code) == ("rejected", 400, "woocommerce_rest_invalid_id")
    wrong = client(fake.base, secret="cs_wrong").update_customer(57, {"first_name": "Janna"})
    assert (wrong.outcome, wrong.status, wrong.code) == ("rejected", 401, "woocommerce_rest_cannot_edit")
    assert fake.customers[57]["first_name"] == ""


def test_a_body_outside_the_schema_is_refused_by_the_fake(fake: Any) -> None:
    answer = client(fake.base).update_customer(57, {"billing": {"floor": "3"}})
    assert (answer.outcome, answer.code) == ("rejected", "rest_invalid_param")


def test_without_a_base_or_keys_nothing_is_sent(fake: Any) -> None:
    assert client("").update_customer(57, {"first_name": "x"}).outcome == "not_configured"
    assert client(fake.base, key="").update_customer(57, {"first_name": "x"}).outcome == "not_configured"
    assert fake.calls == []


def test_an_unreachable_store_is_retried() -> None:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    assert client(f"http://127.0.0.1:{port}").update_customer(57, {"first_name": "x"}).outcome == "retry"


# -- the setting ----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("stage", ["dev", "prod"])
def test_a_deployed_stage_reaches_the_store_over_https_only(stage: str) -> None:
    env = stage_env("local") | stage_env(stage) | {"PAYPAL_WEBHOOK_ID": "3RN13029J36659323",
                                                   "PUBLIC_BASE_URL": "https://privacy-api.store.example"}
    with pytest.raises(ConfigurationError, match="WOOCOMMERCE_API_BASE"):
        load_settings(env | {"WOOCOMMERCE_API_BASE": "http://shop.example"})
    assert load_settings(env | {"WOOCOMMERCE_API_BASE": "https://shop.example"}).woocommerce_api_base
    assert load_settings(env).woocommerce_api_base == ""  # not configured: corrections reach the store by a person
