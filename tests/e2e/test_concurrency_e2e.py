"""Deliveries sent concurrently to the served stack: every acknowledged delivery is stored, none is lost or rolled
back, no 5xx (the local stack runs the patched emulator: emulator/moto_dynamodb.py)."""

from __future__ import annotations

import json
import random
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest

from scripts.serve import Stack
from tests.conftest import load_event
from tests.helpers import wc_signature

pytestmark = pytest.mark.e2e
ORDERS, DUPLICATE_SHARE, THREADS = 30, 0.2, 8
STATUSES = ("pending", "processing", "completed")  # one version each, modified a day apart
VERSIONS = len(STATUSES)


def deliver(served: Stack, body: bytes) -> tuple[int, str]:
    request = urllib.request.Request(f"{served.api}/webhooks/woocommerce", data=body, method="POST", headers={
        "Content-Type": "application/json", "X-WC-Webhook-Topic": "order.updated",
        "X-WC-Webhook-Signature": wc_signature(body)})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return int(response.status), json.loads(response.read())["status"]
    except urllib.error.HTTPError as error:
        return int(error.code), ""


def test_concurrent_deliveries_lose_nothing_and_roll_nothing_back(served: Stack) -> None:
    base = load_event("woocommerce/order.created.payload.json")
    rng = random.Random(9)
    first = rng.randrange(10**6, 10**7)
    deliveries: list[tuple[int, int, bytes]] = []
    for ident in range(first, first + ORDERS):
        for version in range(VERSIONS):
            order = {**base, "id": ident, "number": str(ident), "status": STATUSES[version],
                     "date_modified_gmt": f"2024-11-0{5 + version}T13:04:10"}
            deliveries.append((ident, version, json.dumps(order).encode()))
    deliveries += rng.sample(deliveries, int(len(deliveries) * DUPLICATE_SHARE))
    rng.shuffle(deliveries)
    with ThreadPoolExecutor(THREADS) as pool:
        answers = list(pool.map(lambda d: (d[0], d[1], *deliver(served, d[2])), deliveries))
    assert [a for a in answers if a[2] >= 500] == []
    assert all(status == 200 and outcome in ("accepted", "duplicate", "stale") for _, _, status, outcome in answers)
    ddb = served.client("dynamodb")
    for ident in range(first, first + ORDERS):
        acknowledged = max(version for i, version, _, outcome in answers if i == ident and outcome == "accepted")
        item = ddb.get_item(TableName=served.env["TABLE_NAME"], Key={"pk": {"S": f"ORDER#{ident}"},
                                                                      "sk": {"S": "ORDER"}}, ConsistentRead=True)
        stored = item["Item"]["data"]["M"]["date_modified_gmt"]["S"]
        assert stored >= f"2024-11-0{5 + acknowledged}T13:04:10", ident  # never older than what was acknowledged
        assert stored == f"2024-11-0{5 + VERSIONS - 1}T13:04:10", ident  # every version came: the newest won
