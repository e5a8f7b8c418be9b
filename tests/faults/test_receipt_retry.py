"""SES refusing an erasure receipt (a botocore hook on the app's own SES client: tests/fakes/faults.py): the receipt
is queued for the scheduled job's processors step, retried with backoff, sent exactly once, and only then does the
erasure move on (its final update is never sent before the receipt); refused every time, it ends `failed`."""

from __future__ import annotations

from typing import Any

from chalicelib import aws
from chalicelib.services import processor_propagation as propagation
from tests.conftest import NOW
from tests.fakes.faults import refusing
from tests.fakes.subjects import EMAIL, deletion_request, erase, mail_text, seed_subject, sent_mail
from tests.helpers import store_policy


def receipts(request_id: str) -> list[Any]:
    return [m for m in sent_mail() if m["To"] == EMAIL and f"Your data has been erased (request {request_id})"
            in mail_text(m)]


def erased_while_ses_refuses(container: Any, policy: str = "jetcards") -> Any:
    container.override(store_policy=store_policy(policy))
    seed_subject(container, EMAIL)
    request = deletion_request(container, EMAIL)
    with refusing(aws.ses(), "SendRawEmail", code="Throttling") as refused:
        done = erase(container, request)
    assert refused  # the receipt was attempted and refused
    return done


def run(container: Any, clock: Any, at: int) -> dict[str, int]:
    clock.set(at)
    return propagation.run_propagation(container, now=at)


def test_a_refused_receipt_is_sent_later_exactly_once(container: Any, clock: Any) -> None:
    done = erased_while_ses_refuses(container)
    assert done.status.value == "completed" and done.result["receipt"]["mail"] == "retrying"
    assert receipts(done.request_id) == []
    with refusing(aws.ses(), "SendRawEmail", code="ServiceUnavailable", times=1):
        assert run(container, clock, NOW + 60)["receipt_retry"] == 1  # refused again: backs off
    assert receipts(done.request_id) == []
    progress = container.subject_data.load_progress(done.request_id, now=NOW + 60)
    next_at = progress.receipt["mail_next_at"]
    assert next_at == NOW + 60 + propagation.RECEIPT_BACKOFF
    assert run(container, clock, next_at - 1).get("receipt_sent") is None  # not due yet
    assert run(container, clock, next_at)["receipt_sent"] == 1
    assert len(receipts(done.request_id)) == 1
    for later in (next_at + 1, next_at + 86_400, next_at + 30 * 86_400):
        assert "receipt_sent" not in run(container, clock, later)
    assert len(receipts(done.request_id)) == 1  # exactly once
    request = container.privacy_requests.get(done.request_id, now=next_at)
    assert request.result["receipt"]["mail"] == "sent"


def test_the_final_update_waits_for_the_receipt(container: Any, clock: Any) -> None:
    done = erased_while_ses_refuses(container, "jetkrate")
    with refusing(aws.ses(), "SendRawEmail", code="Throttling"):
        run(container, clock, NOW + 60)
    progress = container.subject_data.load_progress(done.request_id, now=NOW + 60)
    assert progress.final_update is None and progress.receipt["mail"] == "retrying"
    at = progress.receipt["mail_next_at"]
    run(container, clock, at)
    assert len(receipts(done.request_id)) == 1
    assert container.subject_data.load_progress(done.request_id, now=at).receipt["mail"] == "sent"


def test_a_receipt_refused_every_time_ends_failed_and_the_work_is_dropped(container: Any, clock: Any) -> None:
    done = erased_while_ses_refuses(container)
    at = NOW + 60
    with refusing(aws.ses(), "SendRawEmail", code="Throttling"):
        for _ in range(propagation.RECEIPT_MAX_ATTEMPTS):
            run(container, clock, at)
            receipt = container.subject_data.load_progress(done.request_id, now=at).receipt
            at = receipt.get("mail_next_at", at + 1)
    assert receipt["mail"] == "failed" and receipt["mail_attempts"] == propagation.RECEIPT_MAX_ATTEMPTS
    assert container.privacy_requests.get(done.request_id, now=at).result["receipt"]["mail"] == "failed"
    assert run(container, clock, at + 86_400) == {} and receipts(done.request_id) == []
