"""Data subject rights end to end against the served stack (moto server + `chalice local`): orders arrive by
signed WooCommerce webhooks, the customer exports (the export holds them), deletes, and the scheduled work
(run here against the same emulator, 8 days later) erases them: nothing personal is left in the emulator's table."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
import uuid
from typing import Any

import pytest

from scripts.serve import Stack
from tests.conftest import load_event
from tests.helpers import account_token, bearer, http_call, wc_signature

pytestmark = pytest.mark.e2e
DAY = 86_400


def send_order(served: Stack, order: dict[str, Any]) -> None:
    body = json.dumps(order).encode()
    headers = {**load_event("woocommerce/order.created.headers.json"),
               "X-WC-Webhook-Signature": wc_signature(body), "X-WC-Webhook-Delivery-ID": uuid.uuid4().hex}
    status, answer = http_call(served.api, "POST", "/webhooks/woocommerce", body, headers)
    assert status == 200 and answer["status"] == "accepted", answer


def scan(served: Stack) -> str:
    ddb = served.client("dynamodb")
    items: list[Any] = []
    for page in ddb.get_paginator("scan").paginate(TableName=served.env["TABLE_NAME"]):
        items.extend(page["Items"])
    return json.dumps(items, default=repr, ensure_ascii=False)


def run_scheduled_work(served: Stack, monkeypatch: pytest.MonkeyPatch, now: int) -> dict[str, int]:
    """The scheduled job's request work, in this process, against the served emulator (chalice local runs no
    schedules)."""
    from chalicelib import aws
    from chalicelib.container import Container
    from chalicelib.domain.clock import FixedClock
    from chalicelib.services.privacy_requests import run_scheduled_request_work
    from chalicelib.settings import get_settings

    for key, value in served.env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("AWS_ENDPOINT_URL", served.moto)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    get_settings.cache_clear()
    aws.reset_clients()
    try:
        return run_scheduled_request_work(Container(get_settings(), FixedClock(now)), now=now, dry_run=False)
    finally:
        get_settings.cache_clear()
        aws.reset_clients()


def test_customer_exports_then_deletes_and_nothing_personal_is_left(served: Stack,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    tag = uuid.uuid4().hex[:8]
    email = f"e2e.rights.{tag}@example.org"
    customer_id = str(700_000 + int(tag[:4], 16))
    order = load_event("woocommerce/order.created.payload.json")
    first, last, street, phone = f"Jana{tag}", f"Müller{tag}", f"Hauptstraße {tag}", "+49 30 7654321"
    orders = []
    for n in range(2):
        body = {**order, "id": int(customer_id) * 10 + n, "number": f"{customer_id}{n}",
                "customer_id": int(customer_id), "order_key": f"wc_order_{tag}{n}",
                "billing": {**order["billing"], "email": email, "first_name": first, "last_name": last,
                            "address_1": street, "phone": phone},
                "shipping": {**order["shipping"], "first_name": first, "last_name": last, "address_1": street}}
        orders.append(body)
        send_order(served, body)
    assert email not in scan(served) and last not in scan(served)  # stored sealed

    auth = {**bearer(account_token(customer_id, email, now=time.time())), "Content-Type": "application/json"}
    status, exported = http_call(served.api, "POST", "/account/export", b"", auth)
    assert status == 202 and exported["status"] == "completed", exported
    status, view = http_call(served.api, "GET", f"/account/requests/{exported['request_id']}", headers=auth)
    assert status == 200 and "X-Amz-Expires=900" in view["download"]["json"]
    with urllib.request.urlopen(view["download"]["json"], timeout=20) as response:  # the emulator serves it
        document = json.loads(response.read())
    assert document["schema"] == "privacy-export"
    exported_orders = [r for r in document["records"] if r["kind"] == "order"]
    assert len(exported_orders) == 2
    assert last in json.dumps(document, ensure_ascii=False) and street in json.dumps(document, ensure_ascii=False)

    status, deletion = http_call(served.api, "POST", "/account/deletion", b"", auth)
    assert status == 202 and deletion["status"] == "scheduled"
    counts = run_scheduled_work(served, monkeypatch, int(time.time()) + 8 * DAY)
    assert counts["deletions"] >= 1
    status, done = http_call(served.api, "GET", f"/account/requests/{deletion['request_id']}", headers=auth)
    assert status == 200 and done["status"] == "completed"

    table = scan(served)
    for value in (email, first, last, street, phone, order["customer_ip_address"]):
        assert value not in table, value
    exports = served.client("s3").list_objects_v2(Bucket=served.env["EXPORTS_BUCKET"], Prefix="exports/")
    assert not any(exported["request_id"] in obj["Key"] for obj in exports.get("Contents", []))


def test_a_restricted_customer_is_kept_not_used_and_later_orders_are_marked(served: Stack) -> None:
    """Restriction through the served stack: the account asks, the next order is still stored (sealed) and marked,
    the mailing tool is told no, and the export shows the restriction with the marked order."""
    tag = uuid.uuid4().hex[:8]
    email = f"e2e.restrict.{tag}@example.org"
    customer_id = str(800_000 + int(tag[:4], 16))
    order = load_event("woocommerce/order.created.payload.json")
    body = {**order, "id": int(customer_id) * 10, "customer_id": int(customer_id), "order_key": f"wc_order_r{tag}",
            "billing": {**order["billing"], "email": email}}
    send_order(served, body)
    auth = {**bearer(account_token(customer_id, email, now=time.time())), "Content-Type": "application/json"}
    opt_in = json.dumps({"email_marketing": True}).encode()
    status, marketing = http_call(served.api, "PUT", "/account/privacy/marketing", opt_in, auth)
    assert status == 200, marketing
    status, restricted = http_call(served.api, "POST", "/account/restriction", b"", auth)
    assert status == 202 and restricted["status"] == "completed", restricted
    send_order(served, {**body, "id": int(customer_id) * 10 + 1, "order_key": f"wc_order_r{tag}1"})
    key = {"Content-Type": "application/json",
           "Authorization": "Bearer local-dev-marketing-api-key-do-not-use-in-production"}
    status, answer = http_call(served.api, "POST", "/marketing/permission", json.dumps({"email": email}).encode(), key)
    assert status == 200 and answer == {"allowed": False}
    status, view = http_call(served.api, "GET", f"/account/requests/{restricted['request_id']}", headers=auth)
    assert status == 200 and view["restriction"]["status"] == "active"
    status, exported = http_call(served.api, "POST", "/account/export", b"", auth)
    status, view = http_call(served.api, "GET", f"/account/requests/{exported['request_id']}", headers=auth)
    with urllib.request.urlopen(view["download"]["json"], timeout=20) as response:
        document = json.loads(response.read())
    kinds = [record["kind"] for record in document["records"]]
    assert kinds.count("restricted_delivery") == 1 and "restriction" in kinds and kinds.count("order") == 2
    assert email not in scan(served)
