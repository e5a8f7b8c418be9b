"""Deliver the intake queue's messages to the `privacy_intake` function, as Lambda's SQS event source mapping does
(batch of 10, ReportBatchItemFailures: a message reported failed stays in the queue and comes back after its
visibility timeout; the others are deleted).  `chalice local` serves HTTP only, so `make serve` runs this loop
against the emulator, and the tests use `deliver` on in-process moto.

    python -m scripts.pump            (started by `make serve`; needs AWS_ENDPOINT_URL and the stage's environment)
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time
from collections.abc import Callable
from typing import Any

BATCH = 10
OVERRIDES_ENV = "SERVE_ENV_OVERRIDES"  # as scripts/serve.py sets it

Invoke = Callable[[dict[str, Any]], dict[str, Any]]


def sqs_event(messages: list[dict[str, Any]], queue_arn: str, region: str) -> dict[str, Any]:
    """The Lambda event of a batch (the documented SQS record shape)."""
    return {"Records": [{
        "messageId": m["MessageId"], "receiptHandle": m["ReceiptHandle"], "body": m["Body"],
        "attributes": m.get("Attributes", {}), "messageAttributes": {}, "md5OfBody": m.get("MD5OfBody", ""),
        "eventSource": "aws:sqs", "eventSourceARN": queue_arn, "awsRegion": region} for m in messages]}


def deliver(sqs: Any, queue_url: str, invoke: Invoke, *, wait_seconds: int = 0, max_batches: int = 100,
            retry_after: int | None = None) -> int:
    """Receive and deliver batches until the queue is empty (or `max_batches`); returns how many messages were
    delivered successfully (and deleted).  `retry_after`: make failed messages visible again after that many seconds
    instead of the queue's visibility timeout."""
    arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    region = arn.split(":")[3]
    delivered = 0
    for _ in range(max_batches):
        messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=BATCH, WaitTimeSeconds=wait_seconds,
                                       AttributeNames=["All"]).get("Messages", [])
        if not messages:
            return delivered
        result = invoke(sqs_event(messages, arn, region)) or {}
        failed = {f.get("itemIdentifier") for f in result.get("batchItemFailures", [])}
        done = [m for m in messages if m["MessageId"] not in failed]
        if done:
            sqs.delete_message_batch(QueueUrl=queue_url, Entries=[
                {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(done)])
        delivered += len(done)
        if failed and retry_after is not None:
            sqs.change_message_visibility_batch(QueueUrl=queue_url, Entries=[
                {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"], "VisibilityTimeout": retry_after}
                for i, m in enumerate(messages) if m["MessageId"] in failed])
        if failed and not done:
            return delivered  # only failures: they come back after their visibility timeout
    return delivered


def main() -> int:  # pragma: no cover - exercised by the e2e tests through `make serve`
    import boto3
    from chalice.test import Client

    from app import app

    stopping = {"now": False}
    signal.signal(signal.SIGTERM, lambda *_: stopping.update(now=True))
    signal.signal(signal.SIGINT, lambda *_: stopping.update(now=True))
    overrides = json.loads(os.environ.get(OVERRIDES_ENV) or "{}")  # the served URLs (links in mails)
    with Client(app, stage_name=os.environ.get("STAGE", "local")) as client:
        os.environ.update(overrides)  # chalice.test.Client has put .chalice/config.json over the environment
        from chalicelib.container import set_container
        from chalicelib.settings import get_settings

        get_settings.cache_clear()
        set_container(None)
        queue_url = get_settings().intake_queue_url
        sqs = boto3.client("sqs", endpoint_url=os.environ.get("AWS_ENDPOINT_URL"))

        def invoke(event: dict[str, Any]) -> dict[str, Any]:
            payload: dict[str, Any] = client.lambda_.invoke("privacy_intake", event).payload
            return payload

        print("pump: delivering the intake queue to privacy_intake", flush=True)
        while not stopping["now"]:
            try:
                deliver(sqs, queue_url, invoke, wait_seconds=1, retry_after=5)
            except Exception as error:  # the emulator restarting, say: try again shortly
                print(f"pump: {type(error).__name__}; retrying", file=sys.stderr, flush=True)
                time.sleep(1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
