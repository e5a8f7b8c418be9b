"""The consent API once per store (tests.helpers.POLICIES): the categories, Consent Mode signals and banner
configuration come from the store's policy file, a new policy version asks again, and a store that promises to keep
no IP address keeps none (consent proof, orders, the guest form's rate limit)."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any

import pytest

from chalicelib.crypto.vault import open_fields
from tests.conftest import EVENTS, ROOT
from tests.helpers import POLICIES, account_token, bearer, store_policy, wc_signature

ORIGIN = "https://store.example"
JSON = {"Content-Type": "application/json", "Origin": ORIGIN}
VISITOR = "vis-7f3a9c21-cookie"
SIGNALS = ("ad_storage", "analytics_storage", "ad_user_data", "ad_personalization", "functionality_storage",
           "personalization_storage", "security_storage")
CATEGORIES = {"jetcards": ("preferences", "analytics", "marketing"),
              "jetkrate": ("preferences", "analytics", "marketing", "support"),
              "jetrack": ("preferences",)}
UNKNOWN = {"jetcards": "support", "jetkrate": "tracking", "jetrack": "marketing"}
VIEWER = {"CloudFront-Viewer-Address": "198.51.100.77:443", "CloudFront-Viewer-Country": "EE",
          "User-Agent": "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"}
# every spelling of the viewer's and the local source address, whole or truncated
IP_TEXTS = ("198.51.100.77", "198.51.100.0", "198.51.100", "127.0.0.1", "127.0.0.0", "203.0.113.45",
            "203.0.113.0", "203.0.113")


def raw_policy(name: str) -> dict[str, Any]:
    return tomllib.loads((ROOT / "policies" / f"{name}.toml").read_text())


@pytest.fixture(params=POLICIES)
def store(request: pytest.FixtureRequest, container: Any) -> str:
    """The container answers for this store's policy file (before anything is built from it)."""
    container.override(store_policy=store_policy(request.param))
    return str(request.param)


