"""A replay of N shuffled deliveries (WooCommerce orders with their updates, Airwallex events) with 20% duplicates
and 5% of the deliveries hit by injected throttling on one of their DynamoDB calls: the sender retries what was
answered 503 (later, at the end of its queue), and the table ends in exactly the expected state -- every order
once at its newest version, every Airwallex object once, nothing else of theirs.  N = 300 here; N = 10 000 in the
`slow` variant."""

from __future__ import annotations

import json
import random
from collections import Counter, deque
from typing import Any

import pytest

from chalicelib.signatures.airwallex import sign
from tests.conftest import EVENTS, NOW
from tests.faults import harness
from tests.helpers import wc_signature

AW_SECRET = "local-dev-airwallex-webhook-secret-not-real"
T0 = 1_900_000_000


def deliveries(n: int, rng: random.Random) -> tuple[list[tuple[str, bytes, str]], dict[str, int], set[str]]:
    """n distinct deliveries: (kind, body, topic); the newest version of each order; the Airwallex objects."""
    order = json.loads((EVENTS / "woocommerce" / "order.created.payload.json").read_text())
    intent = json.loads((EVENTS / "airwallex" / "payment_intent.succeeded.json").read_text())
    versions: dict[str, int] = {}
    intents: set[str] = set()
    out: list[tuple[str, bytes, str]] = []
    while len(out) < n:
        if rng.random() < 0.75:
            order_id = 8_000_000 + rng.randrange(max(1, n // 3))
            version = versions.get(str(order_id), -1) + 1
            versions[str(order_id)] = version
            stamp = f"2030-03-{1 + version // 86_400:02d}T{version // 3600 % 24:02d}:{version // 60 % 60:02d}:" \
                    f"{version % 60:02d}"
            body = json.dumps({**order, "id": order_id, "date_modified": stamp, "date_modified_gmt": stamp,
                               "status": "processing" if version == 0 else "completed",
                               "billing": {**order["billing"], "email": f"replay.{order_id}@example.org"}}).encode()
            out.append(("order", body, "order.created" if version == 0 else "order.updated"))
        else:
            number = len(intents)
            event = json.loads(json.dumps(intent))
            event["id"], event["data"]["object"]["id"] = f"evt_replay{number:07d}", f"int_replay{number:07d}"
            intents.add(f"int_replay{number:07d}")
            out.append(("airwallex", json.dumps(event).encode(), ""))
    return out, versions, intents


def post(client: Any, kind: str, body: bytes, topic: str) -> Any:
    if kind == "order":
        return client.http.post("/webhooks/woocommerce", body=body, headers={
            "Content-Type": "application/json", "X-WC-Webhook-Topic": topic,
            "X-WC-Webhook-Signature": wc_signature(body)})
    timestamp = str(NOW * 1000)
    return client.http.post("/webhooks/airwallex", body=body, headers={
        "Content-Type": "application/json", "x-timestamp": timestamp, "x-signature": sign(timestamp, body, AW_SECRET)})


def replay(client: Any, table_items: Any, n: int, seed: int) -> Counter[str]:
    rng = random.Random(seed)
    distinct, versions, intents = deliveries(n, rng)
    queue = distinct + [rng.choice(distinct) for _ in range(n // 5)]  # 20% duplicates
    rng.shuffle(queue)
    pending = deque(queue)
    answers: Counter[str] = Counter()
    while pending:
        kind, body, topic = pending.popleft()
        if rng.random() < 0.05:  # 5%: throttling on one of the delivery's DynamoDB calls
            with harness.failing_call("dynamodb", rng.randint(1, 3), "ProvisionedThroughputExceededException"):
                response = post(client, kind, body, topic)
        else:
            response = post(client, kind, body, topic)
        if response.status_code == 503:
            assert int(response.headers["Retry-After"]) >= 1
            pending.append((kind, body, topic))  # the sender retries later
            answers["503"] += 1
            continue
        assert response.status_code == 200, response.body
        answers[json.loads(response.body)["status"]] += 1
    orders = {str(i["pk"]).removeprefix("ORDER#"): i for i in table_items() if str(i["pk"]).startswith("ORDER#")}
    objects = [str(i["pk"]).rsplit("#", 1)[1] for i in table_items() if str(i["pk"]).startswith("AIRWALLEX#")]
    assert set(orders) == set(versions)
    for order_id, item in orders.items():
        assert int(str(item["rev"]).split(".", 1)[0]) == 1_898_553_600 + versions[order_id]  # 2030-03-01 + v s
    assert Counter(objects) == Counter(dict.fromkeys(intents, 1))
    assert answers["503"] > 0, answers  # the faults did happen
    assert sum(answers.values()) == len(queue) + answers["503"], answers  # every delivery answered, 503s retried
    assert answers["duplicate"] + answers.get("stale", 0) >= n // 5, answers  # every copy recognised
    return answers


def test_a_replay_of_300_shuffled_deliveries_ends_in_the_expected_state(client: Any, table_items: Any) -> None:
    answers = replay(client, table_items, 300, seed=15)
    assert answers["accepted"] > 0


@pytest.mark.slow
def test_a_replay_of_10000_shuffled_deliveries_ends_in_the_expected_state(client: Any, table_items: Any,
                                                                          request: pytest.FixtureRequest) -> None:
    selected = str(request.config.getoption("markexpr") or "")
    if "slow" not in selected or "not slow" in selected:  # `make test` runs every marker: not this one
        pytest.skip("10 000 deliveries take minutes: run `pytest -m slow tests/faults/test_replay.py`")
    answers = replay(client, table_items, 10_000, seed=1015)
    assert answers["accepted"] > 0
