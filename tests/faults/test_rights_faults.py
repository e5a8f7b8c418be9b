"""Throttling and 5xx on every AWS call (DynamoDB, KMS, S3, SES) that the intake of a guest request makes (the
intake queue's consumer, `privacy_intake`, fed as Lambda's SQS event source does: tests/helpers.drain_intake), each
call failed in turn: the message comes back (a batch item failure) and its retry ends in exactly what one clean
intake gives -- one request for the address, one verification mail."""

from __future__ import annotations

import json
from typing import Any

from tests.conftest import NOW
from tests.fakes.subjects import mail_text, sent_mail
from tests.faults import harness
from tests.helpers import drain_intake

HOUR = 3600


def submitted(client: Any, clock: Any, n: int) -> str:
    address = f"guest.fault.{n}@example.org"
    clock.set(NOW + n * HOUR)  # the per-IP limit counts an hour: one fresh hour per case
    response = client.http.post("/privacy-requests", body=json.dumps({"email": address, "type": "access"}),
                                headers={"Content-Type": "application/json"})
    assert response.status_code == 202, response.body
    return address


def outcome(container: Any, table_items: Any, address: str) -> tuple[int, int]:
    subject = f"SUBJ#{container.subject_for_email(address)}"
    requests = [i for i in table_items() if i.get("subject_pk") == subject and i.get("kind") == "request"]
    mails = [m for m in sent_mail() if m["To"] == address and "/privacy-requests/verify?token=" in mail_text(m)]
    return len(requests), len(mails)


def test_every_failing_call_of_a_guest_request_intake_ends_as_one_clean_intake(
        client: Any, container: Any, clock: Any, table_items: Any) -> None:
    address = submitted(client, clock, 0)
    with harness.recording() as recorded:
        assert drain_intake(client) == 1
    calls = harness.call_positions(recorded)
    assert {service for service, _, _ in calls} >= {"dynamodb", "ses"}
    clean = outcome(container, table_items, address)
    assert clean == (1, 1)
    cases = [(*call, code) for call in calls for code in (harness.THROTTLING[call[0]], harness.SERVER_ERROR[call[0]])]
    for n, (service, operation, nth, code) in enumerate(cases, start=1):
        address = submitted(client, clock, n)
        where = f"{service}.{operation} #{nth} {code}"
        with harness.failing(service, operation, nth, code) as refused:
            drain_intake(client, retry_after=0)  # a failed message is visible again at once: retried here
        assert refused, where
        drain_intake(client)
        assert outcome(container, table_items, address) == clean, where


def test_every_failing_call_of_an_account_export_ends_in_one_export(client: Any, container: Any, clock: Any,
                                                                    table_items: Any) -> None:
    """POST /account/export (produced inline for a small subject): a failure before the request is stored is a 503
    with Retry-After (the storefront retries); after it, the export is left to the scheduled job, which produces
    it -- one completed request with one export either way."""
    from chalicelib.services.privacy_requests import run_scheduled_request_work
    from tests.helpers import account_token, bearer

    def post(n: int) -> Any:
        token = account_token(customer_id=f"9{n:04d}", email=f"export.fault.{n}@example.org", now=NOW)
        return client.http.post("/account/export", body=b"{}",
                                headers={**bearer(token), "Content-Type": "application/json"})

    def exports(n: int) -> list[tuple[str, bool]]:
        subject = f"SUBJ#{container.subject_for_email(f'export.fault.{n}@example.org')}"
        return [(str(i["data"].get("status", "")) if isinstance(i.get("data"), dict) else "", "export" in str(i))
                for i in table_items() if i.get("subject_pk") == subject and i.get("kind") == "request"]

    clock.set(NOW)
    with harness.recording() as recorded:
        assert post(0).status_code == 202
    calls = harness.call_positions(recorded)
    clean = exports(0)
    assert len(clean) == 1 and {service for service, _, _ in calls} >= {"dynamodb", "s3"}
    doubled: list[str] = []
    for n, (service, operation, nth) in enumerate(calls, start=1):
        code = harness.THROTTLING[service] if n % 2 else harness.SERVER_ERROR[service]
        where = f"{service}.{operation} #{nth} {code}"
        with harness.failing(service, operation, nth, code) as refused:
            response = post(n)
        assert refused, where
        if response.status_code == 503:
            assert int(response.headers["Retry-After"]) >= 1, where
            assert post(n).status_code == 202, where  # the storefront's retry
        else:
            assert response.status_code == 202, (where, response.body)
        run_scheduled_request_work(container, now=NOW, dry_run=False)
        if exports(n) != clean:
            doubled.append(where)
    assert doubled == [], doubled
