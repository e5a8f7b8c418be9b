"""The Airwallex recording service on in-memory ports: links to orders and subjects, sealing, card minimisation,
deduplication, order of events, ignored names, erased subjects."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from chalicelib.errors import InvalidInputError
from chalicelib.handlers.http import parse_model
from chalicelib.payloads.airwallex import PAYMENT_INTENT, REFUND, AirwallexEvent
from chalicelib.payloads.woocommerce import OrderPayload
from chalicelib.services.record_airwallex import record_event
from chalicelib.services.record_woocommerce import record_order
from tests.conftest import NOW
from tests.fakes.webhooks import AW, WC, load, memory

EMAIL = "jana.mueller@example.org"
INTENT = load(AW / "payment_intent.succeeded.json")
REFUND_EVENT = load(AW / "refund.succeeded.json")
DISPUTE_EVENT = load(AW / "payment_dispute.requires_response.json")
INTENT_ID = "int_hkpdcpcvbgh8mwk1234"


def event(base: dict[str, Any], **changes: Any) -> AirwallexEvent:
    data = copy.deepcopy(base)
    obj = data["data"]["object"]
    for key, value in changes.items():
        if key.startswith("env_"):
            data[key[4:]] = value
        elif value is None:
            obj.pop(key, None)
        else:
            obj[key] = value
    return AirwallexEvent.model_validate(data)


def with_order(world: Any) -> None:
    record_order(OrderPayload.model_validate(load(WC / "order.created.payload.json")), world.ports)


def test_a_payment_intent_is_linked_sealed_and_minimised() -> None:
    world = memory()
    assert record_event(event(INTENT), world.ports) == "accepted"
    stored = world.airwallex.get(PAYMENT_INTENT, INTENT_ID, now=NOW)
    assert stored is not None and stored.kind == "payment" and stored.category == "payment"
    assert stored.subject == world.subject(EMAIL) and stored.data["order_id"] == 1234
    assert stored.data["card"] == {"brand": "mastercard", "last4": "4444"}
    assert stored.data["amount"] == "54.9" and stored.data["status"] == "SUCCEEDED"
    assert stored.data["account_id"] == "acct_Hb1xY9QpRaSq2mW0" and stored.data["event_id"] == INTENT["id"]
    plain = json.dumps(stored.data, ensure_ascii=False)
    for secret in ("53651045", "2027", "fingerprint", "111e4Y759", "JANA MUELLER", "cvc", "Jana", EMAIL, "Haupt",
                   "1234567", "cus_hkpdk7f98gh8ir1234"):
        assert secret not in plain
    opened = world.opened(stored.sealed, world.subject(EMAIL))
    assert opened["customer"]["email"] == EMAIL and opened["customer"]["last_name"] == "Müller"
    assert opened["customer"]["phone_number"] == "+49 30 1234567"
    assert opened["shipping"]["address"]["street"] == "Hauptstraße 5"
    assert opened["billing"]["email"] == EMAIL
    everything = json.dumps(opened, ensure_ascii=False) + plain
    for card_secret in ("53651045", "09", "2027", "JANA MUELLER", "111e4Y759"):
        assert f'"{card_secret}"' not in everything


def test_wp_order_id_metadata_wins_over_merchant_order_id_as_the_plugin_does() -> None:
    world = memory()
    record_event(event(INTENT, merchant_order_id="999", metadata={"wp_order_id": "1234"}), world.ports)
    stored = world.airwallex.get(PAYMENT_INTENT, INTENT_ID, now=NOW)
    assert stored is not None and stored.data["order_id"] == 1234
    world = memory()
    record_event(event(INTENT, merchant_order_id="777", metadata={}), world.ports)
    stored = world.airwallex.get(PAYMENT_INTENT, INTENT_ID, now=NOW)
    assert stored is not None and stored.data["order_id"] == 777


@pytest.mark.parametrize("hint", ["ORDER-1", "", "0", "-5", "12" * 10, True, 2**53, 1.5, [1234], {"id": 1}])
def test_an_order_id_that_is_not_a_woocommerce_id_links_nothing(hint: Any) -> None:
    world = memory()
    record_event(event(INTENT, merchant_order_id=None, metadata={"wp_order_id": hint}), world.ports)
    stored = world.airwallex.get(PAYMENT_INTENT, INTENT_ID, now=NOW)
    assert stored is not None and "order_id" not in stored.data


def test_without_customer_e_mail_the_subject_is_the_linked_orders() -> None:
    world = memory()
    with_order(world)
    record_event(event(INTENT, customer=None, latest_payment_attempt=None), world.ports)
    stored = world.airwallex.get(PAYMENT_INTENT, INTENT_ID, now=NOW)
    assert stored is not None and stored.subject == world.subject(EMAIL)
    assert "customer" not in world.opened(stored.sealed, world.subject(EMAIL))


def test_without_any_subject_the_personal_fields_are_dropped() -> None:
    world = memory()
    record_event(event(INTENT, customer=None, latest_payment_attempt=None), world.ports)
    stored = world.airwallex.get(PAYMENT_INTENT, INTENT_ID, now=NOW)
    assert stored is not None and stored.subject is None and stored.sealed == {}
    assert stored.data["order_id"] == 1234


def test_a_refund_finds_its_order_and_subject_through_its_payment_intent() -> None:
    world = memory()
    record_event(event(INTENT), world.ports)
    assert record_event(event(REFUND_EVENT), world.ports) == "accepted"
    stored = world.airwallex.get(REFUND, "rfd_hkpdq7x2bgh8mw1234", now=NOW)
    assert stored is not None and stored.kind == "payment" and stored.category == "payment"
    assert stored.data["order_id"] == 1234 and stored.subject == world.subject(EMAIL)
    assert stored.data["account_id"] == "acct_Hb1xY9QpRaSq2mW0"  # accountId spelling
    assert world.opened(stored.sealed, world.subject(EMAIL)) == {"reason": "Bitte beim Nachbarn abgeben war falsch"}
    assert "Nachbarn" not in json.dumps(stored.data)


def test_a_dispute_is_in_the_dispute_category_and_linked_by_merchant_order_id() -> None:
    world = memory()
    with_order(world)
    assert record_event(event(DISPUTE_EVENT), world.ports) == "accepted"
    stored = world.airwallex.get("payment_dispute", "dis_hkpdz8m3bgh8mw1234", now=NOW)
    assert stored is not None and stored.kind == "dispute" and stored.category == "dispute"
    assert stored.data["order_id"] == 1234 and stored.subject == world.subject(EMAIL)
    assert stored.data["reason"] == "product_not_received"


def test_a_retry_is_a_duplicate_and_changes_nothing() -> None:
    world = memory()
    assert record_event(event(INTENT), world.ports) == "accepted"
    before = world.airwallex.get(PAYMENT_INTENT, INTENT_ID, now=NOW)
    assert record_event(event(INTENT), world.ports) == "duplicate"
    assert world.airwallex.get(PAYMENT_INTENT, INTENT_ID, now=NOW) == before


def test_an_older_event_never_overwrites_a_newer_state() -> None:
    world = memory()
    older = event(INTENT, env_id="evt_older", env_name="payment_intent.requires_capture",
                  env_created_at="2026-11-23T11:57:00+0000", status="REQUIRES_CAPTURE")
    assert record_event(event(INTENT), world.ports) == "accepted"
    assert record_event(older, world.ports) == "stale"
    stored = world.airwallex.get(PAYMENT_INTENT, INTENT_ID, now=NOW)
    assert stored is not None and stored.data["status"] == "SUCCEEDED"


def test_in_the_same_second_the_later_status_wins_whatever_the_order() -> None:
    earlier = event(INTENT, env_id="evt_same_second", env_name="payment_intent.requires_capture",
                    status="REQUIRES_CAPTURE")
    for sequence in ([earlier, event(INTENT)], [event(INTENT), earlier]):
        world = memory()
        for item in sequence:
            record_event(item, world.ports)
        stored = world.airwallex.get(PAYMENT_INTENT, INTENT_ID, now=NOW)
        assert stored is not None and stored.data["status"] == "SUCCEEDED"


def test_without_an_event_time_the_objects_updated_at_orders_it() -> None:
    world = memory()
    assert record_event(event(INTENT, env_created_at=None), world.ports) == "accepted"
    with pytest.raises(InvalidInputError, match="created_at"):
        record_event(event(INTENT, env_created_at=None, updated_at=None, created_at=None), world.ports)
    with pytest.raises(InvalidInputError, match="created_at"):
        record_event(event(INTENT, env_created_at="yesterday"), world.ports)


@pytest.mark.parametrize("name", ["payment_attempt.authorized", "customer.created", "payout.completed",
                                  "payment_intentX.created", "refund", "payment_intent.", "PAYMENT_INTENT.created"])
def test_other_event_names_are_ignored_and_store_nothing(name: str) -> None:
    world = memory()
    assert record_event(event(INTENT, env_name=name), world.ports) == "ignored"
    assert world.airwallex.objects == {}


def test_the_official_envelope_example_is_ignored() -> None:
    world = memory()
    official = load(AW / "envelope_example.json")
    assert record_event(AirwallexEvent.model_validate(official), world.ports) == "ignored"
    assert world.airwallex.objects == {}


def test_the_official_payment_intent_example_is_recorded_unlinked() -> None:
    world = memory()
    official = AirwallexEvent.model_validate(load(AW / "payment_intent_event_envelope_example.json"))
    assert record_event(official, world.ports) == "accepted"
    stored = world.airwallex.get(PAYMENT_INTENT, "int_aaaat9w2hgh8mzi1111", now=NOW)
    assert stored is not None and stored.subject is None and "order_id" not in stored.data  # "0000000000"
    assert stored.data["account_id"] == "78814faa-1b30-4598-a9c8-f0583db8d09d"


@pytest.mark.parametrize("body", [
    b'{"name": "payment_intent.succeeded", "data": {"object": {}}}',
    b'{"id": "evt 1", "name": "payment_intent.succeeded"}',
    b'{"id": "evt_1", "name": "payment_intent.succeeded", "data": {"object": []}}',
    b'{"id": "evt_1", "name": "payment_intent.succeeded", "data": []}',
    b'{"id": "evt_1", "name": true}',
    b'{"id": 12, "name": "payment_intent.succeeded"}',
])
def test_malformed_envelopes_are_a_400(body: bytes) -> None:
    world = memory()
    with pytest.raises(InvalidInputError):
        record_event(parse_model(AirwallexEvent, body), world.ports)
    assert world.airwallex.objects == {}


@pytest.mark.parametrize("change", [{"amount": "54.90"}, {"amount": True}, {"status": 5}, {"id": ""},
                                    {"customer": {"email": ["x"]}}, {"currency": "EURO-EURO-EURO"}])
def test_malformed_objects_are_a_400_naming_the_field(change: dict[str, Any]) -> None:
    world = memory()
    with pytest.raises(InvalidInputError, match=r"data\.object"):
        record_event(event(INTENT, **change), world.ports)
    assert world.airwallex.objects == {}


def test_an_erased_subjects_events_are_stored_without_personal_fields_or_link() -> None:
    world = memory()
    world.suppress(EMAIL)
    assert record_event(event(INTENT), world.ports) == "accepted"
    stored = world.airwallex.get(PAYMENT_INTENT, INTENT_ID, now=NOW)
    assert stored is not None and stored.subject is None and stored.sealed == {}
    assert "payment_intent_id" not in stored.data and "account_id" not in stored.data
