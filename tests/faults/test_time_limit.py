"""The Lambda time limit, or an AWS call failing, in the middle of the scheduled job's work (the invocation ends
before one of its AWS calls:
tests/faults/harness.py `time_limit_at`, tried at calls spread over the whole run): the next run finishes it, and the
end state is the one an uninterrupted run gives -- an erasure (the request completed, the same receipt counts, the
key shredded, the receipt mailed once -- twice only when the limit falls between SES accepting it and the progress
recording it, which no run can tell apart from "not sent")."""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib.errors import KeyShreddedError
from chalicelib.services import privacy_requests as service
from chalicelib.services.privacy_requests import run_scheduled_request_work
from tests.conftest import NOW
from tests.fakes.subjects import mail_text, seed_subject, sent_mail
from tests.faults import harness

DAY = 86_400
DUE = NOW + 7 * DAY + 60  # after the deletion's grace period


def scheduled_deletion(container: Any, n: int) -> tuple[str, str]:
    address, customer = f"erase.{n}@example.org", str(5000 + n)
    seed_subject(container, address, customer_id=customer)
    submitted = service.submit_request(container, email=address, request_type="deletion", channel="account",
                                       received_at=NOW, needs_verification=False, customer_id=customer)
    request = service.fulfil(container, service.get_request(container, submitted.request_id, now=NOW), now=NOW,
                             inline=True)
    assert request.status.value == "scheduled"
    return submitted.request_id, address


def receipts(address: str) -> list[Any]:
    return [m for m in sent_mail() if m["To"] == address and "Your data has been erased" in mail_text(m)]


def outcome(container: Any, request_id: str, at: int) -> dict[str, Any]:
    request = container.privacy_requests.get(request_id, now=at)
    receipt = request.result["receipt"]
    with pytest.raises(KeyShreddedError):
        container.vault.cipher_for_reading(request.subject)
    return {"status": request.status.value, "deleted": receipt["deleted"], "anonymised": receipt["anonymised"],
            "kept": {kind: info["count"] for kind, info in receipt["kept"].items()},
            "exports_deleted": receipt["exports_deleted"], "mail": receipt["mail"]}


