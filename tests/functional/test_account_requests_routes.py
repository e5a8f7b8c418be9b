"""Account and web privacy-request routes through chalice.test.Client."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest

from tests.conftest import NOW
from tests.fakes.subjects import EMAIL, PERSONAL, mail_text, seed_subject, sent_mail
from tests.helpers import account_token, bearer, drain_intake

JSON = {"Content-Type": "application/json"}


def auth(customer_id: str = "57", address: str = EMAIL) -> dict[str, str]:
    return {**bearer(account_token(customer_id, address, now=NOW)), **JSON}


def body(response: Any) -> Any:
    return json.loads(response.body)


def test_account_export_then_status_with_a_fresh_presigned_link(client: Any, container: Any,
                                                                 log_output: Any) -> None:
    seed_subject(container)
    posted = client.http.post("/account/export", headers=auth(), body="")
    assert posted.status_code == 202
    answer = body(posted)
    assert set(answer) == {"request_id", "status", "due_at"} and answer["due_at"] == "2026-12-23T12:00:00Z"
    listed = body(client.http.get("/account/requests", headers=auth()))["requests"]
    assert [r["request_id"] for r in listed] == [answer["request_id"]]
    shown = client.http.get(f"/account/requests/{answer['request_id']}", headers=auth())
    view = body(shown)
    assert view["status"] == "completed" and view["download"]["expires_in"] <= 900
    assert "X-Amz-Expires=900" in view["download"]["json"] and "X-Amz-Signature" in view["download"]["html"]
    assert shown.headers["Cache-Control"] == "no-store"
    assert "export download link issued" in log_output()


def test_routes_need_a_valid_token(client: Any) -> None:
    for method, path in (("post", "/account/export"), ("get", "/account/requests"), ("get", "/account/requests/x"),
                         ("post", "/account/deletion"), ("delete", "/account/deletion/x")):
        response = getattr(client.http, method)(path, headers=JSON, body="") if method != "get" else \
            client.http.get(path)
        assert response.status_code == 401, path


def test_another_customers_request_is_404(client: Any) -> None:
    mine = body(client.http.post("/account/export", headers=auth(), body=""))["request_id"]
    other = auth("99", "other.person@example.net")
    assert client.http.get(f"/account/requests/{mine}", headers=other).status_code == 404
    assert client.http.delete(f"/account/deletion/{mine}", headers=other).status_code == 404
    assert body(client.http.get("/account/requests", headers=other))["requests"] == []


def test_deletion_is_scheduled_then_cancelled(client: Any, container: Any) -> None:
    seed_subject(container)
    posted = client.http.post("/account/deletion", headers=auth(), body="")
    assert posted.status_code == 202
    answer = body(posted)
    assert answer["status"] == "scheduled" and answer["execute_after"] == "2026-11-30T12:00:00Z"
    assert answer["due_at"] == "2026-12-23T12:00:00Z"
    cancelled = client.http.delete(f"/account/deletion/{answer['request_id']}", headers=auth())
    assert cancelled.status_code == 200 and body(cancelled)["status"] == "cancelled"
    again = client.http.delete(f"/account/deletion/{answer['request_id']}", headers=auth())
    assert again.status_code == 409


def test_deletion_refuses_a_false_confirmation(client: Any) -> None:
    response = client.http.post("/account/deletion", headers=auth(), body=json.dumps({"confirm": False}))
    assert response.status_code == 400 and body(response)["field"] == "confirm"


def test_an_export_request_id_cannot_be_cancelled_as_a_deletion(client: Any) -> None:
    mine = body(client.http.post("/account/export", headers=auth(), body=""))["request_id"]
    assert client.http.delete(f"/account/deletion/{mine}", headers=auth()).status_code == 404


# -- guest / web ---------------------------------------------------------------------------------------------------
def post_web(client: Any, address: str, kind: str = "access", ip: str | None = None) -> Any:
    """POST the form, then let the intake queue's consumer run (Lambda would, at once)."""
    response = client.http.post("/privacy-requests", headers=JSON, body=json.dumps({"email": address, "type": kind}))
    drain_intake(client)
    return response


def test_same_answer_for_known_unknown_and_erased_addresses(client: Any, container: Any) -> None:
    from chalicelib.services.privacy_requests import execute_deletion, get_request, submit_request

    seed_subject(container)
    erased = "erased.person@example.net"
    seed_subject(container, erased, customer_id="80")
    submitted = submit_request(container, email=erased, request_type="deletion", channel="account",
                               received_at=NOW, needs_verification=False)
    execute_deletion(container, get_request(container, submitted.request_id, now=NOW), now=NOW)
    container.vault.forget_cache()
    answers = [post_web(client, address) for address in (EMAIL, "nobody.here@example.com", erased)]
    assert {a.status_code for a in answers} == {202}
    assert len({a.body for a in answers}) == 1
    verification = [m for m in sent_mail() if m["Subject"] == "Please confirm your privacy request"]
    assert sorted(m["To"] for m in verification) == sorted([EMAIL, "nobody.here@example.com"])