def body(store: str, **overrides: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {"visitor_id": VISITOR, "action": "custom",
                               "policy_version": store_policy(store).policy.version,
                               "choices": dict.fromkeys(CATEGORIES[store], True), "source": "banner"}
    payload.update(overrides)
    return {k: v for k, v in payload.items() if v is not None}


def post(client: Any, payload: Any, **headers: str) -> Any:
    return client.http.post("/consent", body=json.dumps(payload), headers={**JSON, **headers})


def consent_items(table_items: Any) -> list[dict[str, Any]]:
    return [i for i in table_items() if str(i["pk"]).startswith(("CONSENT#", "MKT#"))]


def listed_signals(name: str, granted: set[str]) -> dict[str, str]:
    """Consent Mode as the file says: a signal is granted when the category listing it is granted."""
    by = {signal: category for category, section in raw_policy(name)["cookies"].items()
          for signal in section.get("consent_mode", [])}
    return {s: "granted" if by.get(s) in granted | {"essential"} else "denied" for s in SIGNALS}


# -- categories -------------------------------------------------------------------------------------------------------
def test_the_stores_categories_are_accepted_and_stored_as_chosen(client: Any, store: str, table_items: Any) -> None:
    choices = {name: index % 2 == 0 for index, name in enumerate(CATEGORIES[store])}
    response = post(client, body(store, choices=choices))
    assert response.status_code == 201, response.body
    receipt = json.loads(response.body)
    assert receipt["effective"] == {"essential": True, **choices}
    [ledger] = [i for i in consent_items(table_items) if i["sk"].startswith("LEDGER#")]
    assert ledger["data"]["effective"] == {"essential": True, **choices}
    assert ledger["data"]["policy_version"] == store_policy(store).policy.version
    state = json.loads(client.http.get(f"/consent/{VISITOR}", headers={"Origin": ORIGIN}).body)
    assert state["effective"] == receipt["effective"] and state["needs_reconsent"] is False


@pytest.mark.parametrize(("action", "value"), [("accept_all", True), ("reject_all", False), ("withdraw", False)])
def test_fixed_actions_cover_every_category_of_the_store(client: Any, store: str, action: str, value: bool) -> None:
    receipt = json.loads(post(client, body(store, action=action, choices=None)).body)
    assert receipt["effective"] == {"essential": True, **dict.fromkeys(CATEGORIES[store], value)}


def test_a_category_the_store_does_not_have_is_a_400_and_nothing_is_stored(client: Any, store: str,
                                                                            table_items: Any) -> None:
    unknown = UNKNOWN[store]
    response = post(client, body(store, choices={**dict.fromkeys(CATEGORIES[store], True), unknown: True}))
    assert response.status_code == 400
    answer = json.loads(response.body)
    assert answer["field"] == f"choices.{unknown}" and unknown in answer["message"]
    assert consent_items(table_items) == []


def test_a_missing_category_is_a_400_naming_it_and_nothing_is_stored(client: Any, store: str,
                                                                      table_items: Any) -> None:
    *sent, missing = CATEGORIES[store]
    response = post(client, body(store, choices=dict.fromkeys(sent, False)))
    assert response.status_code == 400 and json.loads(response.body)["field"] == f"choices.{missing}"
    response = post(client, body(store, action="accept_all", choices=dict.fromkeys(sent, True)))
    assert response.status_code == 400 and json.loads(response.body)["field"] == f"choices.{missing}"
    assert consent_items(table_items) == []


def test_the_marketing_category_of_jetrack_does_not_exist(client: Any, container: Any, table_items: Any) -> None:
    container.override(store_policy=store_policy("jetrack"))
    response = post(client, body("jetrack", choices={"preferences": True, "marketing": False}))
    assert response.status_code == 400 and json.loads(response.body)["field"] == "choices.marketing"
    assert consent_items(table_items) == []


# -- Consent Mode v2 ----------------------------------------------------------------------------------------------
def test_consent_mode_signals_follow_the_policy(client: Any, store: str) -> None:
    everything = json.loads(post(client, body(store, action="accept_all", choices=None)).body)
    assert everything["consent_mode"] == listed_signals(store, set(CATEGORIES[store]))
    for category in CATEGORIES[store]:
        only = {name: name == category for name in CATEGORIES[store]}
        receipt = json.loads(post(client, body(store, choices=only)).body)
        assert receipt["consent_mode"] == listed_signals(store, {category}), category
    nothing = json.loads(post(client, body(store, action="reject_all", choices=None)).body)
    assert nothing["consent_mode"] == {s: "granted" if s == "security_storage" else "denied" for s in SIGNALS}
    unknown = json.loads(client.http.get("/consent/never-seen-visitor").body)
    assert unknown["consent_mode"] == nothing["consent_mode"]


def test_gpc_turns_off_what_is_sold_or_shared(client: Any, store: str) -> None:
    receipt = json.loads(post(client, body(store), **{"Sec-GPC": "1"}).body)
    off = {"marketing"} & set(CATEGORIES[store])
    assert receipt["overrides"] == dict.fromkeys(off, "gpc")
    assert {c for c in CATEGORIES[store] if not receipt["effective"][c]} == off
    assert receipt["consent_mode"] == listed_signals(store, set(CATEGORIES[store]) - off)


# -- GET /consent/config ------------------------------------------------------------------------------------------
def expected_config(name: str) -> dict[str, Any]:
    """The banner's configuration, read from the TOML file itself."""
    raw = raw_policy(name)
    controller = raw["controller"]
    recipients = raw["recipients"]
    return {
        "policy_version": raw["policy"]["version"],
        "controller": controller["legal_name"] + (f" ({controller['trading_name']})"
                                                  if controller.get("trading_name") else ""),
        "privacy_policy_url": raw["policy"]["privacy_policy_url"],
        "cookie_policy_url": raw["policy"].get("cookie_policy_url"),
        "categories": [
            {"name": category, "label": section["label"], "description": section["description"],
             "locked": category == "essential", "consent_mode": section.get("consent_mode", []),
             "vendors": [{"key": key, "name": recipients[key]["name"], "country": recipients[key]["country"],
                          "purposes": recipients[key]["purposes"]} for key in section.get("vendors", [])],
             "cookies": [{k: cookie[k] for k in ("name", "vendor", "duration", "purpose")}
                         for cookie in section.get("cookies", [])]}
            for category, section in raw["cookies"].items()],
        "consent_mode_defaults": {s: "granted" if s == "security_storage" else "denied" for s in SIGNALS},
        "languages": raw["rights"]["languages"],
    }


def test_the_banner_configuration_is_the_policy_file(client: Any, store: str) -> None:
    response = client.http.get("/consent/config", headers={"Origin": ORIGIN})
    assert response.status_code == 200
    config = json.loads(response.body)
    assert config == expected_config(store)
    assert [c["name"] for c in config["categories"]] == ["essential", *CATEGORIES[store]]
    version = store_policy(store).policy.version
    assert response.headers["ETag"] == f'"{version}"'
    assert response.headers["Cache-Control"] == "public, max-age=300"
    assert response.headers["Access-Control-Allow-Origin"] == ORIGIN


def test_the_configuration_is_cacheable_by_its_etag(client: Any, store: str) -> None:
    etag = client.http.get("/consent/config").headers["ETag"]
    again = client.http.get("/consent/config", headers={"If-None-Match": f'W/"x", {etag}'})
    assert again.status_code == 304 and again.body == b"" and again.headers["ETag"] == etag
    other = client.http.get("/consent/config", headers={"If-None-Match": '"another-version"'})
    assert other.status_code == 200


def test_the_configuration_is_refused_to_another_origin_and_has_a_preflight(client: Any, store: str) -> None:
    assert client.http.get("/consent/config", headers={"Origin": "https://evil.example"}).status_code == 403
    preflight = client.http.request("OPTIONS", "/consent/config",
                                    headers={"Origin": ORIGIN, "Access-Control-Request-Method": "GET"})
    assert preflight.status_code == 204 and "GET" in preflight.headers["Access-Control-Allow-Methods"]


# -- policy version -------------------------------------------------------------------------------------------------
def test_a_consent_made_under_another_policy_version_asks_again(client: Any, store: str) -> None:
    post(client, body(store, policy_version="2020-01"))
    state = json.loads(client.http.get(f"/consent/{VISITOR}").body)
    assert state["reason"] == "policy_changed" and state["needs_reconsent"] is True
    assert state["policy_version"] == "2020-01"
    assert state["current_policy_version"] == store_policy(store).policy.version


def test_a_new_policy_version_asks_everyone_again(client: Any, container: Any, store: str) -> None:
    assert post(client, body(store)).status_code == 201
    assert json.loads(client.http.get(f"/consent/{VISITOR}").body)["reason"] is None
    current = container.store_policy
    container.override(store_policy=current.model_copy(
        update={"policy": current.policy.model_copy(update={"version": "2099-01"})}))
    state = json.loads(client.http.get(f"/consent/{VISITOR}").body)
    assert state["reason"] == "policy_changed" and state["current_policy_version"] == "2099-01"
    assert client.http.get("/consent/config").headers["ETag"] == '"2099-01"'


# -- the IP promise ---------------------------------------------------------------------------------------------
def no_ip_anywhere(items: list[dict[str, Any]]) -> None:
    raw = json.dumps(items, default=repr)
    assert not [text for text in IP_TEXTS if text in raw]
    assert "ip_prefix" not in raw and "customer_ip" not in raw


def post_order(client: Any) -> None:
    wire = json.dumps(json.loads((EVENTS / "woocommerce/order.created.payload.json").read_text())).encode()
    response = client.http.post("/webhooks/woocommerce", body=wire, headers={
        "Content-Type": "application/json", "X-WC-Webhook-Topic": "order.created",
        "X-WC-Webhook-Signature": wc_signature(wire)})
    assert response.status_code == 200, response.body


def opened_order(container: Any, table_items: Any) -> dict[str, Any]:
    [order] = [i for i in table_items() if str(i["pk"]).startswith("ORDER#")]
    subject = str(order["subject_pk"]).removeprefix("SUBJ#")
    return {**order, "sealed": open_fields(container.vault.cipher_for_reading(subject), order["sealed"])}


def test_a_store_that_keeps_no_ip_keeps_none_in_consent_orders_or_rate_limits(client: Any, container: Any,
                                                                               table_items: Any) -> None:
    container.override(store_policy=store_policy("jetrack"))
    assert post(client, body("jetrack"), **VIEWER).status_code == 201
    token = account_token(now=container.now())
    assert post(client, body("jetrack", visitor_id="vis-logged-in-0001"), **VIEWER, **bearer(token)).status_code == 201
    marketing = client.http.put("/account/privacy/marketing", body=json.dumps({"email_marketing": True}),
                                headers={**JSON, **VIEWER, **bearer(token)})
    assert marketing.status_code == 200
    post_order(client)
    guest = client.http.post("/privacy-requests", body=json.dumps({"email": "guest.person@example.com",
                                                                   "type": "access"}),
                             headers={"Content-Type": "application/json", **VIEWER})
    assert guest.status_code == 202
    items = table_items()
    assert any(str(i["pk"]).startswith("RATE#") for i in items)  # the guest form's limit: a keyed hash
    no_ip_anywhere(items)
    no_ip_anywhere([opened_order(container, table_items)])
    ledger = container.consent.ledger  # the proof of the logged-in entry is sealed: open it too
    from chalicelib.domain.consent import holder_for_visitor

    for visitor in (VISITOR, "vis-logged-in-0001"):
        [entry] = ledger(holder_for_visitor(visitor, container.pepper), now=container.now())
        assert entry.ip_prefix is None and entry.country == "EE" and entry.user_agent_family == "Firefox"
    history = container.marketing.history(container.subject_for_email("jana.mueller@example.org"),
                                          now=container.now())
    no_ip_anywhere([json.loads(json.dumps(history, default=repr))])


@pytest.mark.parametrize("name", ["jetcards", "jetkrate"])
def test_a_store_that_keeps_truncated_ips_keeps_them_as_before(client: Any, container: Any, table_items: Any,
                                                               name: str) -> None:
    container.override(store_policy=store_policy(name))
    assert post(client, body(name), **VIEWER).status_code == 201
    [ledger] = [i for i in consent_items(table_items) if i["sk"].startswith("LEDGER#")]
    assert ledger["proof"]["ip_prefix"] == "198.51.100.0"
    post_order(client)
    assert opened_order(container, table_items)["sealed"]["customer_ip"] == "203.0.113.0"
    assert "198.51.100.77" not in json.dumps(table_items(), default=repr)


def test_the_ip_rate_limit_of_the_guest_form_is_keyed_by_a_hash_only(client: Any, container: Any,
                                                                      table_items: Any) -> None:
    container.override(store_policy=store_policy("jetrack"))
    for _ in range(11):
        response = client.http.post("/privacy-requests", body=json.dumps({"email": "guest.person@example.com",
                                                                          "type": "access"}),
                                    headers={"Content-Type": "application/json"})
    assert response.status_code == 429  # the limit counts by the source address...
    [counter] = [i for i in table_items() if str(i["pk"]).startswith("RATE#")]
    assert len(str(counter["pk"]).removeprefix("RATE#")) == 64 and counter["hits"] == 10
    no_ip_anywhere(table_items())  # ...which is never stored


def test_policy_files_are_where_the_tests_read_them() -> None:
    assert all((Path(ROOT) / "policies" / f"{name}.toml").exists() for name in POLICIES)
