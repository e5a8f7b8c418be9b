"""schemathesis against GET /openapi.json on the served stack (moto server + chalice local), every operation.

Properties, per generated request:
- no 5xx (`not_a_server_error`);
- the answer matches the document: its status code is one the operation lists, its content type and body match
  what the document says for that status (`status_code_conformance`, `content_type_conformance`,
  `response_schema_conformance`), its documented headers are present (`response_headers_conformance`);
- a rejected request (4xx) changes nothing stored: both tables are scanned, every bucket listed (key, ETag), every
  queue's message counts and the emulator's count of sent mail read, before and after, and compared.

Relaxed, and why:
- `positive_data_acceptance` is off: a body valid by the schema is still refused for reasons no JSON Schema says
  (a webhook without a valid signature: 401; a one-time token that does not exist: 404; the per-IP limit: 429).
  Those refusals are documented status codes and checked by the properties above.
- both generation modes run: positive (valid by the document) and negative (not; operations without parameters
  or body have nothing to make invalid).  The same properties hold for both; `negative_data_rejection` itself
  (a 4xx for every invalid request) is off: query values are truncated, not refused
  (handlers/privacy_requests._query), and header parameters are free text.
- account and marketing routes get a valid credential (else every case would stop at the 401), the other
  credentials schemathesis generates are left as they are.

FAST (in `make test`, about a minute): 3 valid and 2 invalid requests per operation.  DEEP (`make load` runs it
after the load; `-m slow`, and only with FUZZ_PROFILE=deep, since `make test` runs the slow suites too): 40 + 40 per
operation, every phase (41 passed in 17 min 52 s on 2 workers, 2026-12-06:
`FUZZ_PROFILE=deep pytest -p no:randomly -m slow -n 2 --dist load tests/e2e/test_openapi_fuzz_e2e.py -k deep`).
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from typing import Any

import pytest

schemathesis = pytest.importorskip("schemathesis")
from hypothesis import HealthCheck, Phase, settings  # noqa: E402

from scripts.serve import Stack  # noqa: E402
from tests.helpers import account_token  # noqa: E402

pytestmark = pytest.mark.e2e

MARKETING_KEY = "local-dev-marketing-api-key-do-not-use-in-production"
FAST_EXAMPLES = {"positive": 3, "negative": 2}
DEEP_EXAMPLES = {"positive": 40, "negative": 40}


@pytest.fixture(scope="module")
def api_schema(served: Stack) -> Any:
    return schemathesis.openapi.from_url(f"{served.api}/openapi.json")


def _operations() -> list[tuple[str, str]]:
    """Every operation of the document, known at collection time (the app's own registry); the test fetches the
    served document.  (schemathesis' lazy pytest loader does not run under pytest 9, hence one item each.)"""
    import app  # noqa: F401  (registers every route)
    from chalicelib.handlers.openapi import document

    return [(path, method) for path, methods in document()["paths"].items() for method in methods]


OPERATIONS = _operations()


# 5xx answers accepted, and why: the served stack has no BitPay API to ask (the webhook fetches the invoice it
# names), so a well-formed IPN is answered with the documented 503 + Retry-After (BitPay retries).  Nothing else.
ALLOWED_5XX = {("/webhooks/bitpay", "POST"): "bitpay_unavailable"}


def _no_server_error(ctx: Any, response: Any, case: Any) -> bool | None:
    from schemathesis.checks import not_a_server_error

    if response.status_code == 503 and "retry-after" in response.headers:
        code = ALLOWED_5XX.get((case.operation.path, case.method.upper()))
        if code is not None and response.json().get("error") == code:
            return True
    return not_a_server_error(ctx, response, case)  # type: ignore[no-any-return]


def _checks() -> list[Any]:
    from schemathesis.specs.openapi.checks import (
        content_type_conformance,
        response_headers_conformance,
        response_schema_conformance,
        status_code_conformance,
    )

    return [_no_server_error, status_code_conformance, content_type_conformance, response_schema_conformance,
            response_headers_conformance]


@dataclass
class Emulator:
    """boto3 clients on the served stack's emulator, made once (a client costs more than the scan)."""

    served: Stack
    dynamodb: Any = None
    sqs: Any = None
    s3: Any = None
    ses: Any = None

    def __post_init__(self) -> None:
        self.dynamodb = self.served.client("dynamodb")
        self.sqs = self.served.client("sqs")
        self.s3 = self.served.client("s3")
        self.ses = self.served.client("ses")


@pytest.fixture(scope="module")
def emulator(served: Stack) -> Emulator:
    emulator = Emulator(served)
    _intake_settled(emulator, timeout=30.0)  # what earlier e2e modules on this worker left for the consumer
    _LAST_SEEN.clear()
    return emulator


def _stored(emulator: Emulator) -> dict[str, Any]:
    """Everything a request could leave behind: both tables' items, every bucket's objects, every queue's message
    counts (visible, in flight, delayed) and how many mails the emulator's SES has sent."""
    items: list[Any] = []
    for table in (emulator.served.env["TABLE_NAME"], emulator.served.env["KEYS_TABLE_NAME"]):
        for page in emulator.dynamodb.get_paginator("scan").paginate(TableName=table, ConsistentRead=True):
            items.extend(page["Items"])
    objects: list[tuple[str, str, str]] = []
    for bucket in emulator.s3.list_buckets()["Buckets"]:
        for page in emulator.s3.get_paginator("list_objects_v2").paginate(Bucket=bucket["Name"]):
            objects += [(bucket["Name"], entry["Key"], entry["ETag"]) for entry in page.get("Contents", [])]
    counts = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible",
              "ApproximateNumberOfMessagesDelayed"]
    queues = {url: emulator.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=counts)["Attributes"]
              for url in emulator.sqs.list_queues().get("QueueUrls", [])}
    sent = emulator.ses.get_send_quota()["SentLast24Hours"]
    return {"items": sorted(items, key=repr), "objects": sorted(objects), "queues": queues, "mail_sent": sent}


