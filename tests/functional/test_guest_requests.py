"""The public request form: the answer costs the same for every address; the per-address work runs in the intake
queue's consumer (SQS on moto, delivered as Lambda's event source mapping does)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from chalicelib import aws
from chalicelib.domain.privacy_requests import Status
from tests.conftest import NOW
from tests.fakes.subjects import EMAIL, seed_subject, sent_mail
from tests.helpers import drain_intake

JSON = {"Content-Type": "application/json"}
VERIFY_SUBJECT = "Please confirm your privacy request"


def post(client: Any, address: str, kind: str = "access") -> Any:
    return client.http.post("/privacy-requests", headers=JSON, body=json.dumps({"email": address, "type": kind}))


def verification_mail() -> list[dict[str, Any]]:
    return [m for m in sent_mail() if m["Subject"] == VERIFY_SUBJECT]


class Calls:
    """Every AWS API call the process makes (botocore event hooks on the app's own clients)."""

    def __init__(self) -> None:
        self.names: list[str] = []
        for service in ("dynamodb", "sqs", "kms", "ses", "s3"):
            aws.client(service).meta.events.register("before-call", self._on_call)

    def _on_call(self, model: Any = None, **_: Any) -> None:
        self.names.append(f"{model.service_model.service_name}.{model.name}")

    def take(self) -> list[str]:
        taken, self.names = self.names, []
        return taken


def erase(container: Any, address: str) -> None:
    from chalicelib.services.privacy_requests import execute_deletion, get_request, submit_request

    seed_subject(container, address, customer_id="80")
    submitted = submit_request(container, email=address, request_type="deletion", channel="account",
                               received_at=NOW, needs_verification=False, customer_id="80")
    execute_deletion(container, get_request(container, submitted.request_id, now=NOW), now=NOW)


def test_every_address_costs_the_answer_the_same_calls(client: Any, container: Any) -> None:
    seed_subject(container)
    erased = "erased.person@example.net"
    erase(container, erased)
    post(client, "warm.up@example.com")  # the first request of a process builds its clients
    calls = Calls()
    seen = []
    for address in (EMAIL, "nobody.here@example.com", erased):
        response = post(client, address)
        assert response.status_code == 202
        seen.append((response.body, calls.take()))
    assert len({body for body, _ in seen}) == 1
    assert seen[0][1] == seen[1][1] == seen[2][1] == ["dynamodb.UpdateItem", "sqs.SendMessage"]


def test_the_consumer_registers_and_mails_only_for_addresses_not_erased(client: Any, container: Any,
                                                                       table_items: Any) -> None:
    erased = "erased.person@example.net"
    erase(container, erased)  # in this process, so the erased subject's key may still be cached
    before = [i for i in table_items() if i.get("kind") == "request"]
    for address in (erased, "Erased.Person@Example.net", EMAIL):
        post(client, address)
    assert drain_intake(client) == 3
    requests = [i for i in table_items() if i.get("kind") == "request"]
    assert len(requests) == len(before) + 1  # only EMAIL's
    assert [m["To"] for m in verification_mail()] == [EMAIL]


def test_a_redelivered_message_registers_once_and_sends_the_same_link(client: Any, container: Any,
                                                                      table_items: Any) -> None:
    from chalicelib.services.request_intake import process_intake

    body = json.dumps({"v": 1, "email": EMAIL, "type": "access", "received_at": NOW})
    assert process_intake(container, "message-1", body) == "sent"
    assert process_intake(container, "message-1", body) == "resent"
    requests = [i for i in table_items() if i.get("kind") == "request"]
    assert len(requests) == 1 and requests[0]["data"]["status"] == Status.UNVERIFIED.value
    first, second = verification_mail()
    assert first["Body"] == second["Body"]  # the same single-use link


@pytest.mark.parametrize("body", ["", "{}", "[]", '{"v": 1, "email": "a@b.c\\r\\nBcc: x@y.z", "type": "access", '
                                  '"received_at": 1}', '{"v": 2, "email": "a@b.example", "type": "access"}'])
def test_a_message_that_can_never_be_valid_is_dropped(client: Any, container: Any, body: str,
                                                      table_items: Any) -> None:
    from chalicelib.services.request_intake import process_intake

    before = table_items()
    assert process_intake(container, "message-x", body) == "rejected"
    assert table_items() == before and verification_mail() == []


def test_a_failing_record_comes_back_alone_and_is_done_once(client: Any, container: Any, table_items: Any) -> None:
    post(client, EMAIL)
    post(client, "other.person@example.com")
    attempts: list[str] = []

    def refuse_once(**_: Any) -> None:
        if not attempts:
            from botocore.exceptions import ClientError

            attempts.append("refused")
            raise ClientError({"Error": {"Code": "Throttling", "Message": "slow down"}}, "SendRawEmail")

    aws.client("ses").meta.events.register("before-call.ses.SendRawEmail", refuse_once)
    # retry_after=0: the record reported failed is visible again at once and delivered in a later batch
    assert drain_intake(client, retry_after=0) == 2
    assert attempts == ["refused"]
    assert sorted(m["To"] for m in verification_mail()) == sorted([EMAIL, "other.person@example.com"])
    assert len([i for i in table_items() if i.get("kind") == "request"]) == 2  # the retry registered nothing more


def test_the_ip_limit_is_checked_first_and_answers_retry_after(client: Any, container: Any, clock: Any) -> None:
    for i in range(10):
        assert post(client, f"someone.{i}@example.com").status_code == 202
    refused = post(client, EMAIL)  # the victim's address, from an IP over its limit
    assert refused.status_code == 429 and 0 < int(refused.headers["Retry-After"]) <= 3600
    clock.advance(3600)
    assert [post(client, EMAIL).status_code for _ in range(3)] == [202, 202, 202]
    drain_intake(client)
    assert [m["To"] for m in verification_mail()].count(EMAIL) == 3  # the refused request used none of its quota


def _subject(message: Any) -> str:
    from email.header import decode_header, make_header

    return str(make_header(decode_header(message["Subject"])))


@pytest.mark.parametrize(("body_language", "accept_language", "subject", "phrase"), [
    ("de", None, "Bitte bestätigen Sie Ihre Datenschutzanfrage", "Bestellungen und Zahlungen, 7 Jahre aufbewahrt"),
    (None, "et-EE,et;q=0.9,en;q=0.5", "Palun kinnitage oma privaatsustaotlus",
     "tellimused ja maksed, säilitame 7 aastat"),
    ("et", "de-DE", "Palun kinnitage oma privaatsustaotlus", "24 tunni"),  # the page's language wins
    (None, "fr-FR,fr;q=0.9", VERIFY_SUBJECT, "orders and payments, kept 7 years"),  # not one the store answers in
])
def test_the_verification_mail_is_in_the_language_of_the_page_or_the_browser(
        client: Any, container: Any, body_language: str | None, accept_language: str | None, subject: str,
        phrase: str) -> None:
    from tests.fakes.subjects import mail_text

    body: dict[str, Any] = {"email": "sprache.test@example.org", "type": "deletion"}
    if body_language:
        body["language"] = body_language
    headers = {**JSON, **({"Accept-Language": accept_language} if accept_language else {})}
    assert client.http.post("/privacy-requests", headers=headers, body=json.dumps(body)).status_code == 202
    assert drain_intake(client) == 1
    (mail,) = [m for m in sent_mail() if "sprache.test@example.org" in m["To"]]
    text = mail_text(mail)
    assert _subject(mail) == subject
    assert phrase in text and "/privacy-requests/verify?token=" in text.replace("=\n", "")
    assert "{" not in text  # every placeholder filled
    assert subject == VERIFY_SUBJECT or "orders and payments" not in text  # what the law keeps, in the language too


def test_a_language_the_mail_is_not_written_in_is_refused(client: Any, container: Any, table_items: Any) -> None:
    before = table_items()
    response = client.http.post("/privacy-requests", headers=JSON, body=json.dumps(
        {"email": "x@example.org", "type": "access", "language": "fr"}))
    assert response.status_code == 400 and table_items() == before
    assert drain_intake(client) == 0
