"""Enumeration on the guest routes, by content and by the work done: `POST /privacy-requests` answers the same bytes
after the same AWS calls for an address we hold data about, one we never saw, and one we erased (the per-address
work runs later, in the intake queue's consumer).  The same AWS calls in the same order is what makes the timing
uniform; a coarse timing check guards against a path that would still differ."""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from tests.conftest import NOW
from tests.fakes.rate_limits import InMemoryRateLimits
from tests.fakes.subjects import seed_subject

JSON = {"Content-Type": "application/json"}
KNOWN, UNKNOWN, ERASED = "jana.mueller@example.org", "nobody.here@example.org", "gone.away@example.org"


@contextmanager
def recording() -> Iterator[list[tuple[str, str]]]:
    """(service, operation) of every AWS call the app's clients make in the block (botocore event hooks)."""
    from chalicelib import aws

    calls: list[tuple[str, str]] = []
    hooks = []
    for service in ("dynamodb", "kms", "s3", "ses", "sqs", "sns"):
        made = aws.client(service)

        def hook(model: Any = None, _service: str = service, **_: Any) -> None:
            calls.append((_service, model.name))

        event = f"before-call.{made.meta.service_model.endpoint_prefix}"
        made.meta.events.register(event, hook)
        hooks.append((made, event, hook))
    try:
        yield calls
    finally:
        for made, event, hook in hooks:
            made.meta.events.unregister(event, hook)


@pytest.fixture
def addresses(container: Any) -> dict[str, str]:
    from chalicelib.storage.subject_keys import SUPPRESSED_SK, subject_pk

    seed_subject(container, KNOWN)
    erased = container.subject_for_email(ERASED)
    container.keys_table.put({"pk": subject_pk(erased), "sk": SUPPRESSED_SK, "suppressed_at": NOW,
                              "expires_at": NOW + 3650 * 86400})
    return {"known": KNOWN, "unknown": UNKNOWN, "erased": ERASED}


def ask(client: Any, container: Any, email: str, kind: str = "deletion") -> tuple[int, bytes, list[Any], float]:
    container.override(rate_limits=InMemoryRateLimits())  # a fresh per-IP quota: only the address differs
    with recording() as calls:
        started = time.perf_counter()
        response = client.http.post("/privacy-requests", headers=JSON, body=json.dumps({"email": email,
                                                                                        "type": kind}))
        elapsed = time.perf_counter() - started
    return response.status_code, response.body, list(calls), elapsed


@pytest.mark.parametrize("kind", ["access", "deletion", "restriction"])
def test_known_unknown_and_erased_addresses_get_the_same_answer_after_the_same_calls(
        client: Any, container: Any, addresses: dict[str, str], kind: str) -> None:
    answers = {name: ask(client, container, email, kind) for name, email in addresses.items()}
    statuses = {name: answer[0] for name, answer in answers.items()}
    bodies = {name: answer[1] for name, answer in answers.items()}
    calls = {name: answer[2] for name, answer in answers.items()}
    assert set(statuses.values()) == {202}
    assert len(set(bodies.values())) == 1, bodies
    assert calls["known"] == calls["unknown"] == calls["erased"] and calls["known"], calls


def test_the_time_taken_does_not_tell_the_addresses_apart(client: Any, container: Any,
                                                         addresses: dict[str, str]) -> None:
    times: dict[str, list[float]] = {name: [] for name in addresses}
    for _ in range(15):
        for name, email in addresses.items():
            times[name].append(ask(client, container, email)[3])
    medians = {name: statistics.median(values) for name, values in times.items()}
    # the same calls (above) make the same time; a factor of 3 only catches a path that does real extra work
    assert max(medians.values()) < 3 * min(medians.values()), medians
