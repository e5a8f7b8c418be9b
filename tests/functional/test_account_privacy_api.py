"""Account privacy settings through chalice.test.Client: JWT attacks on every route, the subject from the token only,
consent and marketing changes with proof, data categories from the subject index."""

import json
from typing import Any

import pytest

from chalicelib.services.marketing import get_marketing_preference
from tests.helpers import account_token, bearer, jwt_attacks

# Consent Mode v2 without a choice: every signal denied but essential's (security_storage).
NOTHING_GRANTED = {"ad_storage": "denied", "analytics_storage": "denied", "ad_user_data": "denied",
                   "ad_personalization": "denied", "functionality_storage": "denied",
                   "personalization_storage": "denied", "security_storage": "granted"}

EMAIL = "jana.mueller@example.org"
OTHER_EMAIL = "max.mustermann@example.com"
JSON = {"Content-Type": "application/json"}
CONSENT = {"action": "custom", "policy_version": "2026-05",
           "choices": {"preferences": True, "analytics": False, "marketing": False}}
ROUTES = [("GET", "/account/privacy", None), ("PUT", "/account/privacy/consent", CONSENT),
          ("PUT", "/account/privacy/marketing", {"email_marketing": False})]


def call(client: Any, method: str, path: str, payload: Any = None, headers: dict[str, str] | None = None) -> Any:
    all_headers = {**JSON, **(headers or {})}
    if payload is None:
        return client.http.request(method, path, headers=all_headers)
    return client.http.request(method, path, body=json.dumps(payload), headers=all_headers)


def token(clock: Any, **kwargs: Any) -> str:
    return account_token(now=clock.now(), **kwargs)


def stored(table_items: Any) -> list[dict[str, Any]]:
    return [i for i in table_items() if str(i["pk"]).startswith(("CONSENT#", "MKT#"))]


@pytest.mark.parametrize(("method", "path", "payload"), ROUTES)
@pytest.mark.parametrize("attack", list(jwt_attacks(0)))
def test_jwt_attacks_are_401_on_every_route_and_nothing_is_stored(client: Any, clock: Any, table_items: Any,
                                                                  method: str, path: str, payload: Any,
                                                                  attack: str) -> None:
    bad = jwt_attacks(clock.now())[attack]
    headers = bearer(bad) if bad is not None else {}
    response = call(client, method, path, payload, headers)
    assert response.status_code == 401, (attack, response.body)
    assert json.loads(response.body)["error"] == "unauthorized"
    assert stored(table_items) == []


def test_basic_auth_is_not_a_bearer_token(client: Any) -> None:
    response = call(client, "GET", "/account/privacy", headers={"Authorization": "Basic amFuYTpzZWNyZXQ="})
    assert response.status_code == 401


def test_a_new_account_has_no_consent_no_preference_and_nothing_held(client: Any, clock: Any) -> None:
    response = call(client, "GET", "/account/privacy", headers=bearer(token(clock)))
    assert response.status_code == 200
    view = json.loads(response.body)
    assert view["customer_id"] == "57"
    assert view["consent"]["needs_reconsent"] is True and view["consent"]["linked_holders"] == 0
    assert view["marketing"] == {"email_marketing": None, "source": None, "updated_at": None}
    assert view["data_categories"] == []


def test_consent_from_the_privacy_center_is_recorded_and_shown(client: Any, clock: Any, table_items: Any) -> None:
    auth = bearer(token(clock))
    response = call(client, "PUT", "/account/privacy/consent", CONSENT, auth)
    assert response.status_code == 200
    receipt = json.loads(response.body)
    assert receipt["effective"]["preferences"] is True and receipt["consent_mode"]["ad_storage"] == "denied"
    view = json.loads(call(client, "GET", "/account/privacy", headers=auth).body)
    assert view["consent"]["consent_id"] == receipt["consent_id"]
    assert view["consent"]["source"] == "privacy_center" and view["consent"]["needs_reconsent"] is False
    [ledger] = [i for i in stored(table_items) if i["sk"].startswith("LEDGER#")]
    assert ledger["data"]["source"] == "privacy_center" and ledger["kind"] == "consent_event"


def test_the_latest_consent_among_linked_browsers_and_the_account_is_current(client: Any, clock: Any) -> None:
    auth = bearer(token(clock))
    banner = {**CONSENT, "visitor_id": "browser-one-0001", "action": "accept_all"}
    banner.pop("choices")
    assert client.http.post("/consent", body=json.dumps(banner), headers={**JSON, **auth}).status_code == 201
    clock.advance(60)
    call(client, "PUT", "/account/privacy/consent", {**CONSENT, "visitor_id": "browser-two-0002",
                                                     "action": "withdraw", "choices": None}, auth)
    view = json.loads(call(client, "GET", "/account/privacy", headers=bearer(token(clock))).body)
    assert view["consent"]["linked_holders"] == 2 and view["consent"]["action"] == "withdraw"
    assert view["consent"]["consent_mode"] == NOTHING_GRANTED


