"""Logs never carry personal data: every consent and marketing path runs with the fixtures' personal data and the
log output is checked for each e-mail, name, phone, address and IP."""

import json
from typing import Any

from tests.conftest import load_event
from tests.helpers import account_token, bearer


def personal_values() -> dict[str, str]:
    customer = load_event("woocommerce/customer.created.payload.json")
    order = load_event("woocommerce/order.created.payload.json")
    billing = customer["billing"]
    return {"email": customer["email"], "first_name": customer["first_name"], "last_name": customer["last_name"],
            "username": customer["username"], "phone": billing["phone"], "address": billing["address_1"],
            "address_2": billing["address_2"], "postcode": billing["postcode"],
            "ip": order["customer_ip_address"], "user_agent": order["customer_user_agent"]}


def test_no_personal_data_reaches_the_logs(client: Any, clock: Any, log_output: Any) -> None:
    person = personal_values()
    customer = load_event("woocommerce/customer.created.payload.json")
    auth = bearer(account_token(str(customer["id"]), person["email"], now=clock.now()))
    viewer = {"CloudFront-Viewer-Address": f"{person['ip']}:50123", "CloudFront-Viewer-Country": "DE",
              "User-Agent": person["user_agent"], "Origin": "https://store.example",
              "Content-Type": "application/json", "Sec-GPC": "1"}
    consent = {"visitor_id": "wc-visitor-0057-cookie", "action": "accept_all", "policy_version": "2026-05"}

    statuses = [
        client.http.post("/consent", body=json.dumps(consent), headers={**viewer, **auth}).status_code,
        client.http.get("/consent/wc-visitor-0057-cookie", headers=viewer).status_code,
        client.http.request("PUT", "/account/privacy/consent", headers={**viewer, **auth}, body=json.dumps(
            {"action": "withdraw", "policy_version": "2026-05"})).status_code,
        client.http.request("PUT", "/account/privacy/marketing", headers={**viewer, **auth},
                            body=json.dumps({"email_marketing": False})).status_code,
        client.http.get("/account/privacy", headers={**viewer, **auth}).status_code,
        # refusals that carry personal data in the input
        client.http.post("/consent", headers=viewer, body=json.dumps(
            {**consent, "visitor_id": person["email"], "name": person["first_name"]})).status_code,
        client.http.post("/consent", headers=viewer, body=json.dumps(
            {**consent, "locale": f"{person['address']} {person['phone']}"})).status_code,
        client.http.request("PUT", "/account/privacy/marketing", headers={**viewer, **auth},
                            body=json.dumps({"email_marketing": person["email"]})).status_code,
        client.http.get("/account/privacy", headers={**viewer, **bearer(account_token(
            "57", person["email"], now=clock.now(), aud="wrong"))}).status_code,
        client.http.post("/consent", headers={**viewer, "Origin": f"https://{person['last_name']}.example"},
                         body=json.dumps(consent)).status_code,
    ]
    assert statuses == [201, 200, 200, 200, 200, 400, 400, 400, 401, 403]

    logs = log_output()
    assert "consent recorded" in logs and "marketing preference recorded" in logs  # the logger did write
    for name, value in person.items():
        assert value not in logs, f"{name} leaked into the logs"
    assert "203.0.113" not in logs  # not even the truncated prefix