def test_an_erasure_cut_by_the_time_limit_is_finished_by_the_next_run(container: Any, clock: Any) -> None:
    clean_id, clean_address = scheduled_deletion(container, 0)
    clock.set(DUE)
    with harness.recording() as calls:
        assert run_scheduled_request_work(container, now=DUE, dry_run=False)["deletions"] == 1
    clean = outcome(container, clean_id, DUE)
    assert clean["status"] == "completed" and len(receipts(clean_address)) == 1
    sends = [n + 1 for n, call in enumerate(calls) if call == ("ses", "SendRawEmail")]
    # spread over the run, and the calls just before and after the receipt is sent
    positions = sorted({*range(1, len(calls), max(1, len(calls) // 12)), len(calls) - 1,
                        *(n for send in sends for n in (send, send + 1))})
    assert len(positions) >= 8
    for k in positions:
        request_id, address = scheduled_deletion(container, k)
        clock.set(DUE)
        with pytest.raises(harness.TimeLimit), harness.time_limit_at(k):
            run_scheduled_request_work(container, now=DUE, dry_run=False)
        later = DUE + 900  # the next scheduled run
        clock.set(later)
        run_scheduled_request_work(container, now=later, dry_run=False)
        assert outcome(container, request_id, later) == clean, (k, calls[k - 1])
        # At least once: cut between SES accepting the receipt and the progress recording it (the call right after
        # the send), the next run cannot know it went out and sends it again; everywhere else exactly once.
        assert len(receipts(address)) == (2 if k - 1 in sends else 1), (k, calls[k - 1])


def test_a_retention_run_cut_by_the_time_limit_is_finished_by_the_next_run(container: Any, clock: Any,
                                                                         table_items: Any) -> None:
    from chalicelib.domain.retention import Category
    from chalicelib.services.retention_run import run_scheduled_job
    from tests.fakes.retention import seed
    from tests.helpers import retention

    rules = {rule.category: rule for rule in retention().rules()}
    deleted, anonymised = Category.ANALYTICS, next(c for c, r in rules.items() if r.action == "anonymise")
    due_at = NOW + max(rules[deleted].seconds, rules[anonymised].seconds)

    def seeded(prefix: str) -> list[str]:
        return [pk for category in (deleted, anonymised) for pk, _ in seed(container, category, 6, prefix=prefix)]

    def state(pks: list[str]) -> list[str | None]:
        items = {item["pk"]: item for item in table_items()}
        return [items[pk]["category"] if pk in items else None for pk in pks]

    clean = seeded("CLEAN")
    clock.set(due_at)
    with harness.recording() as calls:
        assert run_scheduled_job(container).status == "completed"
    expected = state(clean)
    assert expected == [None] * 6 + ["anonymised_record"] * 6
    at = due_at
    for k in sorted({*range(1, len(calls), max(1, len(calls) // 10)), len(calls) - 1}):
        pks = seeded(f"CUT{k}")
        at += 900  # every scheduled run (the cut one's lease outlives it by LEASE_MARGIN_SECONDS only)
        clock.set(at)
        with pytest.raises(harness.TimeLimit), harness.time_limit_at(k):
            run_scheduled_job(container)
        at += 900
        clock.set(at)
        assert run_scheduled_job(container).status == "completed", (k, calls[k - 1])
        assert state(pks) == expected, (k, calls[k - 1])


def test_an_export_cut_by_the_time_limit_is_finished_by_the_next_run(container: Any, clock: Any) -> None:
    import json

    import boto3

    s3 = boto3.client("s3", region_name="eu-west-1")
    bucket = container.settings.exports_bucket

    def queued_export(n: int) -> str:
        address, customer = f"export.{n}@example.org", str(6000 + n)
        seed_subject(container, address, customer_id=customer, orders=4)
        return service.submit_request(container, email=address, request_type="access", channel="account",
                                      received_at=NOW, needs_verification=False, customer_id=customer).request_id

    def produced(request_id: str, at: int) -> tuple[str, int, list[str]]:
        request = container.privacy_requests.get(request_id, now=at)
        export = request.result["export"]
        document = json.loads(s3.get_object(Bucket=bucket, Key=export["json_key"])["Body"].read())
        html = s3.get_object(Bucket=bucket, Key=export["html_key"])["Body"].read().decode()
        prefix = export["json_key"].rsplit("/", 1)[0] + "/"
        keys = [o["Key"].removeprefix(prefix) for o in s3.list_objects_v2(Bucket=bucket, Prefix=prefix)
                .get("Contents", [])]
        assert html.rstrip().endswith("</html>") and document
        return request.status.value, export["records"], sorted(keys)

    clean_id = queued_export(0)
    at = NOW + 60
    clock.set(at)
    with harness.recording() as calls:
        assert run_scheduled_request_work(container, now=at, dry_run=False)["fulfilled"] == 1
    expected = produced(clean_id, at)
    assert expected[0] == "completed" and expected[1] > 0 and expected[2] == ["export.html", "export.json"]
    for k in sorted({*range(1, len(calls), max(1, len(calls) // 10)), len(calls) - 1}):
        request_id = queued_export(k)
        at += 900
        clock.set(at)
        with pytest.raises(harness.TimeLimit), harness.time_limit_at(k):
            run_scheduled_request_work(container, now=at, dry_run=False)
        at += 900
        clock.set(at)
        run_scheduled_request_work(container, now=at, dry_run=False)
        assert produced(request_id, at) == expected, (k, calls[k - 1])


def test_a_retention_run_with_a_failing_call_ends_as_an_uninterrupted_one(container: Any, clock: Any,
                                                                        table_items: Any) -> None:
    """Throttling or a 5xx on each DynamoDB call of a retention run in turn (deletions and anonymisations): the
    item it hit is parked with a backoff (at most a week), and the runs after it end in the uninterrupted state."""
    import contextlib

    from chalicelib.domain.retention import Category
    from chalicelib.errors import StorageUnavailableError
    from chalicelib.services.retention_run import MAX_BACKOFF, run_scheduled_job
    from tests.fakes.retention import seed
    from tests.helpers import retention

    rules = {rule.category: rule for rule in retention().rules()}
    deleted, anonymised = Category.ANALYTICS, next(c for c, r in rules.items() if r.action == "anonymise")
    due_at = NOW + max(rules[deleted].seconds, rules[anonymised].seconds)

    def seeded(prefix: str) -> list[str]:
        return [pk for category in (deleted, anonymised) for pk, _ in seed(container, category, 3, prefix=prefix)]

    def state(pks: list[str]) -> list[str | None]:
        items = {item["pk"]: item for item in table_items()}
        return [items[pk]["category"] if pk in items else None for pk in pks]

    clean = seeded("CLEAN")
    clock.set(due_at)
    with harness.recording() as recorded:
        run_scheduled_job(container)
    expected = state(clean)
    assert expected == [None] * 3 + ["anonymised_record"] * 3
    calls = harness.call_positions(recorded)
    at = due_at
    for n, (aws_service, operation, nth) in enumerate(calls):
        pks = seeded(f"FAIL{n}")
        code = harness.THROTTLING[aws_service] if n % 2 else harness.SERVER_ERROR[aws_service]
        at += 900
        clock.set(at)
        with harness.failing(aws_service, operation, nth, code), contextlib.suppress(StorageUnavailableError):
            run_scheduled_job(container)  # the lease itself failing fails the invocation: the next run does it
        at += MAX_BACKOFF + 60  # the parked item's next attempt
        clock.set(at)
        run_scheduled_job(container)
        assert state(pks) == expected, (aws_service, operation, nth, code)


def test_an_erasure_with_a_failing_call_is_finished_by_the_next_run(container: Any, clock: Any) -> None:
    """Throttling or a 5xx on each AWS call of an erasure in turn (DynamoDB, KMS, S3, SES): that run leaves it or
    fails, the next scheduled run finishes it, and the end state is the uninterrupted one (the request completed,
    the same receipt counts, the key shredded) with the receipt mailed once -- a refused send is retried, never
    doubled."""
    import contextlib

    from botocore.exceptions import ClientError

    from chalicelib.errors import StorageUnavailableError
    from chalicelib.services import processor_propagation as propagation

    clean_id, clean_address = scheduled_deletion(container, 1000)
    clock.set(DUE)
    with harness.recording() as recorded:
        assert run_scheduled_request_work(container, now=DUE, dry_run=False)["deletions"] == 1
    clean = outcome(container, clean_id, DUE)
    assert clean["status"] == "completed" and len(receipts(clean_address)) == 1
    calls = harness.call_positions(recorded)
    assert {service for service, _, _ in calls} >= {"dynamodb", "kms", "s3", "ses"}
    doubled: list[str] = []
    for n, (aws_service, operation, nth) in enumerate(calls, start=1):
        request_id, address = scheduled_deletion(container, 1000 + n)
        code = harness.THROTTLING[aws_service] if n % 2 else harness.SERVER_ERROR[aws_service]
        where = f"{aws_service}.{operation} #{nth} {code}"
        clock.set(DUE)
        with harness.failing(aws_service, operation, nth, code) as refused, \
                contextlib.suppress(ClientError, StorageUnavailableError):
            run_scheduled_request_work(container, now=DUE, dry_run=False)
        assert refused, where
        at = DUE
        for _ in range(3):  # the next runs of the job: the request work, then the processors step (receipt retry)
            at += 900
            clock.set(at)
            run_scheduled_request_work(container, now=at, dry_run=False)
            propagation.run_propagation(container, now=at)
        assert outcome(container, request_id, at) == clean, where
        # As with the time limit: a failure of the write that records "receipt sent", right after SES accepted it,
        # leaves the next run unable to tell it from "not sent" (SES has no idempotency key): it sends it again.
        # Everywhere else exactly once, a refused send included.
        after_send = n >= 2 and calls[n - 2][:2] == ("ses", "SendRawEmail")
        assert len(receipts(address)) == (2 if after_send else 1), where
        if after_send:
            doubled.append(where)
    assert len(doubled) == 1, doubled  # only the one write after the receipt's send
