"""The public request form against the served stack: the API answers after one enqueue, and `make serve`'s intake
pump (Lambda's SQS event source mapping, locally) delivers the queue to `privacy_intake`, which mails the
verification link, pointing at the served port."""

from __future__ import annotations

import json
import time
import urllib.request
import uuid
from typing import Any

import pytest

from scripts.serve import Stack

pytestmark = pytest.mark.e2e


def sent_to(served: Stack, address: str) -> list[dict[str, Any]]:
    with urllib.request.urlopen(served.mail_url, timeout=10) as response:
        data = json.loads(response.read())
    return [m for m in data.get("ses", {}).get("RawMessage", []) if address in json.dumps(m.get("destinations"))]


def test_a_guest_request_is_answered_at_once_and_its_link_mailed_by_the_intake_consumer(served: Stack) -> None:
    address = f"guest.{uuid.uuid4().hex[:10]}@example.org"
    request = urllib.request.Request(f"{served.api}/privacy-requests", method="POST",
                                     data=json.dumps({"email": address, "type": "access"}).encode(),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=20) as response:
        assert response.status == 202
    deadline = time.monotonic() + 30
    while not sent_to(served, address) and time.monotonic() < deadline:
        time.sleep(0.5)
    (mail,) = sent_to(served, address)
    assert f"{served.api}/privacy-requests/verify?token=" in mail["raw_data"]
