"""The intake queue's consumer (`privacy_intake`): per-address work of the public request form.

A plain Lambda function (like the mail Lambda): the queue is a stack resource whose name differs per stage, so its
event source mapping (SQS, batch of 10, ReportBatchItemFailures) is wired in the packaging (infra/package.py).
Locally, `make serve` runs the same function on the emulator's queue.  A record that fails for a reason worth
retrying is reported in `batchItemFailures` (only it comes back); a record that can never be valid is dropped.
"""

from __future__ import annotations

from typing import Any

from chalice.app import Blueprint

from chalicelib.observability import logger

bp = Blueprint(__name__)


@bp.lambda_function(name="privacy_intake")
def privacy_intake(event: dict[str, Any], context: Any) -> dict[str, Any]:
    from chalicelib.container import get_container
    from chalicelib.payloads.intake import records_of
    from chalicelib.services.request_intake import process_intake

    failures: list[dict[str, str]] = []
    for record in records_of(event):
        if isinstance(record, str):
            logger.warning("intake record unreadable: dropped", extra={"message_id": record[:128]})
            continue
        try:
            process_intake(get_container(), record.message_id, record.body)
        except Exception as error:  # retried by SQS (then the dead-letter queue)
            logger.warning("intake record failed", extra={"message_id": record.message_id,
                                                          "error_type": type(error).__name__})
            failures.append({"itemIdentifier": record.message_id})
    return {"batchItemFailures": failures}
