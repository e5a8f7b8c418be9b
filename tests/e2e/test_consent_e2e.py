"""Consent end to end against the served stack (moto server + `chalice local`): a storefront records, reads and
withdraws consent over HTTP with CORS and GPC; a logged-in customer objects to marketing; the proof is in the
emulator's table."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
import uuid
from typing import Any

import pytest

from chalicelib.domain.consent import holder_for_visitor
from scripts.serve import Stack
from tests.helpers import account_token, bearer

# Consent Mode v2 without a choice: every signal denied but essential's (security_storage).
NOTHING_GRANTED = {"ad_storage": "denied", "analytics_storage": "denied", "ad_user_data": "denied",
                   "ad_personalization": "denied", "functionality_storage": "denied",
                   "personalization_storage": "denied", "security_storage": "granted"}

pytestmark = pytest.mark.e2e

ORIGIN = "https://store.example"


def request(served: Stack, method: str, path: str, payload: Any = None,
            headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], Any]:
    data = json.dumps(payload).encode() if payload is not None else None
    all_headers = {"Origin": ORIGIN, **({"Content-Type": "application/json"} if data else {}), **(headers or {})}
    req = urllib.request.Request(f"{served.api}{path}", data=data, method=method, headers=all_headers)
    try:
        with urllib.request.urlopen(req, timeout=10) as response:
            raw, status, got = response.read(), response.status, dict(response.headers)
    except urllib.error.HTTPError as error:
        raw, status, got = error.read(), error.code, dict(error.headers)
    return int(status), got, json.loads(raw) if raw else None


def test_a_storefront_records_reads_and_withdraws_consent_and_a_customer_objects_to_marketing(served: Stack) -> None:
    visitor = f"e2e-{uuid.uuid4().hex}"
    status, headers, _ = request(served, "OPTIONS", "/consent", headers={"Access-Control-Request-Method": "POST"})
    assert status == 204 and headers["Access-Control-Allow-Origin"] == ORIGIN

    accept = {"visitor_id": visitor, "action": "accept_all", "policy_version": "2026-05"}
    status, headers, receipt = request(served, "POST", "/consent", accept, {"Sec-GPC": "1"})
    assert status == 201, receipt
    assert headers["Access-Control-Allow-Origin"] == ORIGIN
    assert receipt["effective"]["marketing"] is False and receipt["overrides"] == {"marketing": "gpc"}
    assert receipt["consent_mode"]["analytics_storage"] == "granted"

    status, _, state = request(served, "GET", f"/consent/{visitor}")
    assert status == 200 and state["consent_id"] == receipt["consent_id"] and state["needs_reconsent"] is False

    status, _, _ = request(served, "POST", "/consent", {**accept, "action": "withdraw"})
    assert status == 201
    status, _, state = request(served, "GET", f"/consent/{visitor}")
    assert state["action"] == "withdraw" and state["consent_mode"] == NOTHING_GRANTED

    status, _, refused = request(served, "POST", "/consent", {**accept, "action": "maybe"})
    assert status == 400 and refused["field"] == "action"

    # The proof: both events are in the ledger, keyed by a hash of the visitor id, with a truncated IP only.
    holder = holder_for_visitor(visitor, served.env["SUBJECT_PEPPER"])
    items = served.client("dynamodb").query(
        TableName=served.env["TABLE_NAME"], KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": f"CONSENT#{holder}"}})["Items"]
    ledger = [i for i in items if i["sk"]["S"].startswith("LEDGER#")]
    assert sorted(i["data"]["M"]["action"]["S"] for i in ledger) == ["accept_all", "withdraw"]
    assert visitor not in json.dumps(items) and "127.0.0.1" not in json.dumps(items)

    # A logged-in customer objects to marketing and sees it in their privacy settings.
    email = f"e2e-{uuid.uuid4().hex[:8]}@example.org"
    auth = bearer(account_token("9001", email, now=time.time()))
    status, _, _ = request(served, "GET", "/account/privacy", headers=bearer(account_token(
        "9001", email, now=time.time(), aud="someone-else")))
    assert status == 401
    status, _, changed = request(served, "PUT", "/account/privacy/marketing", {"email_marketing": False}, auth)
    assert status == 200 and changed["email_marketing"] is False
    status, _, view = request(served, "GET", "/account/privacy", headers=auth)
    assert status == 200 and view["marketing"]["email_marketing"] is False
    assert {c["category"] for c in view["data_categories"]} == {"marketing_preference"}
