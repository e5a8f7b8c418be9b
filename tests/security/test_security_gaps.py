"""Attacks not covered elsewhere (docs/security.md indexes every attack and where it is tested).

Derived from GET /openapi.json, so a new route is covered the day it is registered:
- every operation behind the account JWT refuses every token of `tests.helpers.jwt_attacks` with 401 and stores
  nothing;
- every id-bearing account operation answers another account's id exactly as an id that does not exist (404, the
  same body: nothing revealed) and stores nothing.
And outgoing mail: no subject or address can add a header (CR/LF and the other line breaks `email` knows).
"""

from __future__ import annotations

import json
from email import message_from_bytes, policy
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chalicelib.handlers.openapi import document
from tests.conftest import NOW
from tests.helpers import account_token, bearer, jwt_attacks

JSON = {"Content-Type": "application/json"}


def _operations(scheme: str, *, with_id: bool = False) -> list[tuple[str, str, bool]]:
    import app  # noqa: F401  (registers every route)

    found = []
    for path, methods in document()["paths"].items():
        for method, operation in methods.items():
            names = {name for requirement in operation["security"] for name in requirement}
            if scheme in names and (not with_id or "{" in path):
                found.append((method, path, {} in operation["security"]))
    return sorted(found)


ACCOUNT_OPERATIONS = _operations("accountJwt")
ID_OPERATIONS = _operations("accountJwt", with_id=True)


def test_the_account_operations_are_found() -> None:
    assert len(ACCOUNT_OPERATIONS) >= 12 and len(ID_OPERATIONS) >= 2


@pytest.mark.parametrize(("method", "path", "optional"), ACCOUNT_OPERATIONS)
def test_every_jwt_attack_on_every_account_route_is_401_and_stores_nothing(
        client: Any, table_items: Any, method: str, path: str, optional: bool) -> None:
    before = table_items()
    for attack, token in jwt_attacks(NOW).items():
        if token is None and optional:
            continue  # an anonymous visitor may record consent; a bad token is never anonymous
        headers = {**JSON, **(bearer(token) if token is not None else {})}
        url = path.replace("{request_id}", "r-1")
        response = client.http.request(method.upper(), url, headers=headers, body="{}")
        assert response.status_code == 401, (attack, path, response.body)
        assert json.loads(response.body)["error"] == "unauthorized"
    assert table_items() == before


def _own(client: Any, customer: str, address: str) -> dict[str, str]:
    headers = {**bearer(account_token(customer, address, now=NOW)), **JSON}
    ids = {}
    for route in ("/account/export", "/account/deletion"):
        response = client.http.post(route, headers=headers, body="")
        assert response.status_code == 202, response.body
        ids[route] = json.loads(response.body)["request_id"]
    return ids


@pytest.mark.parametrize(("method", "path", "optional"), ID_OPERATIONS)
def test_another_accounts_id_is_answered_as_an_unknown_id(client: Any, table_items: Any, method: str, path: str,
                                                          optional: bool) -> None:
    victims = _own(client, "57", "jana.mueller@example.org")
    target = victims["/account/deletion"] if "deletion" in path else victims["/account/export"]
    attacker = {**bearer(account_token("99", "max.mustermann@example.com", now=NOW)), **JSON}
    before = table_items()
    answers = []
    for request_id in (target, "00000000-0000-4000-8000-000000000000"):
        response = client.http.request(method.upper(), path.replace("{request_id}", request_id), headers=attacker,
                                       body="")
        answers.append((response.status_code, response.body))
    assert answers[0] == answers[1] and answers[0][0] == 404
    assert target.encode() not in answers[0][1]
    assert table_items() == before


