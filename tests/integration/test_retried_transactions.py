"""A transaction botocore retries after its answer was lost (a timeout) is idempotent: every TransactWriteItems
carries a ClientRequestToken (botocore fills one in; DynamoDBTable.transact sets a fresh one per logical attempt, so
its own conflict retries are new transactions), and DynamoDB answers a repeat of a committed token with success
without applying it again.  moto ignored the token, so on the local stack the retry of a committed guest request was
cancelled by its own first run: a 409 and no mail.  The emulator patch (emulator/moto_dynamodb.py, tested in
tests/emulator/test_client_request_token.py) honours it; this is the application's side of it."""

from __future__ import annotations

from typing import Any

from chalicelib import aws
from chalicelib.services import privacy_requests as service
from tests.conftest import NOW


class LostAnswer:
    """botocore's `needs-retry` hook: the first TransactWriteItems that succeeds is retried, as when its answer is
    lost on the way back (DynamoDB committed it)."""

    def __init__(self) -> None:
        self.retried = 0

    def __call__(self, response: Any = None, attempts: int = 1, **_: Any) -> float | None:
        status = response[0].status_code if response and response[0] is not None else None
        if status == 200 and attempts == 1 and not self.retried:
            self.retried += 1
            return 0.0  # retry at once, with the same parameters (and token)
        return None


def test_a_retried_committed_transaction_is_not_a_conflict(container: Any, table_items: Any) -> None:
    lost = LostAnswer()
    aws.dynamodb().meta.events.register_first("needs-retry.dynamodb.TransactWriteItems", lost)
    submitted = service.submit_request(container, email="jana.mueller@example.org", request_type="access",
                                       channel="account", received_at=NOW, needs_verification=False,
                                       customer_id="57")
    assert lost.retried == 1
    requests = [item for item in table_items() if item.get("kind") == "request"]
    assert [item["data"]["request_id"] for item in requests] == [submitted.request_id]
    assert len(service.audit_trail(container, submitted.request_id, now=NOW)) == 1  # applied once