def test_guest_verifies_by_link_and_gets_the_export_link_by_mail(client: Any, container: Any) -> None:
    seed_subject(container)
    assert post_web(client, EMAIL).status_code == 202
    mail = next(m for m in sent_mail() if m["Subject"] == "Please confirm your privacy request")
    link = next(line for line in mail_text(mail).splitlines() if "/privacy-requests/verify?token=" in line)
    token = parse_qs(urlparse(link.strip()).query)["token"][0]
    page = client.http.get(f"/privacy-requests/verify?token={token}")
    assert page.status_code == 200 and "text/html" in page.headers["Content-Type"]
    assert b'method="post"' in page.body and token.encode() in page.body
    assert not any(m["Subject"] == "Your data export is ready" for m in sent_mail())  # opening the link is not enough
    verified = confirm(client, token)
    assert verified.status_code == 200 and b"Request confirmed" in verified.body
    assert confirm(client, token).status_code == 400  # single use
    ready = next(m for m in sent_mail() if m["Subject"] == "Your data export is ready")
    download = next(line for line in mail_text(ready).splitlines() if "/privacy-requests/download?token=" in line)
    redirected = client.http.get(urlparse(download.strip()).path + "?" + urlparse(download.strip()).query)
    assert redirected.status_code == 302 and "X-Amz-Expires=900" in redirected.headers["Location"]


@pytest.mark.parametrize("payload", [{"email": "not-an-address", "type": "access"},
                                     {"email": EMAIL, "type": "everything"}, {"email": EMAIL}, [], "x"])
def test_bad_bodies_are_400_without_echo(client: Any, payload: Any) -> None:
    response = client.http.post("/privacy-requests", headers=JSON, body=json.dumps(payload))
    assert response.status_code == 400 and b"not-an-address" not in response.body


def test_oversized_body_is_413(client: Any) -> None:
    response = client.http.post("/privacy-requests", headers=JSON,
                                body=json.dumps({"email": EMAIL, "type": "access", "x": "y" * 5000}))
    assert response.status_code == 413


def test_rate_limited_per_email_without_telling(client: Any) -> None:
    codes = [post_web(client, "Same.Person@example.com").status_code for _ in range(4)]
    assert codes == [202, 202, 202, 202]  # the answer never depends on the address: the 4th is dropped afterwards
    verification = [m for m in sent_mail() if m["Subject"] == "Please confirm your privacy request"]
    assert len(verification) == 3


def confirm(client: Any, token: str) -> Any:
    return client.http.post("/privacy-requests/verify", body=f"token={token}",
                            headers={"Content-Type": "application/x-www-form-urlencoded"})


def test_a_prefetched_link_confirms_nothing(client: Any, container: Any) -> None:
    seed_subject(container)
    post_web(client, EMAIL)
    mail = next(m for m in sent_mail() if m["Subject"] == "Please confirm your privacy request")
    link = next(line for line in mail_text(mail).splitlines() if "/privacy-requests/verify?token=" in line)
    token = parse_qs(urlparse(link.strip()).query)["token"][0]
    for _ in range(3):  # a mail scanner fetching the link
        assert client.http.get(f"/privacy-requests/verify?token={token}").status_code == 200
    assert confirm(client, token).status_code == 200  # the person's own click still works


def test_bad_or_missing_links_are_400(client: Any) -> None:
    assert client.http.get("/privacy-requests/verify").status_code == 400
    assert client.http.get("/privacy-requests/verify?token=<script>").status_code == 400
    assert confirm(client, "abc").status_code == 400
    assert client.http.post("/privacy-requests/verify", body="",
                            headers={"Content-Type": "application/x-www-form-urlencoded"}).status_code == 400
    assert client.http.get("/privacy-requests/download?token=abc").status_code == 400


def test_nothing_personal_is_logged(client: Any, container: Any, log_output: Any) -> None:
    """Every fixture through the feature: export, guest request, verification, deletion, erasure."""
    from chalicelib.services.privacy_requests import run_scheduled_request_work

    seed_subject(container)
    client.http.post("/account/export", headers=auth(), body="")
    post_web(client, EMAIL, "correction")
    post_web(client, "guest.person@example.com", "opt_out")
    client.http.post("/account/deletion", headers=auth(), body="")
    run_scheduled_request_work(container, now=NOW + 8 * 86_400, dry_run=False)
    logs = log_output()
    assert "privacy request submitted" in logs and "erasure done" in logs
    for value in [*PERSONAL, "203.0.113.0", "guest.person", "Same.Person"]:
        assert value not in logs, value
