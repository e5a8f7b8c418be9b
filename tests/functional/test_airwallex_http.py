"""`POST /webhooks/airwallex` through chalice.test.Client on moto: the derived signature vector, tampering and
replays (401, nothing stored), duplicates, ignored names, no plaintext personal data in the table or the logs, the
records in the subject's export, and their retention category."""

from __future__ import annotations

import json
from typing import Any

import pytest

from chalicelib.crypto.vault import open_fields
from tests.conftest import EVENTS, NOW
from tests.helpers import aw_post, wc_post

AW = EVENTS / "airwallex"
WC = EVENTS / "woocommerce"
EMAIL = "jana.mueller@example.org"
SECRET = "local-dev-airwallex-webhook-secret-not-real"  # the local stage's value (.chalice/config.json)
VECTOR: dict[str, Any] = json.loads((AW / "signature_vector_DERIVED.json").read_text())
PERSONAL = ["jana.mueller@example.org", "Jana", "Müller", "Hauptstraße", "+49 30 1234567", "1234567", "10115",
            "JANA MUELLER", "53651045", "111e4Y759", "Bitte beim Nachbarn", "cus_hkpdk7f98gh8ir1234"]


def body_of(name: str) -> bytes:
    return json.dumps(json.loads((AW / name).read_text()), ensure_ascii=False).encode()


def airwallex_items(table_items: Any) -> list[dict[str, Any]]:
    return [item for item in table_items() if str(item["pk"]).startswith("AIRWALLEX#")]


def status(response: Any) -> str:
    assert response.status_code == 200, response.body
    return str(json.loads(response.body)["status"])


