"""`POST /webhooks/bitpay` through chalice.test.Client against a fake BitPay API on 127.0.0.1 (tests.fakes.bitpay_api,
configured through BITPAY_API_BASE): both IPN formats, the documented trailing comma, the derived x-signature vector,
duplicates, API 404/500/timeout/oversized/mismatch, sealing, logs, and the record in the subject's export."""

from __future__ import annotations

import itertools
import json
from typing import Any

import pytest

from chalicelib.crypto.vault import open_fields
from tests.conftest import EVENTS
from tests.fakes.bitpay_api import api_invoice, extended

BP = EVENTS / "bitpay"
JSON = {"Content-Type": "application/json"}
INVOICE_ID = "SkdsDghkdP3D3qkj7bLq3"
EXT_ID = "Hpqc62dfE1ZjzeeH4kEycF"
PERSONAL = ["Satoshi", "Nakamoto", "satoshi@nakamoto.com", "140 E 46th St", "555-555-5555", "test@bitpay.com"]


def standard() -> dict[str, Any]:
    return dict(json.loads((BP / "ipn_standard_paid_bch.json").read_text()))


def post(client: Any, body: bytes | dict[str, Any], **headers: str) -> Any:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return client.http.post("/webhooks/bitpay", body=raw, headers={**JSON, **headers})


def status(response: Any) -> str:
    assert response.status_code == 200, response.body
    return str(json.loads(response.body)["status"])


def invoices(table_items: Any) -> list[dict[str, Any]]:
    return [i for i in table_items() if str(i["pk"]).startswith("BITPAY#")]


def test_a_standard_ipn_stores_what_the_api_says(bitpay_server: Any, client: Any, container: Any,
                                                 table_items: Any) -> None:
    ipn = standard()
    bitpay_server.invoices[INVOICE_ID] = {**api_invoice(ipn), "status": "confirmed", "price": 12}
    assert status(post(client, {**ipn, "price": 99999, "status": "paid"})) == "accepted"
    [item] = invoices(table_items)
    assert item["data"]["status"] == "confirmed" and item["data"]["price"] == 12  # the API's, not the IPN's
    assert item["rev"] == "03.confirmed" and item["kind"] == "bitpay_payment" and item["category"] == "payment"
    [seen] = bitpay_server.seen
    assert seen.path == f"/invoices/{INVOICE_ID}" and seen.version == "2.0.0" and seen.token
    subject = container.subject_for_email("test@bitpay.com")
    assert item["subject_pk"] == f"SUBJ#{subject}"
    opened = open_fields(container.vault.cipher_for_reading(subject), item["sealed"])
    assert opened["buyer"] == {"email": "test@bitpay.com"}


def test_an_extended_ipn_is_linked_to_its_order_and_its_buyer_fields_sealed(bitpay_server: Any, client: Any,
                                                                            container: Any, table_items: Any) -> None:
    ipn = extended()
    bitpay_server.invoices[EXT_ID] = api_invoice(ipn)
    assert status(post(client, ipn)) == "accepted"
    assert status(post(client, ipn)) == "duplicate"  # invoice id + status
    [item] = invoices(table_items)
    assert item["data"]["order_id"] == 467 and item["data"]["status"] == "confirmed"
    subject = container.subject_for_email("satoshi@nakamoto.com")
    buyer = open_fields(container.vault.cipher_for_reading(subject), item["sealed"])["buyer"]
    assert buyer["name"] == "Satoshi Nakamoto" and buyer["phone"] == "555-555-5555"
    assert buyer["address1"] == "140 E 46th St" and buyer["email"] == "satoshi@nakamoto.com"
    everything = json.dumps(table_items(), default=repr)
    for value in PERSONAL:
        assert value not in everything


def test_the_documented_trailing_comma_is_accepted(bitpay_server: Any, client: Any, table_items: Any) -> None:
    bitpay_server.invoices[INVOICE_ID] = api_invoice(standard())
    verbatim = (BP / "ipn_standard_paid_bch_VERBATIM.txt").read_bytes()
    assert status(post(client, verbatim)) == "accepted"
    assert len(invoices(table_items)) == 1