LINE_BREAKS = ["\r", "\n", "\r\n", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029"]
HEADER_LIKE = st.builds(lambda a, brk, b: f"{a}{brk}Bcc: spy@evil.example{brk}{b}",
                        st.text(max_size=40), st.sampled_from(LINE_BREAKS), st.text(max_size=40))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(subject=st.one_of(HEADER_LIKE, st.text(max_size=300)))
def test_no_subject_adds_a_header_to_outgoing_mail(subject: str) -> None:
    from chalicelib.mail.compose import build_message

    message = build_message(sender="privacy@store.example", to="jana.mueller@example.org", subject_line=subject,
                            text="body", sent_at=NOW)
    parsed = message_from_bytes(message.as_bytes(policy=policy.SMTP), policy=policy.default)
    assert sorted(parsed.keys()) == sorted(["From", "To", "Subject", "Message-ID", "Date", "Auto-Submitted",
                                            "Content-Type", "Content-Transfer-Encoding", "MIME-Version"])
    assert parsed["To"] == "jana.mueller@example.org" and "Bcc" not in parsed


@pytest.mark.parametrize("address", [f"jana.mueller@example.org{brk}Bcc: spy@evil.example" for brk in LINE_BREAKS]
                         + ['"Jana\r\nBcc: spy@evil.example" <jana@example.org>', "a@b.example, spy@evil.example"])
def test_no_address_adds_a_recipient_or_a_header(address: str) -> None:
    from chalicelib.mail.compose import build_message

    with pytest.raises(ValueError):  # InvalidEmailError is a ValueError: refused, never sent
        build_message(sender="privacy@store.example", to=address, subject_line="Your request", text="body")


# -- replayed signatures: the exact signed bytes and headers again change nothing stored --------------------------
def _replayed(client: Any, table_items: Any, send: Any) -> list[Any]:
    first = send()
    assert first.status_code == 200, first.body
    before = table_items()
    again = [send() for _ in range(3)]
    assert table_items() == before
    return [json.loads(r.body).get("status") if r.status_code == 200 else r.status_code for r in again]


def test_a_replayed_woocommerce_delivery_stores_nothing_new(client: Any, table_items: Any) -> None:
    from tests.conftest import EVENTS
    from tests.helpers import wc_post

    body = (EVENTS / "woocommerce" / "order.created.payload.json").read_bytes()
    assert _replayed(client, table_items, lambda: wc_post(client, "order.created", body)) == ["duplicate"] * 3


def test_a_replayed_paypal_delivery_stores_nothing_new(client: Any, table_items: Any, paypal: Any) -> None:
    from tests.conftest import EVENTS

    body = (EVENTS / "paypal" / "PAYMENT.CAPTURE.COMPLETED.json").read_bytes()
    headers = {**JSON, **paypal.headers(body)}  # signed once, sent four times

    def send() -> Any:
        return client.http.post("/webhooks/paypal", body=body, headers=headers)

    assert _replayed(client, table_items, send) == ["duplicate"] * 3


def test_a_replayed_airwallex_delivery_stores_nothing_new(client: Any, table_items: Any) -> None:
    from tests.conftest import EVENTS
    from tests.helpers import aw_post

    body = json.dumps(json.loads((EVENTS / "airwallex" / "payment_intent.succeeded.json").read_text())).encode()
    # inside the 5-minute window a replay is a duplicate; outside it a 401 (tests/unit/test_airwallex_signature.py)
    assert _replayed(client, table_items, lambda: aw_post(client, body)) == ["duplicate"] * 3


def test_a_replayed_bitpay_delivery_stores_nothing_new(bitpay_server: Any, client: Any, table_items: Any,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    from chalicelib.signatures import bitpay as signature
    from tests.fakes.bitpay_api import api_invoice, extended

    monkeypatch.setenv("BITPAY_WEBHOOK_TOKEN", "replay-test-token-0123456789")
    ipn = extended()
    bitpay_server.invoices[ipn["data"]["id"]] = api_invoice(ipn)
    raw = json.dumps(ipn).encode()
    headers = {**JSON, "x-signature": signature.sign(raw, "replay-test-token-0123456789")}

    def send() -> Any:
        return client.http.post("/webhooks/bitpay", body=raw, headers=headers)

    # the IPN is only a hint: the invoice is fetched from BitPay again, and the same state is a duplicate
    assert _replayed(client, table_items, send) == ["duplicate"] * 3
