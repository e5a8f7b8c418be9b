"""The storefront banner API through chalice.test.Client: record, read, withdraw; CORS; GPC; bad input."""

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.helpers import account_token, bearer

# Consent Mode v2 without a choice: every signal denied but essential's (security_storage).
NOTHING_GRANTED = {"ad_storage": "denied", "analytics_storage": "denied", "ad_user_data": "denied",
                   "ad_personalization": "denied", "functionality_storage": "denied",
                   "personalization_storage": "denied", "security_storage": "granted"}

ORIGIN = "https://store.example"
JSON = {"Content-Type": "application/json", "Origin": ORIGIN}
VISITOR = "vis-7f3a9c21-cookie"


def body(**overrides: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {"visitor_id": VISITOR, "action": "custom", "policy_version": "2026-05",
                               "choices": {"preferences": True, "analytics": True, "marketing": True},
                               "notice_hash": "sha256:3f2a9c0d1e", "locale": "et-EE", "source": "banner"}
    payload.update(overrides)
    return {k: v for k, v in payload.items() if v is not None}


def post(client: Any, payload: Any, **headers: str) -> Any:
    raw = payload if isinstance(payload, str | bytes) else json.dumps(payload)
    return client.http.post("/consent", body=raw, headers={**JSON, **headers})


def consent_items(table_items: Any) -> list[dict[str, Any]]:
    return [i for i in table_items() if str(i["pk"]).startswith(("CONSENT#", "MKT#"))]


def test_record_then_read_the_current_state(client: Any) -> None:
    response = post(client, body())
    assert response.status_code == 201
    receipt = json.loads(response.body)
    assert set(receipt) >= {"consent_id", "recorded_at", "effective", "consent_mode", "needs_reconsent_after"}
    assert receipt["recorded_at"] == "2026-11-23T12:00:00Z"
    assert receipt["needs_reconsent_after"] == "2027-11-23T12:00:00Z"
    assert receipt["effective"] == {"essential": True, "preferences": True, "analytics": True, "marketing": True}
    assert receipt["consent_mode"] == {"ad_storage": "granted", "analytics_storage": "granted",
                                       "ad_user_data": "granted", "ad_personalization": "granted",
                                       "functionality_storage": "granted", "personalization_storage": "granted",
                                       "security_storage": "granted"}
    read = client.http.get(f"/consent/{VISITOR}", headers={"Origin": ORIGIN})
    assert read.status_code == 200
    state = json.loads(read.body)
    assert state["needs_reconsent"] is False and state["consent_id"] == receipt["consent_id"]
    assert state["effective"] == receipt["effective"]


def test_withdraw_is_recorded_and_becomes_current(client: Any, table_items: Any) -> None:
    post(client, body(action="accept_all", choices=None))
    response = post(client, body(action="withdraw", choices=None))
    assert response.status_code == 201
    state = json.loads(client.http.get(f"/consent/{VISITOR}").body)
    assert state["action"] == "withdraw" and state["consent_mode"] == NOTHING_GRANTED
    ledger = [i for i in consent_items(table_items) if i["sk"].startswith("LEDGER#")]
    assert sorted(i["data"]["action"] for i in ledger) == ["accept_all", "withdraw"]


def test_unknown_visitor_needs_consent_and_nothing_is_granted(client: Any) -> None:
    state = json.loads(client.http.get("/consent/never-seen-visitor").body)
    assert state["needs_reconsent"] is True and state["reason"] == "no_consent"
    assert state["effective"] == {"essential": True, "preferences": False, "analytics": False, "marketing": False}


def test_a_changed_policy_version_needs_reconsent(client: Any) -> None:
    post(client, body(policy_version="2025-01"))
    state = json.loads(client.http.get(f"/consent/{VISITOR}").body)
    assert state["needs_reconsent"] is True and state["reason"] == "policy_changed"
    assert state["current_policy_version"] == "2026-05"


def test_consent_older_than_the_validity_needs_reconsent(client: Any, clock: Any) -> None:
    post(client, body())
    clock.advance(365 * 86_400)
    state = json.loads(client.http.get(f"/consent/{VISITOR}").body)
    assert state["needs_reconsent"] is True and state["reason"] == "expired"


def test_gpc_forces_marketing_off_and_the_record_says_why(client: Any, table_items: Any) -> None:
    response = post(client, body(), **{"Sec-GPC": "1"})
    receipt = json.loads(response.body)
    assert receipt["effective"]["marketing"] is False and receipt["overrides"] == {"marketing": "gpc"}
    assert receipt["consent_mode"]["ad_storage"] == "denied" and receipt["gpc"] is True
    [ledger] = [i for i in consent_items(table_items) if i["sk"].startswith("LEDGER#")]
    assert ledger["data"]["gpc"] is True and ledger["data"]["asked"]["marketing"] is True
    assert ledger["data"]["effective"]["marketing"] is False and ledger["data"]["overrides"] == {"marketing": "gpc"}


def test_proof_keeps_country_truncated_ip_and_user_agent_family(client: Any, table_items: Any) -> None:
    post(client, body(), **{"CloudFront-Viewer-Country": "EE", "CloudFront-Viewer-Address": "2001:db8:abcd:12::7:443",
                            "User-Agent": "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"})
    [ledger] = [i for i in consent_items(table_items) if i["sk"].startswith("LEDGER#")]
    assert ledger["proof"] == {"country": "EE", "ip_prefix": "2001:db8:abcd::", "user_agent_family": "Firefox"}
    raw = json.dumps(consent_items(table_items))
    assert "2001:db8:abcd:12" not in raw and "Gecko" not in raw and VISITOR not in raw


def test_a_valid_bearer_token_links_the_visitor_to_the_account(client: Any, clock: Any) -> None:
    token = account_token(now=clock.now())
    assert post(client, body(), **bearer(token)).status_code == 201
    account = json.loads(client.http.get("/account/privacy", headers=bearer(token)).body)
    assert account["consent"]["linked_holders"] == 1 and account["consent"]["needs_reconsent"] is False


def test_a_bad_bearer_token_is_refused_and_nothing_is_recorded(client: Any, clock: Any, table_items: Any) -> None:
    token = account_token(now=clock.now(), aud="someone-else")
    response = post(client, body(), **bearer(token))
    assert response.status_code == 401
    assert consent_items(table_items) == []


# -- CORS -------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("origin", ["https://store.example", "http://localhost:3000"])
def test_allowed_origins_are_echoed(client: Any, origin: str) -> None:
    response = post(client, body(), Origin=origin)
    assert response.status_code == 201
    assert response.headers["Access-Control-Allow-Origin"] == origin and response.headers["Vary"] == "Origin"


def test_another_origin_is_refused_and_nothing_is_recorded(client: Any, table_items: Any) -> None:
    response = post(client, body(), Origin="https://evil.example")
    assert response.status_code == 403
    assert "Access-Control-Allow-Origin" not in response.headers
    assert consent_items(table_items) == []
    read = client.http.get(f"/consent/{VISITOR}", headers={"Origin": "https://evil.example"})
    assert read.status_code == 403


def test_a_request_without_origin_is_not_cross_origin(client: Any) -> None:
    response = client.http.post("/consent", body=json.dumps(body()), headers={"Content-Type": "application/json"})
    assert response.status_code == 201 and "Access-Control-Allow-Origin" not in response.headers


@pytest.mark.parametrize(("path", "method"), [("/consent", "POST"), (f"/consent/{VISITOR}", "GET")])
def test_preflight_for_an_allowed_origin(client: Any, path: str, method: str) -> None:
    response = client.http.request("OPTIONS", path, headers={"Origin": ORIGIN,
                                                             "Access-Control-Request-Method": method})
    assert response.status_code == 204
    assert response.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert method in response.headers["Access-Control-Allow-Methods"]
    assert "Authorization" in response.headers["Access-Control-Allow-Headers"]
    assert "Content-Type" in response.headers["Access-Control-Allow-Headers"]


@pytest.mark.parametrize("headers", [{"Origin": "https://evil.example"}, {}])
def test_preflight_for_another_origin_is_refused(client: Any, headers: dict[str, str]) -> None:
    response = client.http.request("OPTIONS", "/consent", headers=headers)
    assert response.status_code == 403 and "Access-Control-Allow-Origin" not in response.headers


def test_errors_carry_cors_headers_so_the_storefront_can_read_them(client: Any) -> None:
    response = post(client, body(action="maybe"))
    assert response.status_code == 400 and response.headers["Access-Control-Allow-Origin"] == ORIGIN


# -- bad input -----------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("payload", "field"),
    [
        (body(extra="x"), "extra"),
        (body(choices={"preferences": True, "analytics": True, "marketing": True, "tracking": True}),
         "choices.tracking"),
        (body(choices={"preferences": "yes", "analytics": True, "marketing": True}), "choices.preferences"),
        (body(choices={"preferences": 1, "analytics": True, "marketing": True}), "choices.preferences"),
        (body(choices={"essential": False, "preferences": True, "analytics": True, "marketing": True}),
         "choices.essential"),
        (body(choices={"analytics": True, "marketing": True}), "choices.preferences"),
        (body(visitor_id=None), "visitor_id"),
        (body(visitor_id=12345678), "visitor_id"),
        (body(visitor_id="short"), "visitor_id"),
        (body(visitor_id="has spaces in it"), "visitor_id"),
        (body(action="maybe"), "action"),
        (body(action=None), "action"),
        (body(policy_version="v 1 / draft"), "policy_version"),
        (body(policy_version=2026), "policy_version"),
        (body(source="popup"), "source"),
        (body(locale="not a locale"), "locale"),
        (body(notice_hash="<script>"), "notice_hash"),
        (body(choices=None), "choices"),
        (body(action="accept_all", choices={"preferences": False, "analytics": False, "marketing": False}),
         "choices"),
        (body(action="withdraw", choices={"preferences": True, "analytics": False, "marketing": False}), "choices"),
        (body(choices=[True, True, True]), "choices"),
        ("not json", "body"),
        ("[1, 2, 3]", "body"),
        ("", "body"),
    ],
)
def test_bad_input_is_a_400_naming_the_field_and_nothing_is_stored(client: Any, table_items: Any, payload: Any,
                                                                   field: str) -> None:
    response = post(client, payload)
    assert response.status_code == 400, response.body
    answer = json.loads(response.body)
    assert answer["field"] == field and field in answer["message"]
    assert consent_items(table_items) == []