def test_marketing_opt_in_needs_an_explicit_true_and_opt_out_is_recorded_with_proof(client: Any, clock: Any,
                                                                                    container: Any) -> None:
    auth = bearer(token(clock))
    headers = {**auth, "CloudFront-Viewer-Address": "203.0.113.45:51000", "User-Agent": "Mozilla/5.0 Firefox/133.0"}
    for not_explicit in ({"email_marketing": "true"}, {"email_marketing": 1}, {}, {"email_marketing": None}):
        response = call(client, "PUT", "/account/privacy/marketing", not_explicit, headers)
        assert response.status_code == 400 and json.loads(response.body)["field"] == "email_marketing"
    subject = container.subject_for_email(EMAIL)
    assert get_marketing_preference(container, subject) is None
    assert call(client, "PUT", "/account/privacy/marketing", {"email_marketing": True}, headers).status_code == 200
    clock.advance(30)
    response = call(client, "PUT", "/account/privacy/marketing", {"email_marketing": False}, headers)
    assert json.loads(response.body) == {"email_marketing": False, "source": "account",
                                         "updated_at": "2026-11-23T12:00:30Z"}
    assert get_marketing_preference(container, subject) is False
    history = container.marketing.history(subject, now=container.now())
    assert [c.email_marketing for c in history] == [True, False]
    assert history[-1].proof == {"channel": "account_privacy_settings", "ip_prefix": "203.0.113.0",
                                 "user_agent_family": "Firefox"}
    assert history[-1].customer_id == "57"
    view = json.loads(call(client, "GET", "/account/privacy", headers=auth).body)
    assert view["marketing"]["email_marketing"] is False


def test_data_categories_list_what_is_held_with_retention_and_legal_basis(client: Any, clock: Any) -> None:
    auth = bearer(token(clock))
    call(client, "PUT", "/account/privacy/consent", CONSENT, auth)
    call(client, "PUT", "/account/privacy/marketing", {"email_marketing": False}, auth)
    view = json.loads(call(client, "GET", "/account/privacy", headers=auth).body)
    categories = {c["category"]: c for c in view["data_categories"]}
    assert set(categories) == {"consent_ledger", "consent_state", "marketing_preference"}
    assert categories["consent_ledger"]["retention_days"] == 1095
    assert categories["consent_ledger"]["legal_basis"].startswith("Legal obligation to demonstrate consent")
    assert categories["marketing_preference"]["items"] == 2  # the current choice and its proof
    assert categories["consent_state"]["action_at_expiry"] == "delete"


@pytest.mark.parametrize(("path", "payload"), [
    ("/account/privacy/marketing", {"email_marketing": True, "customer_id": "58"}),
    ("/account/privacy/marketing", {"email_marketing": True, "email": OTHER_EMAIL}),
    ("/account/privacy/consent", {**CONSENT, "subject": "someone-else"}),
    ("/account/privacy/consent", {**CONSENT, "source": "banner"}),
])
def test_the_subject_comes_from_the_token_only(client: Any, clock: Any, table_items: Any, path: str,
                                               payload: dict[str, Any]) -> None:
    response = call(client, "PUT", path, payload, bearer(token(clock)))
    assert response.status_code == 400
    assert stored(table_items) == []


def test_one_customer_never_sees_another_customers_settings(client: Any, clock: Any) -> None:
    jana = bearer(token(clock))
    max_ = bearer(token(clock, customer_id="58", email=OTHER_EMAIL))
    call(client, "PUT", "/account/privacy/marketing", {"email_marketing": True}, jana)
    call(client, "PUT", "/account/privacy/consent", CONSENT, jana)
    view = json.loads(call(client, "GET", "/account/privacy", headers=max_).body)
    assert view["customer_id"] == "58" and view["marketing"]["email_marketing"] is None
    assert view["consent"]["linked_holders"] == 0 and view["data_categories"] == []


def test_an_erased_customer_cannot_be_resurrected_through_the_account(client: Any, clock: Any, container: Any,
                                                                     table_items: Any) -> None:
    subject = container.subject_for_email(EMAIL)
    container.subject_keys.suppress(subject, at=int(clock.now()), expires_at=int(clock.now()) + 86_400 * 3650)
    auth = bearer(token(clock))
    assert call(client, "PUT", "/account/privacy/consent", CONSENT, auth).status_code == 409
    assert call(client, "PUT", "/account/privacy/marketing", {"email_marketing": True}, auth).status_code == 409
    assert call(client, "PUT", "/account/privacy/marketing", {"email_marketing": False}, auth).status_code == 200
    assert stored(table_items) == []


def test_account_routes_answer_cors_for_allowed_origins(client: Any, clock: Any) -> None:
    origin = {"Origin": "https://store.example"}
    preflight = client.http.request("OPTIONS", "/account/privacy/marketing", headers=origin)
    assert preflight.status_code == 204 and "PUT" in preflight.headers["Access-Control-Allow-Methods"]
    response = call(client, "GET", "/account/privacy", headers={**origin, **bearer(token(clock))})
    assert response.headers["Access-Control-Allow-Origin"] == "https://store.example"
    refused = call(client, "GET", "/account/privacy", headers={"Origin": "https://evil.example",
                                                               **bearer(token(clock))})
    assert refused.status_code == 403

