"""Both webhook endpoints through chalice.test.Client: every fixture topic/event, signatures, ping, statuses, and
that no personal data from the fixtures reaches the logs or the table in the clear."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from chalicelib.crypto.vault import open_fields
from chalicelib.storage.subject_keys import SUPPRESSED_SK, subject_pk
from tests.conftest import EVENTS, NOW
from tests.helpers import wc_post, wc_signature

WC = EVENTS / "woocommerce"
PP = EVENTS / "paypal"
EMAIL = "jana.mueller@example.org"
PERSONAL = ["jana.mueller@example.org", "Jana", "Müller", "Hauptstraße", "+49 30 1234567", "1234567", "10115",
            "203.0.113.45", "203.0.113.0", "Bitte beim Nachbarn", "Package never arrived", "QYR5Z8XDVJNXQ",
            "4RM85893A7845262J", "Mozilla/5.0", "Mozilla\\/5.0"]




def fixture_body(path: Path) -> bytes:
    return json.dumps(json.loads(path.read_text())).encode()


def status(response: Any) -> str:
    assert response.status_code == 200, response.body
    return str(json.loads(response.body)["status"])




def pp_post(client: Any, paypal: Any, body: bytes, **overrides: str) -> Any:
    headers = {"Content-Type": "application/json", **paypal.headers(body), **overrides}
    return client.http.post("/webhooks/paypal", body=body, headers=headers)


def stored(table_items: Any, prefix: str) -> list[dict[str, Any]]:
    return [i for i in table_items() if str(i["pk"]).startswith(prefix)]


# -- WooCommerce ----------------------------------------------------------------------------------------------------
def test_signed_wire_body_is_verified_over_the_exact_bytes_and_stored(client: Any, container: Any,
                                                                     table_items: Any) -> None:
    wire = (WC / "order.created.wire-body.txt").read_bytes()
    vector = json.loads((WC / "signature-test-vector.json").read_text())
    response = wc_post(client, "order.created", wire, signature=vector["expected_X-WC-Webhook-Signature"])
    assert status(response) == "accepted"
    [order] = stored(table_items, "ORDER#")
    assert order["pk"] == "ORDER#1234" and order["sk"] == "ORDER" and order["kind"] == "order"
    assert order["category"] == "order"
    subject = container.subject_for_email(EMAIL)
    assert order["subject_pk"] == subject_pk(subject) and order["subject_sk"] == "ORDER#000000001234"
    assert order["data"]["billing_country"] == "DE" and order["data"]["total"] == "54.90"
    opened = open_fields(container.vault.cipher_for_reading(subject), order["sealed"])
    assert opened["billing"]["last_name"] == "Müller" and opened["customer_ip"] == "203.0.113.0"
    assert opened["customer_note"] == "Bitte beim Nachbarn abgeben."
    assert "Mozilla" not in json.dumps(order, default=str)


def test_the_same_bytes_with_a_changed_byte_or_wrong_signature_are_refused(client: Any, table_items: Any) -> None:
    wire = (WC / "order.created.wire-body.txt").read_bytes()
    good = wc_signature(wire)
    reserialised = json.dumps(json.loads(wire)).encode()  # same JSON, other bytes: the signature must not match
    assert wc_post(client, "order.created", reserialised, signature=good).status_code == 401
    assert wc_post(client, "order.created", wire.replace(b"54.90", b"54.91"), signature=good).status_code == 401
    assert wc_post(client, "order.created", wire, signature=None).status_code == 401
    assert wc_post(client, "order.created", wire, signature="bm9wZQ==").status_code == 401
    assert wc_post(client, "order.created", wire, signature=wc_signature(wire, "another-secret")).status_code == 401
    assert stored(table_items, "ORDER#") == []


def test_ping_is_answered_200_and_stores_nothing(client: Any, table_items: Any) -> None:
    before = len(table_items())
    response = client.http.post("/webhooks/woocommerce", body=b"webhook_id=12",
                                headers={"Content-Type": "application/x-www-form-urlencoded",
                                         "User-Agent": "WooCommerce/9.4.2 Hookshot (WordPress/6.7.1)"})
    assert response.status_code == 200 and json.loads(response.body) == {"status": "ping"}
    assert len(table_items()) == before


def test_unsigned_form_that_is_not_a_ping_is_refused(client: Any) -> None:
    response = client.http.post("/webhooks/woocommerce", body=b"webhook_id=12&x=1",
                                headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert response.status_code == 401


@pytest.mark.parametrize(("topic", "fixture", "pk"), [
    ("order.created", "order.created.payload.json", "ORDER#1234"),
    ("order.updated", "order.paypal-standard.payload.json", "ORDER#1235"),
    ("order.restored", "order.created.payload.json", "ORDER#1234"),
    ("customer.created", "customer.created.payload.json", "CUSTOMER#57"),
    ("customer.updated", "customer.created.payload.json", "CUSTOMER#57"),
])
def test_every_full_topic_is_stored(client: Any, table_items: Any, topic: str, fixture: str, pk: str) -> None:
    assert status(wc_post(client, topic, fixture_body(WC / fixture))) == "accepted"
    [item] = [i for i in table_items() if i["pk"] == pk]
    assert item["sealed"] and item["subject_pk"].startswith("SUBJ#") and isinstance(item["expires_at"], int)


def test_order_then_deleted_leaves_a_tombstone_that_wins_over_a_late_update(client: Any, table_items: Any) -> None:
    order = fixture_body(WC / "order.created.payload.json")
    assert status(wc_post(client, "order.created", order)) == "accepted"
    assert status(wc_post(client, "order.deleted", fixture_body(WC / "order.deleted.payload.json"))) == "accepted"
    assert status(wc_post(client, "order.updated", order)) == "stale"
    assert status(wc_post(client, "order.deleted", b'{"id":1234}')) == "duplicate"
    [item] = [i for i in table_items() if i["pk"] == "ORDER#1234"]
    assert "sealed" not in item and "subject_pk" not in item and "data" not in item and item["deleted_at"] == NOW


def test_customer_deleted_moves_the_profile_to_deleted_account(client: Any, table_items: Any) -> None:
    wc_post(client, "customer.created", fixture_body(WC / "customer.created.payload.json"))
    assert status(wc_post(client, "customer.deleted", fixture_body(WC / "customer.deleted.payload.json"))) == \
        "accepted"
    [item] = [i for i in table_items() if i["pk"] == "CUSTOMER#57"]
    assert item["category"] == "deleted_account" and item["expires_at"] == NOW + 30 * 86400
    assert item["due_pk"] == "DUE#deleted_account" and item["due_sk"].startswith(f"{NOW + 30 * 86400:010d}#")


def test_duplicate_and_stale_deliveries(client: Any) -> None:
    payload = json.loads((WC / "order.created.payload.json").read_text())
    newer = {**payload, "status": "completed", "date_modified_gmt": "2024-11-06T09:00:00"}
    assert status(wc_post(client, "order.updated", json.dumps(newer).encode())) == "accepted"
    assert status(wc_post(client, "order.updated", json.dumps(newer).encode())) == "duplicate"
    assert status(wc_post(client, "order.created", json.dumps(payload).encode())) == "stale"


def test_other_topics_are_ignored(client: Any, table_items: Any) -> None:
    before = len(table_items())
    assert status(wc_post(client, "product.updated", b'{"id": 93, "name": "T-Shirt"}')) == "ignored"
    assert status(wc_post(client, "action.woocommerce_x", b'{"action": "x", "arg": 1}')) == "ignored"
    assert len(table_items()) == before


@pytest.mark.parametrize("body", [b"not json", b"[1,2]", b'{"id": "abc"}', b'{"id": 1234}', b""])
def test_bad_order_bodies_are_400_and_store_nothing(client: Any, table_items: Any, body: bytes) -> None:
    response = wc_post(client, "order.updated", body)
    assert response.status_code == 400
    assert json.loads(response.body)["error"] == "invalid_input"
    assert stored(table_items, "ORDER#") == []


def test_deleted_body_must_be_exactly_an_id(client: Any) -> None:
    assert wc_post(client, "order.deleted", b'{"id": 1234, "status": "x"}').status_code == 400
    assert wc_post(client, "customer.deleted", b'{"id": 0}').status_code == 400


def test_bodies_above_one_mebibyte_are_413(client: Any, paypal: Any) -> None:
    big = b'{"id": 1, "pad": "' + b"x" * (1024 * 1024) + b'"}'
    assert wc_post(client, "order.updated", big).status_code == 413
    assert pp_post(client, paypal, big).status_code == 413


def test_storage_failure_is_503_and_nothing_is_stored(client: Any, container: Any, table_items: Any) -> None:
    from chalicelib import aws
    from tests.fakes.faults import refusing

    with refusing(aws.dynamodb(), "TransactWriteItems", code="ServiceUnavailable"):
        response = wc_post(client, "order.created", fixture_body(WC / "order.created.payload.json"))
    assert response.status_code == 503 and response.headers.get("Retry-After")
    assert stored(table_items, "ORDER#") == [] and stored(table_items, "PAYPALREF#") == []
    assert status(wc_post(client, "order.created", fixture_body(WC / "order.created.payload.json"))) == "accepted"


def test_an_erased_subject_is_not_resurrected(client: Any, container: Any, table_items: Any) -> None:
    subject = container.subject_for_email(EMAIL)
    container.keys_table.put({"pk": subject_pk(subject), "sk": SUPPRESSED_SK, "suppressed_at": NOW,
                         "expires_at": NOW + 3650 * 86400})
    assert status(wc_post(client, "order.created", fixture_body(WC / "order.created.payload.json"))) == "accepted"
    [order] = stored(table_items, "ORDER#")
    assert "sealed" not in order and "subject_pk" not in order
    assert "customer_id" not in order["data"] and "transaction_id" not in order["data"]
    assert order["data"]["total"] == "54.90"
    assert not any(i["pk"] == subject_pk(subject) and i["sk"] == "KEY" for i in table_items())
    assert stored(table_items, "PAYPALREF#") == []


# -- PayPal ---------------------------------------------------------------------------------------------------------
PAYPAL_FIXTURES = ["CHECKOUT.ORDER.APPROVED.json", "CHECKOUT.ORDER.COMPLETED.json", "CUSTOMER.DISPUTE.CREATED.json",
                   "PAYMENT.CAPTURE.COMPLETED.json", "PAYMENT.CAPTURE.DENIED.json", "PAYMENT.CAPTURE.REFUNDED.json"]


@pytest.mark.parametrize("name", PAYPAL_FIXTURES)
def test_every_paypal_fixture_is_recorded_once_and_linked(client: Any, container: Any, table_items: Any,
                                                          paypal: Any, name: str) -> None:
    wc_post(client, "order.created", fixture_body(WC / "order.created.payload.json"))
    body = (PP / name).read_bytes()
    event = json.loads(body)
    assert status(pp_post(client, paypal, body)) == "accepted"
    assert status(pp_post(client, paypal, body)) == "duplicate"
    [item] = stored(table_items, "PAYPAL#")
    assert item["pk"] == f"PAYPAL#{event['id']}" and item["sk"] == "EVENT"
    assert item["data"]["order_id"] == 1234
    assert item["subject_pk"] == subject_pk(container.subject_for_email(EMAIL))
    kind = "dispute" if name.startswith("CUSTOMER.DISPUTE") else "payment"
    assert item["kind"] == kind and item["category"] == kind


def test_dispute_messages_and_payer_are_sealed(client: Any, container: Any, table_items: Any, paypal: Any) -> None:
    wc_post(client, "order.created", fixture_body(WC / "order.created.payload.json"))
    for name in ("CUSTOMER.DISPUTE.CREATED.json", "CHECKOUT.ORDER.COMPLETED.json"):
        pp_post(client, paypal, (PP / name).read_bytes())
    subject = container.subject_for_email(EMAIL)
    cipher = container.vault.cipher_for_reading(subject)
    by_kind = {i["kind"]: i for i in stored(table_items, "PAYPAL#")}
    dispute = open_fields(cipher, by_kind["dispute"]["sealed"])
    assert dispute["messages"][0]["content"].startswith("Package never arrived")
    assert dispute["buyer"] == [{"name": "Jana Müller"}]
    payment = open_fields(cipher, by_kind["payment"]["sealed"])
    assert payment["payer"]["email"] == EMAIL
    raw = json.dumps(stored(table_items, "PAYPAL#"), default=str)
    assert "Package never" not in raw and EMAIL not in raw and "Müller" not in raw


def test_paypal_without_a_valid_signature_is_401_and_stores_nothing(client: Any, paypal: Any,
                                                                     table_items: Any) -> None:
    body = (PP / "PAYMENT.CAPTURE.COMPLETED.json").read_bytes()
    headers = paypal.headers(body)
    assert client.http.post("/webhooks/paypal", body=body,
                            headers={"Content-Type": "application/json"}).status_code == 401
    tampered = body.replace(b"54.90", b"54.91")
    assert client.http.post("/webhooks/paypal", body=tampered,
                            headers={"Content-Type": "application/json", **headers}).status_code == 401
    foreign = {**headers, "PAYPAL-CERT-URL": "https://evil.example/v1/notifications/certs/CERT-1"}
    assert client.http.post("/webhooks/paypal", body=body,
                            headers={"Content-Type": "application/json", **foreign}).status_code == 401
    assert stored(table_items, "PAYPAL#") == []
    assert paypal.http.requested == [paypal.cert_url]  # the foreign host was never contacted


def test_paypal_bad_json_is_400(client: Any, paypal: Any) -> None:
    assert pp_post(client, paypal, b'{"id": "WH-1"}').status_code == 400
    assert pp_post(client, paypal, b"[]").status_code == 400
    bad_resource = json.dumps({"id": "WH-2", "event_type": "PAYMENT.CAPTURE.COMPLETED", "resource": {}}).encode()
    response = pp_post(client, paypal, bad_resource)
    assert response.status_code == 400 and json.loads(response.body)["field"] == "resource.id"


def test_other_paypal_events_are_ignored(client: Any, paypal: Any, table_items: Any) -> None:
    body = json.dumps({"id": "WH-X", "event_type": "BILLING.SUBSCRIPTION.CREATED", "resource": {}}).encode()
    assert status(pp_post(client, paypal, body)) == "ignored"
    assert stored(table_items, "PAYPAL#") == []


def test_logs_carry_no_personal_data(client: Any, paypal: Any, log_output: Any, table_items: Any) -> None:
    wc_post(client, "order.created", (WC / "order.created.wire-body.txt").read_bytes())
    for topic, fixture in [("order.updated", "order.paypal-standard.payload.json"),
                           ("customer.created", "customer.created.payload.json"),
                           ("customer.deleted", "customer.deleted.payload.json"),
                           ("order.deleted", "order.deleted.payload.json")]:
        wc_post(client, topic, fixture_body(WC / fixture))
    for name in PAYPAL_FIXTURES:
        pp_post(client, paypal, (PP / name).read_bytes())
    wc_post(client, "order.updated", b"not json")
    wc_post(client, "order.updated", (WC / "order.created.wire-body.txt").read_bytes(), signature="bad")
    output = log_output()
    assert "woocommerce delivery" in output and "paypal event" in output
    for value in PERSONAL:
        assert value not in output, value
    # and nothing personal is stored in the clear either
    raw = json.dumps(table_items(), default=repr, ensure_ascii=False)
    for value in PERSONAL:
        assert value not in raw, value


def test_a_real_paypal_signed_delivery_is_refused_offline_without_its_intermediate(client: Any, container: Any,
                                                                                    clock: Any,
                                                                                    table_items: Any) -> None:
    """Vector 1 (PayPal sandbox, webhook id = the local stage's PAYPAL_WEBHOOK_ID) through the HTTP path, with the
    clock inside its certificate's validity.  PayPal served the leaf alone; its DigiCert intermediate is fetched from
    the leaf's AIA URL, which is unreachable here (offline), so the chain cannot reach a pinned root: 401, nothing
    stored.  (The signature over PayPal's real bytes is proven in test_paypal_signature.)"""
    from chalicelib.adapters.http_client import HttpResponse
    from chalicelib.domain.clock import parse_iso
    from tests.fakes.paypal import CERT_PEM, REAL_ISSUER_URL, VECTORS, VECTORS_DIR, FakeHttp

    entry = VECTORS[0]
    assert entry["webhook_id"] == container.settings.paypal_webhook_id
    http = FakeHttp({entry["headers"]["PAYPAL-CERT-URL"]: HttpResponse(200, CERT_PEM)})
    container.override(http=http)
    clock.set(parse_iso("2015-05-12T18:15:00Z"))
    body = (VECTORS_DIR / entry["body_file"]).read_bytes()
    headers = {"Content-Type": "application/json", **entry["headers"]}
    response = client.http.post("/webhooks/paypal", body=body, headers=headers)
    assert response.status_code == 401 and b"missing or invalid webhook signature" in response.body
    assert http.requested == [entry["headers"]["PAYPAL-CERT-URL"], REAL_ISSUER_URL]
    assert stored(table_items, "PAYPAL#") == []


def test_a_leaf_only_paypal_delivery_completed_from_aia_passes_the_endpoint(client: Any, container: Any,
                                                                           table_items: Any) -> None:
    """The real vector's body (PAYMENT.SALE.COMPLETED), signed like PayPal by the local test PKI whose cert URL
    serves the leaf alone: the intermediate comes from the leaf's AIA URL, the chain reaches the pinned test root,
    the delivery is verified, then ignored (not a recorded event type); one changed byte is 401."""
    from tests.fakes.paypal import AIA_URL, VECTORS, VECTORS_DIR, LocalPaypal

    local = LocalPaypal(container.settings.paypal_webhook_id, leaf_only=True)
    local.install(container)
    body = (VECTORS_DIR / VECTORS[0]["body_file"]).read_bytes()
    headers = {"Content-Type": "application/json", **local.headers(body)}
    assert status(client.http.post("/webhooks/paypal", body=body, headers=headers)) == "ignored"
    changed = body.replace(b"20.00", b"20.01")
    assert client.http.post("/webhooks/paypal", body=changed, headers=headers).status_code == 401
    assert local.http.requested == [local.cert_url, AIA_URL]  # both cached for the second delivery
    assert stored(table_items, "PAYPAL#") == []


# -- a failed delivery stores nothing ----------------------------------------------------------------------------------
@pytest.mark.parametrize("code", ["ProvisionedThroughputExceededException", "InternalServerError"])
def test_a_delivery_that_fails_in_storage_leaves_no_key_and_no_record(client: Any, table_items: Any,
                                                                      code: str) -> None:
    """A new subject's first delivery, its transaction refused by DynamoDB: 503 with Retry-After (WooCommerce keeps
    it), and nothing behind: the subject's new key travels in that same transaction."""
    from chalicelib import aws
    from tests.fakes.faults import refusing

    body = fixture_body(WC / "order.created.payload.json")
    with refusing(aws.dynamodb(), "TransactWriteItems", code=code):
        response = wc_post(client, "order.created", body)
    assert response.status_code == 503 and response.headers["Retry-After"]
    assert table_items() == []
    assert status(wc_post(client, "order.created", body)) == "accepted"  # the retry stores it, with its key
    assert {item["sk"] for item in table_items()} >= {"ORDER", "KEY"}


def test_a_record_past_the_item_limit_is_413_and_leaves_no_key(client: Any, table_items: Any) -> None:
    order = json.loads((WC / "order.created.payload.json").read_text())
    order["customer_note"] = "x" * 380_000  # sealed, it passes DynamoDB's 400 KB: it can never be stored
    response = wc_post(client, "order.created", json.dumps(order).encode())
    assert response.status_code == 413 and json.loads(response.body)["error"] == "record_too_large"
    assert table_items() == []
