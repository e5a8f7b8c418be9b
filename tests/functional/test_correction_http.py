"""Corrections and account deletion by the store through the HTTP routes (chalice.test.Client, moto, a fake
WooCommerce REST API on 127.0.0.1): `POST /account/requests` (JWT), the guest form with its changes, the signed
`customer.deleted` delivery; bad input is a 4xx naming the field with nothing stored; JWT attacks; hostile JSON
(property-based); no personal data in the logs."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.domain.privacy_requests import Status
from chalicelib.services import privacy_requests as service
from chalicelib.services.store_account_deletion import request_id_for
from tests.conftest import EVENTS, NOW
from tests.fakes import woocommerce_api
from tests.fakes.hostile import (
    HOSTILE_SETTINGS,
    NEVER_ACCEPTED,
    Route,
    check,
    hostile_anywhere,
    stored_state,
    with_hostile,
)
from tests.fakes.subjects import sent_mail
from tests.helpers import account_token, bearer, drain_intake, jwt_attacks, wc_post

WC = EVENTS / "woocommerce"
EMAIL = "jana.mueller@example.org"
JSON = {"Content-Type": "application/json"}
CHANGES = {"last_name": "Schmidt-Korrigiert", "billing": {"address_1": "Neue Allee 99", "city": "Potsdam"}}
CORRECTION = {"type": "correction", "changes": CHANGES}
PERSONAL = ["Schmidt-Korrigiert", "Neue Allee 99", "Potsdam", EMAIL, "Müller", "Hauptstraße", "+49 30 1234567",
            "10115"]


@pytest.fixture
def store(local_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Iterator[woocommerce_api.FakeWooCommerce]:
    yield from woocommerce_api.running(monkeypatch)


def auth(customer_id: str = "57", address: str = EMAIL) -> dict[str, str]:
    return {**bearer(account_token(customer_id, address, now=NOW)), **JSON}


def body(response: Any) -> Any:
    return json.loads(response.body)


def fixture(name: str) -> bytes:
    return json.dumps(json.loads((WC / name).read_text())).encode()


def seed(client: Any) -> None:
    assert wc_post(client, "customer.created", fixture("customer.created.payload.json")).status_code == 200
    assert wc_post(client, "order.created", fixture("order.created.payload.json")).status_code == 200


def test_the_account_corrects_its_data_and_the_store_is_told(store: Any, client: Any, container: Any,
                                                             table_items: Any, log_output: Any) -> None:
    store.add_customer(57)
    seed(client)
    response = client.http.post("/account/requests", headers=auth(), body=json.dumps(CORRECTION))
    assert response.status_code == 202, response.body
    answer = body(response)
    assert answer["type"] == "correction" and answer["status"] == "completed"
    assert store.calls[0].body == CHANGES and store.calls[0].authorised
    shown = body(client.http.get(f"/account/requests/{answer['request_id']}", headers=auth()))
    assert shown["status"] == "completed"
    raw = json.dumps(table_items(), default=repr, ensure_ascii=False)
    output = log_output()
    for value in PERSONAL:
        assert value not in raw, value
        assert value not in output, value


@pytest.mark.parametrize(("payload", "field"), [
    ({"type": "correction", "changes": {"nickname": "x"}}, "changes.nickname"),
    ({"type": "correction", "changes": {"billing": {"floor": "3"}}}, "changes.billing.floor"),
    ({"type": "correction", "changes": {"first_name": "Jana\u0000"}}, "changes.first_name"),
    ({"type": "correction", "changes": {"first_name": "Jana\u202e"}}, "changes.first_name"),
    ({"type": "correction", "changes": {"last_name": "x" * 101}}, "changes.last_name"),
    ({"type": "correction", "changes": {"billing": {"country": "Germany"}}}, "changes.billing.country"),
    ({"type": "correction", "changes": {"billing": {"phone": "call me"}}}, "changes.billing.phone"),
    ({"type": "correction", "changes": {"email": "not an address"}}, "changes.email"),
    ({"type": "correction", "changes": {"first_name": 5}}, "changes.first_name"),
    ({"type": "correction", "changes": {}}, "changes"),
    ({"type": "correction", "changes": CHANGES, "order_ids": [True]}, "order_ids.0"),
    ({"type": "access", "changes": CHANGES}, "body"),
    ({"type": "deletion"}, "type"),
    ({"type": "rename"}, "type"),
    ({"type": "correction", "changes": CHANGES, "extra": 1}, "extra"),
])
def test_bad_corrections_are_400_naming_the_field_and_change_nothing(store: Any, client: Any, table_items: Any,
                                                                     payload: Any, field: str) -> None:
    seed(client)
    before = table_items()
    response = client.http.post("/account/requests", headers=auth(), body=json.dumps(payload))
    assert response.status_code == 400, response.body
    assert body(response)["field"] == field
    assert table_items() == before and store.calls == []


@pytest.mark.parametrize("attack", list(jwt_attacks(0)))
def test_jwt_attacks_on_the_request_route_are_401_and_nothing_is_stored(client: Any, clock: Any, table_items: Any,
                                                                        attack: str) -> None:
    bad = jwt_attacks(clock.now())[attack]
    headers = {**JSON, **(bearer(bad) if bad is not None else {})}
    before = table_items()
    response = client.http.post("/account/requests", headers=headers, body=json.dumps(CORRECTION))
    assert response.status_code == 401, (attack, response.body)
    assert table_items() == before


def test_a_guest_correction_is_verified_then_carried_out(store: Any, client: Any, container: Any,
                                                          table_items: Any, log_output: Any) -> None:
    store.add_customer(57)
    seed(client)
    posted = client.http.post("/privacy-requests", headers=JSON, body=json.dumps({**CORRECTION, "email": EMAIL}))
    assert posted.status_code == 202
    assert drain_intake(client) == 1
    [verification] = [m for m in sent_mail() if m["To"] == EMAIL]
    link = next(line for line in str(verification.get_payload(decode=True).decode("utf-8", "replace")).splitlines()
                if "/privacy-requests/verify?token=" in line)
    token = parse_qs(urlparse(link.strip()).query)["token"][0]
    confirmed = client.http.post("/privacy-requests/verify", body=f"token={token}",
                                 headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert confirmed.status_code == 200
    [request] = container.privacy_requests.for_subject(container.subject_for_email(EMAIL), now=NOW)
    assert request.status is Status.COMPLETED and request.channel.value == "web"
    assert request.params["fields"] == ["billing.address_1", "billing.city", "last_name"]
    assert store.customers[57]["billing"]["city"] == "Potsdam"
    raw = json.dumps(table_items(), default=repr, ensure_ascii=False)
    output = log_output()
    for value in PERSONAL:
        assert value not in raw, value
        assert value not in output, value


def test_a_bad_guest_correction_queues_nothing(client: Any, container: Any) -> None:
    from chalicelib import aws

    payload = {"email": EMAIL, "type": "correction", "changes": {"password": "hunter2"}}
    response = client.http.post("/privacy-requests", headers=JSON, body=json.dumps(payload))
    assert response.status_code == 400 and body(response)["field"] == "changes.password"
    queued = aws.client("sqs").get_queue_attributes(QueueUrl=container.settings.intake_queue_url,
                                                   AttributeNames=["ApproximateNumberOfMessages"])
    assert queued["Attributes"]["ApproximateNumberOfMessages"] == "0"


# -- customer.deleted -------------------------------------------------------------------------------------------------
def test_a_signed_customer_deleted_delivery_erases_the_account_once(client: Any, container: Any, table_items: Any,
                                                                    log_output: Any) -> None:
    seed(client)
    deleted = fixture("customer.deleted.payload.json")
    first = wc_post(client, "customer.deleted", deleted)
    assert first.status_code == 200 and body(first)["status"] == "accepted"
    again = wc_post(client, "customer.deleted", deleted)
    assert again.status_code == 200 and body(again)["status"] == "duplicate"
    subject = container.subject_for_email(EMAIL)
    [request] = container.privacy_requests.for_subject(subject, now=NOW)
    assert request.request_id == request_id_for(container, 57) and request.channel.value == "store"
    service.run_scheduled_request_work(container, now=NOW + 60, dry_run=False)
    done = service.get_request(container, request.request_id, now=NOW)
    assert done.status is Status.COMPLETED
    assert container.subject_keys.is_suppressed(subject, now=NOW + 60)
    [order] = [i for i in table_items() if i["pk"] == "ORDER#1234"]
    assert order["category"] == "anonymised_record"
    output = log_output()
    assert "store account deletion" in output
    for value in PERSONAL:
        assert value not in output, value


def test_customer_deleted_for_a_customer_never_seen_is_200_and_creates_no_request(client: Any, container: Any,
                                                                                  table_items: Any) -> None:
    response = wc_post(client, "customer.deleted", b'{"id": 4242}')
    assert response.status_code == 200
    assert not [i for i in table_items() if str(i["pk"]).startswith(("REQ#", "ACCT#", "SUBJ#"))]


def test_an_unsigned_customer_deleted_changes_nothing(client: Any, table_items: Any) -> None:
    seed(client)
    before = table_items()
    assert wc_post(client, "customer.deleted", b'{"id": 57}', signature="bm9wZQ==").status_code == 401
    assert wc_post(client, "customer.deleted", b'{"id": 57, "x": 1}').status_code == 400
    assert table_items() == before


# -- hostile JSON on the new bodies ---------------------------------------------------------------------------------
def _account(client: Any, raw: bytes) -> Any:
    return client.http.post("/account/requests", body=raw,
                            headers={**JSON, **bearer(account_token("57", EMAIL, now=NOW))})


def _guest(client: Any, raw: bytes) -> Any:
    return client.http.post("/privacy-requests", body=raw, headers=JSON)


def _customer_deleted(client: Any, raw: bytes) -> Any:
    return wc_post(client, "customer.deleted", raw)


ROUTES = [
    Route("woocommerce customer deletion", {"id": 57}, _customer_deleted),
    Route("account correction", {**CORRECTION, "order_ids": [1234]}, _account),
    Route("guest correction", {**CORRECTION, "email": "guest.person@example.com", "order_ids": [1234]}, _guest),
]


@pytest.fixture
def world(client: Any, container: Any, table_items: Any) -> Callable[[], Any]:
    return stored_state(container, table_items)


@pytest.mark.slow
@pytest.mark.parametrize("route", ROUTES, ids=[route.name for route in ROUTES])
@HOSTILE_SETTINGS
@given(data=st.data())
def test_a_hostile_value_anywhere_in_a_correction_is_refused_or_harmless(client: Any, world: Any, route: Route,
                                                                         data: st.DataObject) -> None:
    hostile_anywhere(client, world, route, data)


@pytest.mark.parametrize("route", ROUTES, ids=[route.name for route in ROUTES])
@pytest.mark.parametrize("hostile", NEVER_ACCEPTED, ids=[h.name for h in NEVER_ACCEPTED])
def test_what_no_route_accepts_is_refused_in_the_changes(client: Any, world: Any, route: Route, hostile: Any) -> None:
    path = ("id",) if route.name.startswith("woocommerce") else ("changes", "billing", "city")
    check(client, world, route, with_hostile(route.base, path, hostile), hostile)