@pytest.fixture
def vector_secret(container: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """The vector's secret instead of the local stage's (chalice.test.Client re-applies the stage's environment)."""
    monkeypatch.setattr(container, "airwallex_secret", lambda: VECTOR["secret"])


def test_the_derived_vector_is_verified_and_stored(client: Any, clock: Any, vector_secret: None,
                                                   table_items: Any) -> None:
    clock.set(int(VECTOR["headers"]["x-timestamp"]) / 1000 + 30)
    response = aw_post(client, VECTOR["raw_body"].encode(), timestamp=VECTOR["headers"]["x-timestamp"],
                       signature=VECTOR["headers"]["x-signature"])
    assert status(response) == "accepted"
    [item] = airwallex_items(table_items)
    assert item["pk"] == "AIRWALLEX#payment_intent#int_aaaat9w2hgh8mzi1111" and item["sk"] == "STATE"
    assert item["kind"] == "payment" and item["category"] == "payment"
    assert item["data"]["account_id"] == "78814faa-1b30-4598-a9c8-f0583db8d09d"


def _flip(text: str, index: int) -> str:
    return text[:index] + chr(ord(text[index]) ^ 0x01) + text[index + 1:]


@pytest.mark.parametrize("part,index", [("body", 0), ("body", 100), ("body", -2), ("timestamp", 0),
                                        ("timestamp", -1), ("signature", 0), ("signature", -1)])
def test_one_byte_changed_is_a_401_and_nothing_is_stored(client: Any, clock: Any, vector_secret: None,
                                                        table_items: Any, part: str, index: int) -> None:
    clock.set(int(VECTOR["headers"]["x-timestamp"]) / 1000)
    body, timestamp, signature = VECTOR["raw_body"], VECTOR["headers"]["x-timestamp"], VECTOR["headers"][
        "x-signature"]
    if part == "body":
        body = _flip(body, index % len(body))
    elif part == "timestamp":
        timestamp = _flip(timestamp, index % len(timestamp))
    else:
        signature = _flip(signature, index % len(signature))
    before = table_items()
    response = aw_post(client, body.encode(), timestamp=timestamp, signature=signature)
    assert response.status_code == 401
    assert json.loads(response.body)["error"] and table_items() == before


@pytest.mark.parametrize("offset_ms", [-301_000, 301_000, -86_400_000])
def test_a_stale_or_future_timestamp_is_a_401_and_nothing_is_stored(client: Any, table_items: Any,
                                                                   offset_ms: int) -> None:
    before = table_items()
    response = aw_post(client, body_of("payment_intent.succeeded.json"), timestamp=str(NOW * 1000 + offset_ms))
    assert response.status_code == 401 and table_items() == before


@pytest.mark.parametrize("headers", [{"signature": None}, {"timestamp": ""}, {"secret": "another-secret"}])
def test_missing_or_foreign_signatures_are_a_401(client: Any, table_items: Any, headers: dict[str, Any]) -> None:
    before = table_items()
    response = aw_post(client, body_of("payment_intent.succeeded.json"), **headers)
    assert response.status_code == 401 and table_items() == before


def test_events_are_stored_sealed_and_a_retry_is_a_duplicate(client: Any, container: Any, table_items: Any,
                                                            log_output: Any) -> None:
    assert status(wc_post(client, "order.created", (WC / "order.created.payload.json").read_bytes())) == "accepted"
    for name in ("payment_intent.succeeded.json", "refund.succeeded.json", "payment_dispute.requires_response.json"):
        assert status(aw_post(client, body_of(name))) == "accepted"
        assert status(aw_post(client, body_of(name))) == "duplicate"
    items = {item["pk"]: item for item in airwallex_items(table_items)}
    assert len(items) == 3
    subject = container.subject_for_email(EMAIL)
    intent = items["AIRWALLEX#payment_intent#int_hkpdcpcvbgh8mwk1234"]
    refund = items["AIRWALLEX#refund#rfd_hkpdq7x2bgh8mw1234"]
    dispute = items["AIRWALLEX#payment_dispute#dis_hkpdz8m3bgh8mw1234"]
    assert (intent["category"], refund["category"], dispute["category"]) == ("payment", "payment", "dispute")
    for item in (intent, refund, dispute):
        assert item["data"]["order_id"] == 1234 and item["subject_pk"] == f"SUBJ#{subject}"
    assert intent["data"]["card"] == {"brand": "mastercard", "last4": "4444"}
    opened = open_fields(container.vault.cipher_for_reading(subject), intent["sealed"])
    assert opened["customer"]["email"] == EMAIL and opened["shipping"]["last_name"] == "Müller"
    stored = json.dumps(airwallex_items(table_items), ensure_ascii=False, default=str)
    logs = log_output()
    for value in PERSONAL:
        assert value not in stored, value
        assert value not in logs, value


def test_an_older_event_is_stale_and_changes_nothing(client: Any, table_items: Any) -> None:
    assert status(aw_post(client, body_of("payment_intent.succeeded.json"))) == "accepted"
    older = json.loads(body_of("payment_intent.succeeded.json"))
    older.update(id="evt_older", name="payment_intent.requires_capture", created_at="2026-11-23T11:50:00+0000")
    older["data"]["object"]["status"] = "REQUIRES_CAPTURE"
    before = airwallex_items(table_items)
    assert status(aw_post(client, json.dumps(older).encode())) == "stale"
    assert airwallex_items(table_items) == before and before[0]["data"]["status"] == "SUCCEEDED"


@pytest.mark.parametrize("name", ["envelope_example.json"])
def test_other_event_names_are_acknowledged_and_store_nothing(client: Any, table_items: Any, name: str) -> None:
    before = table_items()
    assert status(aw_post(client, body_of(name))) == "ignored"
    assert table_items() == before


@pytest.mark.parametrize("body", [b"", b"[]", b"not json", b'{"id": "evt_1"}',
                                  b'{"id": "evt_1", "name": "payment_intent.created", "data": {"object": 5}}'])
def test_malformed_bodies_are_a_400_and_store_nothing(client: Any, table_items: Any, body: bytes) -> None:
    before = table_items()
    response = aw_post(client, body)
    assert response.status_code == 400 and json.loads(response.body)["error"] and table_items() == before


def test_each_airwallex_record_is_in_the_subjects_export(client: Any, container: Any) -> None:
    from chalicelib.services.export_subject import export_subject
    from tests.fakes.subjects import read_object

    assert status(wc_post(client, "order.created", (WC / "order.created.payload.json").read_bytes())) == "accepted"
    for name in ("payment_intent.succeeded.json", "refund.succeeded.json", "payment_dispute.requires_response.json"):
        assert status(aw_post(client, body_of(name))) == "accepted"
    subject = container.subject_for_email(EMAIL)
    result = export_subject(container, subject=subject, request_id="req1", now=NOW)
    document = json.loads(read_object(container, result.json_key))
    records = [r for r in document["records"] if "#AIRWALLEX#" in str(r["id"])]
    assert sorted((r["kind"], r["category"]) for r in records) == [("dispute", "dispute"), ("payment", "payment"),
                                                                  ("payment", "payment")]
    intent = next(r for r in records if r["data"].get("card"))
    assert intent["personal"]["customer"]["email"] == EMAIL and intent["retained_until"]
    assert intent["source"] == "Airwallex, about payments for your orders"
    refund = next(r for r in records if r["data"].get("refund_id"))
    assert refund["personal"]["reason"].startswith("Bitte beim Nachbarn")


def test_erasure_anonymises_the_airwallex_records_and_a_later_event_stays_unlinked(client: Any, container: Any,
                                                                                  table_items: Any) -> None:
    from tests.fakes.subjects import deletion_request, erase

    assert status(wc_post(client, "order.created", (WC / "order.created.payload.json").read_bytes())) == "accepted"
    for name in ("payment_intent.succeeded.json", "refund.succeeded.json", "payment_dispute.requires_response.json"):
        assert status(aw_post(client, body_of(name))) == "accepted"
    done = erase(container, deletion_request(container, EMAIL))
    assert done.result["receipt"]["anonymised"] == {"dispute": 1, "order": 1, "payment": 2, "paypal_ref": 2}
    later = json.loads(body_of("payment_intent.succeeded.json"))
    later.update(id="evt_after_erasure", name="payment_intent.cancelled", created_at="2026-11-23T11:59:59+0000")
    later["data"]["object"]["status"] = "CANCELLED"
    assert status(aw_post(client, json.dumps(later, ensure_ascii=False).encode())) == "accepted"
    items = airwallex_items(table_items)
    assert len(items) == 3 and not any("subject_pk" in item or "sealed" in item for item in items)
    dump = json.dumps(items, ensure_ascii=False, default=str)
    for value in PERSONAL:
        assert value not in dump, value
    data = json.dumps([item["data"] for item in items])  # the item keys still name the object, as ORDER#<id> does
    for identifier in ("int_hkpdcpcvbgh8mwk1234", "rfd_hkpdq7x2bgh8mw1234", "dis_hkpdz8m3bgh8mw1234",
                       "acct_Hb1xY9QpRaSq2mW0"):
        assert identifier not in data, identifier
