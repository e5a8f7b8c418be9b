"""Batched erasure requests mailed to a processor's privacy address (the `email:<address>` erasure channel).

    pk "PROCBATCH#<reference>"  sk "BATCH"   data {processor, address, requests, sent_at, message_id}

The reference (`ERB-` and 16 hex digits) is in the mail's subject and body; when the processor replies, the privacy@
ingestion finds the batch by it and marks each request's processor acknowledged.  Kept as long as privacy requests
(proof that the processor was told); it holds request ids only, never the people's addresses.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from chalicelib.domain.retention import Category, RetentionPolicy
from chalicelib.storage.subject_items import retention_attributes
from chalicelib.storage.table import DynamoTable

BATCH_SK = "BATCH"


@dataclass(frozen=True)
class ProcessorBatch:
    reference: str
    processor: str  # the recipient's key in the store's policy
    address: str  # the processor's privacy address (from the policy: not personal data)
    requests: tuple[str, ...]
    sent_at: int
    message_id: str = ""
    acknowledged_at: int = 0


class ProcessorBatches(Protocol):
    def save(self, batch: ProcessorBatch) -> None: ...

    def get(self, reference: str, *, now: int) -> ProcessorBatch | None: ...


def batch_pk(reference: str) -> str:
    return f"PROCBATCH#{reference}"


class DynamoProcessorBatches:
    def __init__(self, table: DynamoTable, policy: RetentionPolicy) -> None:
        self.table = table
        self.policy = policy

    def save(self, batch: ProcessorBatch) -> None:
        pk = batch_pk(batch.reference)
        self.table.put({"pk": pk, "sk": BATCH_SK,
                        **retention_attributes(self.policy, Category.PRIVACY_REQUEST, batch.sent_at, pk, BATCH_SK),
                        "data": {"processor": batch.processor, "address": batch.address,
                                 "requests": list(batch.requests), "sent_at": batch.sent_at,
                                 "message_id": batch.message_id, "acknowledged_at": batch.acknowledged_at},
                        "created_at": batch.sent_at, "updated_at": batch.sent_at})

    def get(self, reference: str, *, now: int) -> ProcessorBatch | None:
        item = self.table.get(batch_pk(reference), BATCH_SK, now=now)
        if not item:
            return None
        data = dict(item["data"])
        return ProcessorBatch(reference, str(data["processor"]), str(data["address"]),
                              tuple(str(r) for r in data["requests"]), int(data["sent_at"]),
                              str(data.get("message_id", "")), int(data.get("acknowledged_at", 0)))
