"""The privacy-request intake queue (SQS, encrypted with the service's KMS key).

The public request form answers after one enqueue, whatever the address: the per-address work (quota, erased
subjects, the request itself, the verification mail) runs in the queue's consumer (`privacy_intake`), so the answer
cannot tell whether an address is known.  Messages hold an e-mail address: the queue keeps them one day at most,
the dead-letter queue four days (infra/template.json).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, Protocol


class IntakeQueue(Protocol):
    def send(self, message: dict[str, Any]) -> str:
        """Enqueue one message; returns its id."""
        ...


class SqsIntakeQueue:
    def __init__(self, client: Callable[[], Any], queue_url: str) -> None:
        self._client = client
        self.queue_url = queue_url

    def send(self, message: dict[str, Any]) -> str:
        from botocore.exceptions import BotoCoreError, ClientError

        from chalicelib.errors import StorageUnavailableError

        try:
            response = self._client().send_message(QueueUrl=self.queue_url,
                                                   MessageBody=json.dumps(message, separators=(",", ":")))
        except (ClientError, BotoCoreError) as error:
            raise StorageUnavailableError(f"queue unavailable: {type(error).__name__}") from None
        return str(response["MessageId"])