def test_a_comma_inside_a_string_is_kept_and_other_syntax_errors_are_400(bitpay_server: Any, client: Any,
                                                                         table_items: Any) -> None:
    from chalicelib.payloads.bitpay import strip_trailing_commas

    assert strip_trailing_commas('{"a": ",}", "b": [1, 2, ], }') == '{"a": ",}", "b": [1, 2 ] }'
    assert strip_trailing_commas('{"a": "x\\",}",}') == '{"a": "x\\",}"}'
    for bad in [b'{"id": "SkdsDghkdP3D3qkj7bLq3",, }', b'{, "id": "SkdsDghkdP3D3qkj7bLq3"}', b"[,]", b"{,}",
                b'{"id": "SkdsDghkdP3D3qkj7bLq3"', b"", b"[]", b'"x"']:
        response = post(client, bad)
        assert response.status_code == 400, bad
    assert invoices(table_items) == [] and bitpay_server.seen == []


def test_the_derived_signature_vector(bitpay_server: Any, monkeypatch: pytest.MonkeyPatch, client: Any,
                                      table_items: Any) -> None:
    from chalicelib.signatures import bitpay as signature

    vector = json.loads((BP / "x_signature_vector_DERIVED.json").read_text())
    body = vector["raw_body"].encode()
    assert signature.sign(body, vector["signing_key"]) == vector["headers"]["x-signature"]
    signature.verify_signature(body, vector["headers"]["x-signature"], vector["signing_key"])
    monkeypatch.setenv("BITPAY_WEBHOOK_TOKEN", vector["signing_key"])
    # the vector's signature passes; its placeholder invoice id is then refused before BitPay is asked
    response = post(client, body, **{"x-signature": vector["headers"]["x-signature"]})
    assert response.status_code == 400 and json.loads(response.body)["field"] == "invoice.id"
    ipn = extended()
    bitpay_server.invoices[EXT_ID] = api_invoice(ipn)
    raw = json.dumps(ipn).encode()
    good = signature.sign(raw, vector["signing_key"])
    for headers in [{}, {"x-signature": ""}, {"x-signature": vector["headers"]["x-signature"]},
                    {"x-signature": good[:-2] + "A="}, {"x-signature": "ünïcode"}]:
        assert post(client, raw, **headers).status_code == 401
    tampered = raw.replace(b"10.5", b"10.6")
    assert post(client, tampered, **{"x-signature": good}).status_code == 401
    assert invoices(table_items) == [] and bitpay_server.seen == []  # nothing fetched, nothing stored
    assert status(post(client, raw, **{"x-signature": good})) == "accepted"


def test_without_a_webhook_token_no_signature_is_needed(bitpay_server: Any, client: Any) -> None:
    bitpay_server.invoices[EXT_ID] = api_invoice(extended())
    assert status(post(client, extended(), **{"x-signature": "anything"})) == "accepted"


@pytest.mark.parametrize(("mode", "expected"), [("missing", 422), ("mismatch", 422), ("500", 503),
                                                ("timeout", 503), ("oversized", 503), ("garbage", 503)])
def test_an_invoice_the_api_does_not_confirm_stores_nothing(bitpay_server: Any, client: Any, table_items: Any,
                                                            mode: str, expected: int) -> None:
    ipn = extended()
    if mode != "missing":
        bitpay_server.invoices[EXT_ID] = api_invoice(ipn)
        bitpay_server.mode[EXT_ID] = mode
    before = table_items()
    response = post(client, ipn)
    assert response.status_code == expected, response.body
    if expected == 503:
        assert int(response.headers["Retry-After"]) > 0
    body = json.loads(response.body)
    assert body["error"] in ("invoice_not_confirmed", "bitpay_unavailable")
    assert "token" not in response.body.decode() and "127.0.0.1" not in response.body.decode()
    assert table_items() == before