def _intake_settled(emulator: Emulator, timeout: float = 10.0) -> None:
    """The intake consumer (scripts/pump.py) writes after an accepted guest request: wait until it is done, so
    that only the request under test can change the tables."""
    sqs = emulator.sqs
    url = emulator.served.env["INTAKE_QUEUE_URL"]
    names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=names)["Attributes"]
        if all(attributes.get(name) == "0" for name in names):
            return
        time.sleep(0.1)


def _credentials(case: Any) -> dict[str, str]:
    security = case.operation.definition.raw.get("security") or []
    names = {name for requirement in security for name in requirement}
    if "accountJwt" in names:
        return {"Authorization": f"Bearer {account_token('fuzz-1', 'fuzz.one@example.org')}"}
    if "marketingApiKey" in names:
        return {"Authorization": f"Bearer {MARKETING_KEY}"}
    return {}


_PENDING_INTAKE: list[bool] = []  # an accepted guest request: the consumer may still be writing
# What is stored after the last rejected request, checked unchanged: the next case starts from it without taking it
# again (one snapshot per case instead of two; any other answer may have changed something, and clears it).
_LAST_SEEN: list[dict[str, Any]] = []


def _run(case: Any, emulator: Emulator) -> None:
    if _PENDING_INTAKE:
        _intake_settled(emulator)
        _PENDING_INTAKE.clear()
    before = _LAST_SEEN.pop() if _LAST_SEEN else _stored(emulator)
    response = case.call(headers=_credentials(case), timeout=30)
    if response.status_code < 300 and case.operation.path == "/privacy-requests":
        _PENDING_INTAKE.append(True)
    case.validate_response(response, checks=_checks())
    if 400 <= response.status_code < 500:
        after = _stored(emulator)
        changed = [part for part in before if after[part] != before[part]]
        assert not changed, f"{case.method} {case.path} answered {response.status_code} but changed {changed}"
        _LAST_SEEN.append(after)


COMMON = {"deadline": None, "derandomize": True, "database": None,
          "suppress_health_check": list(HealthCheck)}


def _fuzz(api_schema: Any, emulator: Emulator, path: str, method: str, examples: dict[str, int],
          **options: Any) -> None:
    """`examples`: how many cases of each generation mode (positive: valid by the document; negative: not)."""
    from hypothesis import given
    from schemathesis import GenerationMode

    operation = api_schema[path][method]
    raw = operation.definition.raw
    for mode, count in examples.items():
        if mode == "negative" and not raw.get("parameters") and "requestBody" not in raw:
            continue  # nothing to make invalid

        @settings(**COMMON, max_examples=count, **options)
        @given(case=operation.as_strategy(generation_mode=GenerationMode(mode)))
        def run(case: Any) -> None:
            _run(case, emulator)

        run()


@pytest.mark.parametrize(("path", "method"), OPERATIONS)
def test_every_operation_fast(api_schema: Any, emulator: Emulator, path: str, method: str) -> None:
    _fuzz(api_schema, emulator, path, method, FAST_EXAMPLES, phases=[Phase.explicit, Phase.generate])


@pytest.mark.slow
@pytest.mark.skipif(os.environ.get("FUZZ_PROFILE") != "deep",
                    reason="the deep profile takes about 18 minutes on 2 workers: `make load`, or "
                           "FUZZ_PROFILE=deep pytest -m slow this file")
@pytest.mark.parametrize(("path", "method"), OPERATIONS)
def test_every_operation_deep(api_schema: Any, emulator: Emulator, path: str, method: str) -> None:
    _fuzz(api_schema, emulator, path, method, DEEP_EXAMPLES)
