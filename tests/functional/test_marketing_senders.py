"""The store's mailing tool (issue 13, "Marketing that senders can obey"), through chalice.test.Client on moto:
the permission check, its API key and quota, the suppression list export, RFC 8058 one-click unsubscribe, and the
checkout's opt-in carried by a WooCommerce order.  Every refusal is a 4xx that changes nothing stored."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from chalicelib.domain.retention import DAY
from tests.conftest import NOW, load_event
from tests.helpers import account_token, bearer, wc_post

API_KEY = "local-dev-marketing-api-key-do-not-use-in-production"
LIST_KEY = "local-dev-marketing-list-key-do-not-use-in-production"
JSON = {"Content-Type": "application/json"}
AUTH = {**JSON, "Authorization": f"Bearer {API_KEY}"}
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
ONE_CLICK = "List-Unsubscribe=One-Click"
EMAIL = "jana.mueller@example.org"
ORDER = load_event("woocommerce/order.created.payload.json")
OPT_IN_META = "mailchimp_woocommerce_is_subscribed"


def list_hash(email: str) -> str:
    """What the mailing tool computes on its side: HMAC-SHA256(list key, NFKC + trimmed + case-folded address)."""
    import unicodedata

    normalised = unicodedata.normalize("NFKC", email).strip().casefold()
    return hmac.new(LIST_KEY.encode(), normalised.encode(), hashlib.sha256).hexdigest()


def permission(client: Any, email: str = EMAIL, headers: dict[str, str] | None = None) -> Any:
    return client.http.post("/marketing/permission", body=json.dumps({"email": email}),
                            headers=AUTH if headers is None else headers)


def allowed(client: Any, email: str = EMAIL) -> bool:
    response = permission(client, email)
    assert response.status_code == 200, response.body
    body = json.loads(response.body)
    assert set(body) == {"allowed"}  # nothing but yes/no
    return bool(body["allowed"])


def account_choice(client: Any, value: bool, email: str = EMAIL, customer: str = "57", now: int = NOW) -> None:
    response = client.http.request("PUT", "/account/privacy/marketing", body=json.dumps({"email_marketing": value}),
                                   headers={**JSON, **bearer(account_token(customer, email, now=now))})
    assert response.status_code == 200, response.body


def unsubscribe_url(client: Any, email: str = EMAIL) -> str:
    response = client.http.post("/marketing/unsubscribe-headers", body=json.dumps({"email": email}), headers=AUTH)
    assert response.status_code == 200, response.body
    body = json.loads(response.body)
    assert body["headers"]["List-Unsubscribe-Post"] == ONE_CLICK
    match = re.fullmatch(r"<(https?://[^>]+)>", body["headers"]["List-Unsubscribe"])
    assert match
    return match.group(1)


def token_of(url: str) -> str:
    return parse_qs(urlsplit(url).query)["t"][0]


def one_click(client: Any, token: str, body: str = ONE_CLICK, headers: dict[str, str] | None = None) -> Any:
    return client.http.post(f"/marketing/unsubscribe?t={token}", body=body, headers=headers or FORM)


def marketing_events(table_items: Any, subject: str) -> list[dict[str, Any]]:
    return [i for i in table_items() if i["pk"] == f"MKT#{subject}" and i["sk"].startswith("EVENT#")]


def list_entries(table_items: Any) -> dict[str, dict[str, Any]]:
    return {i["sk"]: i for i in table_items() if i["pk"].startswith("MKTLIST#")}


# -- the permission --------------------------------------------------------------------------------------------------
def test_allowed_only_with_a_current_opt_in(client: Any, container: Any, clock: Any) -> None:
    assert allowed(client) is False  # never chose: no marketing without agreement
    account_choice(client, True)
    assert allowed(client) is True
    assert allowed(client, "Jana.Mueller@Example.org") is True  # the same address, normalised
    assert allowed(client, "someone.else@example.org") is False
    clock.advance(10)
    account_choice(client, False)
    assert allowed(client) is False


def test_an_erased_subject_is_never_allowed(client: Any, container: Any) -> None:
    account_choice(client, True)
    container.subject_keys.suppress(container.subject_for_email(EMAIL), at=NOW, expires_at=NOW + 3650 * DAY)
    assert allowed(client) is False


# -- the API key -----------------------------------------------------------------------------------------------------
ATTACKS = {
    "no header": {},
    "empty": {"Authorization": ""},
    "scheme only": {"Authorization": "Bearer"},
    "wrong key": {"Authorization": "Bearer " + "x" * len(API_KEY)},
    "short key": {"Authorization": "Bearer " + API_KEY[:8]},
    "key prefix": {"Authorization": "Bearer " + API_KEY[:-1]},
    "key plus one": {"Authorization": "Bearer " + API_KEY + "x"},
    "very long key": {"Authorization": "Bearer " + API_KEY * 200},
    "basic scheme": {"Authorization": "Basic " + API_KEY},
    "no scheme": {"Authorization": API_KEY},
    "two spaces": {"Authorization": "Bearer  " + API_KEY},
    "trailing space": {"Authorization": "Bearer " + API_KEY + " "},
    "header injection": {"Authorization": "Bearer " + API_KEY + "\r\nX-Injected: 1"},
    "NUL": {"Authorization": "Bearer " + API_KEY + "\x00"},
    "non-ASCII": {"Authorization": "Bearer " + API_KEY[:-1] + "é"},
    "the hash itself": {"Authorization": "Bearer " + hashlib.sha256(API_KEY.encode()).hexdigest()},
    "account token": {"Authorization": "Bearer " + account_token("57", EMAIL, now=NOW)},
}


@pytest.mark.parametrize("attack", list(ATTACKS), ids=list(ATTACKS))
def test_every_route_refuses_a_bad_key_alike_and_changes_nothing(client: Any, table_items: Any,
                                                                 attack: str) -> None:
    before = table_items()
    headers = {**JSON, **ATTACKS[attack]}
    answers = [
        permission(client, headers=headers),
        client.http.post("/marketing/unsubscribe-headers", body=json.dumps({"email": EMAIL}), headers=headers),
        client.http.get("/marketing/suppressions", headers=ATTACKS[attack]),
    ]
    for response in answers:
        assert response.status_code == 401
        assert json.loads(response.body) == {"error": "unauthorized", "message": "a valid API key is required"}
    assert table_items() == before


def test_a_lower_case_scheme_is_the_same_key(client: Any) -> None:
    response = permission(client, headers={**JSON, "Authorization": f"bearer {API_KEY}"})
    assert response.status_code == 200


def keys(container: Any, hashes: str, list_key: str = LIST_KEY) -> None:
    """The secrets as the secrets source would give them (chalice.test.Client sets the stage's environment)."""
    from chalicelib.domain.marketing_senders import SenderKeys

    container.override(sender_keys=SenderKeys(lambda: hashes, lambda: list_key,
                                              container.sender_keys.unsubscribe_key))


def test_without_configured_keys_every_route_is_closed(client: Any, container: Any) -> None:
    for hashes, list_key in (("", LIST_KEY), ("not-a-hash", LIST_KEY), (hashlib.sha256(API_KEY.encode()).hexdigest(),
                                                                        "")):
        keys(container, hashes, list_key)
        assert permission(client).status_code == 401
        assert client.http.get("/marketing/suppressions", headers=AUTH).status_code == 401


def test_a_rotation_accepts_both_keys(client: Any, container: Any) -> None:
    new_key = "n" * 40
    keys(container, ",".join(hashlib.sha256(k.encode()).hexdigest() for k in (API_KEY, new_key)))
    assert permission(client).status_code == 200
    assert permission(client, headers={**JSON, "Authorization": f"Bearer {new_key}"}).status_code == 200
    assert permission(client, headers={**JSON, "Authorization": "Bearer " + "m" * 40}).status_code == 401


def test_each_key_has_its_quota_a_minute(client: Any, container: Any, clock: Any) -> None:
    container.settings = container.settings.model_copy(update={"marketing_api_rate_per_minute": 3})
    clock.set(NOW - NOW % 60 + 15)
    assert [permission(client).status_code for _ in range(3)] == [200, 200, 200]
    refused = permission(client)
    assert refused.status_code == 429 and refused.headers["Retry-After"] == "45"
    assert client.http.get("/marketing/suppressions", headers=AUTH).status_code == 429
    clock.advance(45)
    assert permission(client).status_code == 200


def test_bad_input_is_refused_before_the_quota_and_stores_nothing(client: Any, container: Any,
                                                                  table_items: Any) -> None:
    before = table_items()
    bodies = ['{"email": "a@b"}', '{"email": "x@example.org", "subject": "y"}', '{"email": 5}', "[]", "",
              '{"email": "a@example.org\\r\\nBcc: x@evil.example"}', '{"email": "Jana <jana@example.org>"}',
              '{"email": "' + "a" * 2000 + '@example.org"}']
    for body in bodies:
        response = client.http.post("/marketing/permission", body=body, headers=AUTH)
        assert response.status_code in (400, 413), (body, response.body)
    response = client.http.post("/marketing/permission", body='{"email": "x@example.org"}',
                                headers={**AUTH, "Content-Type": "text/plain"})
    assert response.status_code == 415
    assert table_items() == before


# -- the suppression list --------------------------------------------------------------------------------------------
def all_hashes(client: Any, limit: int) -> tuple[list[str], int]:
    hashes: list[str] = []
    cursor, pages = "", 0
    while True:
        query = f"?limit={limit}" + (f"&cursor={cursor}" if cursor else "")
        response = client.http.get("/marketing/suppressions" + query, headers=AUTH)
        assert response.status_code == 200, response.body
        body = json.loads(response.body)
        assert body["algorithm"] == "HMAC-SHA256"
        hashes += body["hashes"]
        pages += 1
        if body["next_cursor"] is None:
            return hashes, pages
        cursor = body["next_cursor"]


def test_the_list_holds_the_keyed_hash_of_every_opted_out_and_erased_address(client: Any, container: Any,
                                                                             clock: Any) -> None:
    from tests.fakes.subjects import EMAIL as SEEDED
    from tests.fakes.subjects import deletion_request, erase, seed_subject

    out = [f"person.{n}@example.com" for n in range(7)]
    for n, address in enumerate(out):
        account_choice(client, False, address, customer=str(100 + n))
    account_choice(client, True, "stays.in@example.com", customer="300")
    account_choice(client, False, "back.in@example.com", customer="301")
    clock.advance(5)
    account_choice(client, True, "back.in@example.com", customer="301")  # a later opt-in takes it off
    seed_subject(container)
    erase(container, deletion_request(container))

    expected = sorted(list_hash(a) for a in [*out, SEEDED])
    whole, _ = all_hashes(client, 1000)
    assert sorted(whole) == expected
    paged, pages = all_hashes(client, 2)
    assert paged == whole and pages >= 4  # the same list, page by page, in one order
    assert EMAIL not in json.dumps(whole) and "example.com" not in json.dumps(paged)


def test_the_export_queries_partitions_and_never_scans(client: Any, container: Any) -> None:
    calls: list[str] = []
    for n in range(3):
        account_choice(client, False, f"p{n}@example.com", customer=str(n + 1))
    container.keys_table.client.meta.events.register(
        "before-call.dynamodb.*", lambda model, **_: calls.append(model.name))
    all_hashes(client, 1000)
    assert "Scan" not in calls and calls.count("Query") == 16  # one bounded page per partition


def test_an_erasure_entry_lives_as_long_as_the_suppression_and_no_choice_changes_it(container: Any) -> None:
    from chalicelib.services.marketing import set_marketing_preference
    from chalicelib.services.marketing_senders import suppress_erased

    email = "gone@example.com"
    subject = container.subject_for_email(email)
    container.subject_keys.suppress(subject, at=NOW, expires_at=NOW + 3650 * DAY)
    suppress_erased(container, email, now=NOW)
    set_marketing_preference(container, subject=subject, customer_id=None, email_marketing=False, source="account",
                             at=NOW + 5, email=email)  # a no-op for an erased subject
    entry = list_entries(lambda: container_items(container))[list_hash(email)]
    assert entry["reason"] == "erased" and entry["at"] == NOW and entry["expires_at"] == NOW + 3650 * DAY


def container_items(container: Any) -> list[dict[str, Any]]:
    from chalicelib.storage.attributes import from_attributes

    raw = container.keys_table.client.scan(TableName=container.settings.keys_table_name)["Items"]
    return [from_attributes(item) for item in raw]


@pytest.mark.parametrize("query", ["?limit=0", "?limit=1001", "?limit=abc", "?limit=-1", "?limit=1e3",
                                   "?cursor=zz", "?cursor=0.abc", "?cursor=" + "0." + "g" * 64, "?other=1",
                                   "?cursor=" + "a" * 5000])
def test_a_bad_query_is_a_400(client: Any, table_items: Any, query: str) -> None:
    before = table_items()
    response = client.http.get("/marketing/suppressions" + query, headers=AUTH)
    assert response.status_code == 400, response.body
    assert table_items() == before


# -- one-click unsubscribe -------------------------------------------------------------------------------------------
def test_the_headers_carry_a_signed_token_without_the_address(client: Any, container: Any) -> None:
    import jwt

    url = unsubscribe_url(client)
    assert url.startswith(container.settings.public_base_url + "/marketing/unsubscribe?t=")
    token = token_of(url)
    claims = jwt.decode(token, options={"verify_signature": False})
    assert EMAIL not in json.dumps(claims) and "example.org" not in token
    assert claims["exp"] - claims["iat"] == 365 * DAY and claims["aud"] == "marketing-unsubscribe"
    assert claims["sub"] == container.subject_for_email(EMAIL) and claims["lh"] == list_hash(EMAIL)
    assert token_of(unsubscribe_url(client)) != token  # a fresh token id each time


def test_the_link_shows_a_page_and_changes_nothing(client: Any, table_items: Any) -> None:
    account_choice(client, True)
    token = token_of(unsubscribe_url(client))
    before = table_items()
    response = client.http.get(f"/marketing/unsubscribe?t={token}")
    assert response.status_code == 200
    page = response.body.decode()
    assert '<form method="post"' in page and 'name="List-Unsubscribe" value="One-Click"' in page
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "form-action 'self'" in csp and "frame-ancestors 'none'" in csp
    assert response.headers["Cache-Control"] == "no-store" and "<script" not in page
    assert table_items() == before and allowed(client) is True


def test_a_bad_link_shows_an_escaped_page_and_changes_nothing(client: Any, table_items: Any) -> None:
    before = table_items()
    response = client.http.get("/marketing/unsubscribe?t=%3Cscript%3Ealert(1)%3C/script%3E")
    assert response.status_code == 400
    assert "<script>" not in response.body.decode() and "alert(1)" not in response.body.decode()
    assert table_items() == before


def test_one_click_records_an_opt_out_with_proof_once(client: Any, container: Any, table_items: Any,
                                                      clock: Any) -> None:
    account_choice(client, True)
    token = token_of(unsubscribe_url(client))
    clock.advance(60)
    response = one_click(client, token)
    assert response.status_code == 200 and "unsubscribed" in response.body.decode()
    assert allowed(client) is False
    subject = container.subject_for_email(EMAIL)
    history = container.marketing.history(subject, now=clock.now())
    assert [c.source for c in history] == ["account", "one_click"]
    proof = history[-1].proof
    assert proof["channel"] == "one_click" and re.fullmatch(r"[0-9a-f]{32}", proof["token_id"])
    assert list_hash(EMAIL) in list_entries(table_items)
    before = table_items()
    clock.advance(5)
    again = one_click(client, token)  # a mail client's retry, a second press
    assert again.status_code == 200 and table_items() == before


def test_one_click_without_any_earlier_choice_still_records_the_opt_out(client: Any, container: Any) -> None:
    token = token_of(unsubscribe_url(client, "never.chose@example.com"))
    assert one_click(client, token).status_code == 200
    state = container.marketing.current(container.subject_for_email("never.chose@example.com"), now=NOW)
    assert state is not None and state.email_marketing is False and state.source == "one_click"


def test_one_click_accepts_multipart_form_data(client: Any, container: Any) -> None:
    token = token_of(unsubscribe_url(client))
    body = ('--XyZ\r\nContent-Disposition: form-data; name="List-Unsubscribe"\r\n\r\nOne-Click\r\n--XyZ--\r\n')
    response = one_click(client, token, body, {"Content-Type": "multipart/form-data; boundary=XyZ"})
    assert response.status_code == 200, response.body
    assert container.marketing.current(container.subject_for_email(EMAIL), now=NOW).email_marketing is False


def forged(token: str) -> list[str]:
    import jwt

    header, payload, signature = token.split(".")
    claims = jwt.decode(token, options={"verify_signature": False})
    return [
        f"{header}.{payload}.{signature[:-2]}AA",  # altered signature
        jwt.encode({**claims, "sub": "b" * 64}, "guessed-key-" + "k" * 32, algorithm="HS256"),  # another key
        jwt.encode({**claims, "exp": claims["iat"] + 400 * DAY}, "x" * 32, algorithm="HS256"),
        f"{jwt.encode(claims, None, algorithm='none')}",  # alg none
        account_token("57", EMAIL, now=NOW),  # another token of the service
        "", "abc", "a.b.c", "x" * 2000,
    ]


def test_a_forged_or_expired_token_is_refused_and_stores_nothing(client: Any, container: Any, table_items: Any,
                                                                 clock: Any) -> None:
    account_choice(client, True)
    token = token_of(unsubscribe_url(client))
    before = table_items()
    for bad in forged(token):
        response = one_click(client, bad)
        assert response.status_code == 400, bad
        assert client.http.get(f"/marketing/unsubscribe?t={bad}").status_code == 400
    clock.advance(365 * DAY + 1)
    assert one_click(client, token).status_code == 400
    assert table_items() == before
    clock.set(NOW)
    assert allowed(client) is True


@pytest.mark.parametrize("body,content_type", [
    ("", "application/x-www-form-urlencoded"), ("List-Unsubscribe=Yes", "application/x-www-form-urlencoded"),
    ("List-Unsubscribe=One-Click", "application/json"), ("\xff\xfe", "application/x-www-form-urlencoded"),
    ("--B\r\nContent-Disposition: form-data; name=\"x\"\r\n\r\nOne-Click\r\n--B--\r\n",
     "multipart/form-data; boundary=B"),
    ("not multipart", "multipart/form-data"),
])
def test_a_post_that_is_not_the_one_click_form_is_refused(client: Any, table_items: Any, body: str,
                                                          content_type: str) -> None:
    token = token_of(unsubscribe_url(client))
    before = table_items()
    response = one_click(client, token, body, {"Content-Type": content_type})
    assert 400 <= response.status_code < 500
    assert table_items() == before


# -- the checkout's opt-in -------------------------------------------------------------------------------------------
def order(order_id: int = 1234, *, opt_in: Any = "1", created: str = "2026-11-20T10:00:00",
          modified: str = "2026-11-20T10:01:00", email: str = EMAIL) -> bytes:
    body = json.loads(json.dumps(ORDER))
    body.update(id=order_id, date_created_gmt=created, date_modified_gmt=modified)
    body["billing"]["email"] = email
    if opt_in is not None:
        body["meta_data"] = [*body["meta_data"], {"id": 9100, "key": OPT_IN_META, "value": opt_in}]
    return json.dumps(body).encode()


def test_a_checkout_opt_in_is_recorded_with_the_order_as_proof(client: Any, container: Any) -> None:
    assert wc_post(client, "order.created", order()).status_code == 200
    assert allowed(client) is True
    [event] = container.marketing.history(container.subject_for_email(EMAIL), now=NOW)
    assert event.source == "checkout" and event.customer_id == "57"
    assert event.proof["order_id"] == 1234 and event.proof["meta_key"] == OPT_IN_META
    assert event.at == 1_795_168_800  # 2026-11-20T10:00:00Z, when the box was ticked


def test_a_redelivery_records_no_second_proof(client: Any, container: Any, table_items: Any) -> None:
    wc_post(client, "order.created", order())
    subject = container.subject_for_email(EMAIL)
    first = marketing_events(table_items, subject)
    assert wc_post(client, "order.created", order()).status_code == 200
    assert wc_post(client, "order.updated", order(modified="2026-11-21T09:00:00")).status_code == 200
    assert marketing_events(table_items, subject) == first


@pytest.mark.parametrize("sequence", ["opt-out first", "order first"])
def test_a_later_opt_out_wins_whatever_the_delivery_order(client: Any, container: Any, sequence: str) -> None:
    """The order was placed on 2026-11-20; the opt-out is of now (2026-11-23)."""
    if sequence == "order first":
        wc_post(client, "order.created", order())
        account_choice(client, False)
    else:
        account_choice(client, False)
        wc_post(client, "order.created", order())
    assert allowed(client) is False
    assert list_hash(EMAIL) in list_entries(lambda: container_items(container))
    sources = [c.source for c in container.marketing.history(container.subject_for_email(EMAIL), now=NOW)]
    assert sorted(sources) == ["account", "checkout"]  # the checkout's proof is kept either way


def test_an_opt_in_at_a_later_checkout_wins_over_an_earlier_opt_out(client: Any, container: Any,
                                                                    clock: Any) -> None:
    clock.set(NOW - 10 * DAY)
    account_choice(client, False, now=NOW - 10 * DAY)
    clock.set(NOW)
    wc_post(client, "order.created", order(created="2026-11-22T10:00:00"))
    assert allowed(client) is True
    assert list_hash(EMAIL) not in list_entries(lambda: container_items(container))


@pytest.mark.parametrize("value", [None, "0", "", "no", "unsubscribed", False, 0, ["1"], {"v": "1"}])
def test_an_order_without_an_opt_in_records_nothing(client: Any, container: Any, value: Any) -> None:
    assert wc_post(client, "order.created", order(opt_in=value)).status_code == 200
    assert container.marketing.history(container.subject_for_email(EMAIL), now=NOW) == []


@pytest.mark.parametrize("value", ["1", "yes", "TRUE", True, 1, "on"])
def test_the_opt_in_values_of_checkout_plugins(client: Any, value: Any) -> None:
    wc_post(client, "order.created", order(opt_in=value))
    assert allowed(client) is True


def test_the_meta_key_is_a_setting(client: Any, container: Any) -> None:
    container.settings = container.settings.model_copy(update={"checkout_marketing_meta_key": "_newsletter"})
    wc_post(client, "order.created", order())
    assert allowed(client) is False
    body = json.loads(order(1235, opt_in=None))
    body["meta_data"].append({"id": 1, "key": "_newsletter", "value": "yes"})
    wc_post(client, "order.created", json.dumps(body).encode())
    assert allowed(client) is True


def test_an_erased_subjects_order_records_no_opt_in(client: Any, container: Any) -> None:
    container.subject_keys.suppress(container.subject_for_email(EMAIL), at=NOW, expires_at=NOW + 3650 * DAY)
    assert wc_post(client, "order.created", order()).status_code == 200
    assert allowed(client) is False


# -- logs ------------------------------------------------------------------------------------------------------------
def test_no_address_token_or_key_reaches_the_logs(client: Any, log_output: Any) -> None:
    wc_post(client, "order.created", order())
    allowed(client)
    url = unsubscribe_url(client)
    token = token_of(url)
    client.http.get(f"/marketing/unsubscribe?t={token}")
    one_click(client, token)
    permission(client, headers={**JSON, "Authorization": "Bearer " + EMAIL + "-wrong-key-0000000000000"})
    client.http.post("/marketing/permission", body=json.dumps({"email": EMAIL, "name": "Jana"}), headers=AUTH)
    client.http.get("/marketing/suppressions", headers=AUTH)
    logs = log_output()
    assert "marketing preference recorded" in logs  # the logger did write
    for secret in (EMAIL, "jana.mueller", token, token.split(".")[1], API_KEY, LIST_KEY, list_hash(EMAIL),
                   "Müller", "Hauptstraße"):
        assert secret not in logs, secret