def test_an_unknown_status_is_422_and_stores_nothing(bitpay_server: Any, client: Any, table_items: Any) -> None:
    ipn = extended()
    bitpay_server.invoices[EXT_ID] = {**api_invoice(ipn), "status": "teleported"}
    assert post(client, ipn).status_code == 422
    assert invoices(table_items) == []


def test_a_storage_failure_is_503_and_nothing_is_stored(bitpay_server: Any, client: Any, table_items: Any) -> None:
    from chalicelib import aws
    from tests.fakes.faults import refusing

    bitpay_server.invoices[EXT_ID] = api_invoice(extended())
    with refusing(aws.dynamodb(), "TransactWriteItems", code="ServiceUnavailable"):
        response = post(client, extended())
    assert response.status_code == 503 and response.headers.get("Retry-After")
    assert invoices(table_items) == []
    assert status(post(client, extended())) == "accepted"


STATUSES = ["new", "paid", "confirmed", "complete"]


@pytest.mark.parametrize("order", list(itertools.permutations(STATUSES)), ids="-".join)
def test_an_older_status_never_overwrites_a_newer_one(bitpay_server: Any, client: Any, table_items: Any,
                                                      order: tuple[str, ...]) -> None:
    """Each IPN finds the API at the status it announces (as when BitPay sends them as the invoice moves on, and
    they arrive out of order): whatever the order, the stored status is the newest."""
    ipn = extended()
    answers = []
    for step in order:
        bitpay_server.invoices[EXT_ID] = {**api_invoice(ipn), "status": step}
        answers.append(status(post(client, extended(status=step))))
        answers.append(status(post(client, extended(status=step))))  # a retry
    [item] = invoices(table_items)
    assert item["data"]["status"] == "complete" and item["rev"] == "04.complete"
    assert answers.count("accepted") == sum(1 for i, s in enumerate(order) if all(
        STATUSES.index(s) > STATUSES.index(t) for t in order[:i]))
    assert all(a in ("accepted", "duplicate", "stale") for a in answers)


def test_a_terminal_status_wins(bitpay_server: Any, client: Any, table_items: Any) -> None:
    ipn = extended()
    for step, expected in [("paid", "accepted"), ("invalid", "accepted"), ("confirmed", "stale")]:
        bitpay_server.invoices[EXT_ID] = {**api_invoice(ipn), "status": step}
        assert status(post(client, ipn)) == expected
    [item] = invoices(table_items)
    assert item["data"]["status"] == "invalid"


def test_logs_carry_no_personal_data_nor_the_token(bitpay_server: Any, client: Any, log_output: Any) -> None:
    bitpay_server.invoices[EXT_ID] = api_invoice(extended())
    bitpay_server.invoices[INVOICE_ID] = api_invoice(standard())
    post(client, extended())
    post(client, standard())
    bitpay_server.mode[EXT_ID] = "timeout"
    post(client, extended(status="complete"))
    output = log_output()
    assert "bitpay invoice" in output
    for value in [*PERSONAL, "local-bitpay-api-token-not-real"]:
        assert value not in output


def test_the_invoice_is_in_the_subjects_export(bitpay_server: Any, client: Any, container: Any) -> None:
    from chalicelib.services.export_subject import export_subject
    from tests.conftest import NOW
    from tests.fakes.subjects import read_object

    bitpay_server.invoices[EXT_ID] = api_invoice(extended())
    assert status(post(client, extended())) == "accepted"
    subject = container.subject_for_email("satoshi@nakamoto.com")
    result = export_subject(container, subject=subject, request_id="req-bitpay", now=NOW)
    document = json.loads(read_object(container, result.json_key))
    [record] = [r for r in document["records"] if r["kind"] == "bitpay_payment"]
    assert record["category"] == "payment" and record["data"]["invoice_id"] == EXT_ID
    assert record["data"]["source"] == "BitPay"
    assert record["personal"]["buyer"]["name"] == "Satoshi Nakamoto"
