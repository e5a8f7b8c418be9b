"""Late links: a payment that arrives before its WooCommerce order is linked to the order's subject by the scheduled
job once the order is known (a failed run leaves it for the next); the subject_index (export, erasure) then reaches
it, and an erased subject is never linked."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from chalicelib.services.retention_run import run_scheduled_job
from chalicelib.storage.late_links import AWAITING
from chalicelib.storage.subject_keys import SUPPRESSED_SK, subject_pk
from tests.conftest import EVENTS, NOW
from tests.fakes.faults import refusing
from tests.helpers import wc_post

WC = EVENTS / "woocommerce"
PP = EVENTS / "paypal"
EMAIL = "jana.mueller@example.org"
ORDER = "order.created.payload.json"
CAPTURE = "PAYMENT.CAPTURE.COMPLETED.json"  # custom_id 1234, no payer e-mail: only the order names its subject


def body(path: Path) -> bytes:
    return json.dumps(json.loads(path.read_text())).encode()


def status(response: Any) -> str:
    assert response.status_code == 200, response.body
    return str(json.loads(response.body)["status"])




def pp_post(client: Any, paypal: Any, raw: bytes) -> str:
    headers = {"Content-Type": "application/json", **paypal.headers(raw)}
    return status(client.http.post("/webhooks/paypal", body=raw, headers=headers))


def paypal_item(table_items: Any) -> dict[str, Any]:
    [item] = [i for i in table_items() if str(i["pk"]).startswith("PAYPAL#")]
    return item


def subject_items(container: Any, subject: str) -> list[dict[str, Any]]:
    return list(container.table.query_all(index="subject_index", key_condition="subject_pk = :p",
                                          values={":p": subject_pk(subject)}, now=NOW))


def assert_linked(container: Any, item: dict[str, Any]) -> None:
    subject = container.subject_for_email(EMAIL)
    assert item["subject_pk"] == subject_pk(subject)
    assert item["subject_sk"].startswith("PAYMENT#")
    assert "open_pk" not in item and "link_sk" not in item
    assert item["pk"] in {i["pk"] for i in subject_items(container, subject)}


@pytest.mark.parametrize("order_first", [False, True])
def test_paypal_payment_and_order_in_either_order_and_duplicated_end_linked(
        client: Any, container: Any, table_items: Any, paypal: Any, order_first: bool) -> None:
    deliveries = [lambda: wc_post(client, "order.created", body(WC / ORDER)),
                  lambda: pp_post(client, paypal, (PP / CAPTURE).read_bytes())]
    for deliver in deliveries if order_first else deliveries[::-1]:
        deliver()
        if not order_first and "PAYPAL#" in str([i["pk"] for i in table_items()]) and \
                not any(str(i["pk"]).startswith("ORDER#") for i in table_items()):
            awaiting = paypal_item(table_items)
            assert awaiting["open_pk"] == AWAITING and awaiting["open_sk"].startswith("000000001234#PAYPAL#")
            assert "subject_pk" not in awaiting
        deliver()  # a duplicate of each
    report = run_scheduled_job(container)
    assert report.counts.get("late_links") == (None if order_first else {"linked": 1})
    assert_linked(container, paypal_item(table_items))


def test_a_failed_scheduled_link_is_done_by_the_next_run(
        client: Any, container: Any, table_items: Any, paypal: Any) -> None:
    from chalicelib import aws

    assert pp_post(client, paypal, (PP / CAPTURE).read_bytes()) == "accepted"
    assert status(wc_post(client, "order.created", body(WC / ORDER))) == "accepted"
    with refusing(aws.dynamodb(), "TransactWriteItems", code="ServiceUnavailable") as refused:
        failed = run_scheduled_job(container)
    assert refused and failed.status == "partial" and {"step": "late_links", "error": "StorageUnavailableError"} \
        in failed.errors
    assert "subject_pk" not in paypal_item(table_items)
    report = run_scheduled_job(container)
    assert report.counts.get("late_links") == {"linked": 1}
    assert_linked(container, paypal_item(table_items))
    again = run_scheduled_job(container)
    assert "late_links" not in again.counts


def test_an_erased_subjects_order_does_not_link_its_payment(client: Any, container: Any, table_items: Any,
                                                           paypal: Any) -> None:
    subject = container.subject_for_email(EMAIL)
    assert pp_post(client, paypal, (PP / CAPTURE).read_bytes()) == "accepted"
    container.keys_table.put({"pk": subject_pk(subject), "sk": SUPPRESSED_SK, "suppressed_at": NOW,
                              "expires_at": NOW + 3650 * 86400})
    assert status(wc_post(client, "order.created", body(WC / ORDER))) == "accepted"
    run_scheduled_job(container)
    item = paypal_item(table_items)
    assert "subject_pk" not in item and "open_pk" not in item
    assert "transaction_id" not in item["data"] and "paypal_order_id" not in item["data"]


def test_a_late_linked_payment_is_exported_and_anonymised_by_erasure(client: Any, container: Any,
                                                                      table_items: Any, paypal: Any) -> None:
    from chalicelib.services.export_subject import export_subject
    from tests.fakes.subjects import deletion_request, erase, read_object

    assert pp_post(client, paypal, (PP / CAPTURE).read_bytes()) == "accepted"
    assert status(wc_post(client, "order.created", body(WC / ORDER))) == "accepted"
    run_scheduled_job(container)
    subject = container.subject_for_email(EMAIL)
    result = export_subject(container, subject=subject, request_id="late", now=NOW)
    document = json.loads(read_object(container, result.json_key))
    assert [r["kind"] for r in document["records"]].count("payment") == 1
    assert erase(container, deletion_request(container, EMAIL)).status.value == "completed"
    item = paypal_item(table_items)
    assert "subject_pk" not in item and "open_pk" not in item
    assert "transaction_id" not in item["data"] and "paypal_order_id" not in item["data"]


# -- Airwallex and BitPay: the same late link, through their own stores --------------------------------------------
AW_DISPUTE = EVENTS / "airwallex" / "payment_dispute.requires_response.json"  # merchant_order_id 1234, no e-mail
AW_SECRET = "local-dev-airwallex-webhook-secret-not-real"  # the local stage's value (.chalice/config.json)


def aw_post(client: Any) -> str:
    from chalicelib.signatures.airwallex import sign

    raw = json.dumps(json.loads(AW_DISPUTE.read_text()), ensure_ascii=False).encode()
    timestamp = str(NOW * 1000)
    headers = {"Content-Type": "application/json", "x-timestamp": timestamp,
               "x-signature": sign(timestamp, raw, AW_SECRET)}
    return status(client.http.post("/webhooks/airwallex", body=raw, headers=headers))


def only(table_items: Any, prefix: str) -> dict[str, Any]:
    [item] = [i for i in table_items() if str(i["pk"]).startswith(prefix)]
    return item


def assert_late_linked(container: Any, table_items: Any, prefix: str, sk_prefix: str, order_first: bool) -> None:
    report = run_scheduled_job(container)
    assert report.counts.get("late_links") == (None if order_first else {"linked": 1})
    item = only(table_items, prefix)
    subject = container.subject_for_email(EMAIL)
    assert item["subject_pk"] == subject_pk(subject) and item["subject_sk"].startswith(sk_prefix)
    assert "open_pk" not in item and "link_sk" not in item
    assert item["pk"] in {i["pk"] for i in subject_items(container, subject)}


@pytest.mark.parametrize("order_first", [False, True])
def test_airwallex_dispute_before_or_after_its_order_ends_linked(client: Any, container: Any, table_items: Any,
                                                                 order_first: bool) -> None:
    deliveries = [lambda: wc_post(client, "order.created", body(WC / ORDER)), lambda: aw_post(client)]
    for deliver in deliveries if order_first else deliveries[::-1]:
        deliver()
        deliver()
    assert_late_linked(container, table_items, "AIRWALLEX#", "DISPUTE#AIRWALLEX#", order_first)


@pytest.mark.parametrize("order_first", [False, True])
def test_bitpay_invoice_before_or_after_its_order_ends_linked(bitpay_server: Any, client: Any, container: Any,
                                                              table_items: Any, order_first: bool) -> None:
    raw = json.loads((EVENTS / "bitpay" / "ipn_extended_invoice_confirmed.json").read_text())
    invoice_id = "Hpqc62dfE1ZjzeeH4kEycF"
    raw["data"].update({"id": invoice_id, "url": f"https://test.bitpay.com/invoice?id={invoice_id}",
                        "orderId": "1234", "buyerFields": {}, "invoiceTime": NOW * 1000})
    raw["data"].pop("buyer", None)
    bitpay_server.invoices[raw["data"]["id"]] = dict(raw["data"])

    def ipn() -> str:
        response = client.http.post("/webhooks/bitpay", body=json.dumps(raw).encode(),
                                    headers={"Content-Type": "application/json"})
        return status(response)

    deliveries = [lambda: wc_post(client, "order.created", body(WC / ORDER)), ipn]
    for deliver in deliveries if order_first else deliveries[::-1]:
        deliver()
        deliver()
    assert_late_linked(container, table_items, "BITPAY#", "BITPAY_PAYMENT#", order_first)


# -- without waiting for the job: the export and the erasure link first ---------------------------------------------
def _paypal_first(client: Any, fixture: Any) -> None:
    assert pp_post(client, fixture("paypal"), (PP / CAPTURE).read_bytes()) == "accepted"


def _airwallex_first(client: Any, fixture: Any) -> None:
    assert aw_post(client) == "accepted"


def _bitpay_first(client: Any, fixture: Any) -> None:
    bitpay_server = fixture("bitpay_server")
    raw = json.loads((EVENTS / "bitpay" / "ipn_extended_invoice_confirmed.json").read_text())
    invoice_id = "Hpqc62dfE1ZjzeeH4kEycF"
    raw["data"].update({"id": invoice_id, "url": f"https://test.bitpay.com/invoice?id={invoice_id}",
                        "orderId": "1234", "buyerFields": {}, "invoiceTime": NOW * 1000})
    raw["data"].pop("buyer", None)
    bitpay_server.invoices[invoice_id] = dict(raw["data"])
    response = client.http.post("/webhooks/bitpay", body=json.dumps(raw).encode(),
                                headers={"Content-Type": "application/json"})
    assert status(response) == "accepted"


@pytest.mark.parametrize(("first", "prefix", "provider"), [(_paypal_first, "PAYPAL#", "paypal"),
                                                          (_airwallex_first, "AIRWALLEX#", "airwallex"),
                                                          (_bitpay_first, "BITPAY#", "bitpay")])
def test_export_and_erasure_reach_a_payment_that_came_first_without_waiting_for_the_job(
        request: Any, first: Any, prefix: str, provider: str) -> None:
    from chalicelib.services.export_subject import export_subject
    from tests.fakes.subjects import deletion_request, erase, read_object
    from tests.helpers import store_policy

    if provider == "bitpay":
        request.getfixturevalue("bitpay_server")  # before the container: it sets BITPAY_API_BASE
    client, container, table_items = (request.getfixturevalue(name) for name in ("client", "container",
                                                                                  "table_items"))
    first(client, request.getfixturevalue)
    assert status(wc_post(client, "order.created", body(WC / ORDER))) == "accepted"
    assert only(table_items, prefix)["open_pk"] == AWAITING  # no scheduled run in between
    subject = container.subject_for_email(EMAIL)
    result = export_subject(container, subject=subject, request_id="now", now=NOW)
    document = json.loads(read_object(container, result.json_key))
    linked = only(table_items, prefix)
    assert "open_pk" not in linked and linked["subject_pk"] == subject_pk(subject)
    assert any(r.get("kind") == linked["kind"] for r in document["records"])
    # the erasure reaches it, and its provider is among the processors told
    container.override(store_policy=store_policy("jetkrate"))
    receipt = erase(container, deletion_request(container, EMAIL)).result["receipt"]
    assert provider in {p["key"] for p in receipt["processors"]}
    item = only(table_items, prefix)
    assert "subject_pk" not in item and "open_pk" not in item