def test_bad_input_is_never_echoed(client: Any) -> None:
    response = post(client, body(visitor_id="jana.mueller@example.org is me"))
    assert response.status_code == 400 and b"jana.mueller" not in response.body


def test_an_oversized_body_is_a_413_and_nothing_is_stored(client: Any, table_items: Any) -> None:
    response = post(client, body(notice_hash="a" * 17_000))
    assert response.status_code == 413
    assert consent_items(table_items) == []


def test_a_body_just_under_the_limit_is_parsed(client: Any) -> None:
    payload = json.dumps(body())
    padded = payload[:-1] + " " * (16 * 1024 - len(payload)) + "}"
    assert len(padded) == 16 * 1024
    assert post(client, padded).status_code == 201


def test_another_content_type_is_refused(client: Any, table_items: Any) -> None:
    response = client.http.post("/consent", body=json.dumps(body()), headers={"Content-Type": "text/plain"})
    assert response.status_code == 415
    assert consent_items(table_items) == []


@pytest.mark.parametrize("visitor", ["short", "a" * 129, "bad%20id%20value"])
def test_reading_a_malformed_visitor_id_is_a_400(client: Any, visitor: str) -> None:
    response = client.http.get(f"/consent/{visitor}")
    assert response.status_code == 400 and json.loads(response.body)["field"] == "visitor_id"


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=12,
)
fuzzed_bodies = st.one_of(
    json_values.map(json.dumps),
    st.fixed_dictionaries({}, optional={
        "visitor_id": json_values | st.just(VISITOR), "action": json_values | st.sampled_from(["custom", "withdraw"]),
        "policy_version": json_values | st.just("2026-05"), "choices": json_values, "source": json_values,
        "notice_hash": json_values, "locale": json_values}).map(json.dumps),
    st.binary(max_size=64).map(lambda raw: raw.decode("latin-1")),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(raw=fuzzed_bodies)
def test_no_input_gives_a_5xx(client: Any, raw: str) -> None:
    response = client.http.post("/consent", body=raw, headers=JSON)
    assert response.status_code in (201, 400, 413), response.body
