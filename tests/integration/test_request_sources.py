"""One request per source (issue 13): a mail, a queue message or a letter's reference makes at most one request,
whatever crashes or runs concurrently (moto in-process, patched by `emulator` for threads)."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from chalicelib.services import privacy_requests as service
from tests.conftest import NOW
from tests.fakes.inbound_mail import body_of, deliver, requests_of, sent_mail

THREADS = 8


def requests_stored(table_items: Any) -> list[dict[str, Any]]:
    return [item for item in table_items() if item["pk"].startswith("REQ#") and item["sk"] == "REQUEST"]


def test_the_same_source_twice_returns_the_first_request_and_the_same_link(container: Any,
                                                                          table_items: Any) -> None:
    first = service.submit_request(container, email="ann@example.com", request_type="deletion", channel="email",
                                   received_at=NOW, needs_verification=True, source_ref="m-1")
    before = table_items()
    again = service.submit_request(container, email="ann@example.com", request_type="deletion", channel="email",
                                   received_at=NOW + 60, needs_verification=True, source_ref="m-1")
    assert again.existing and not first.existing
    assert (again.request_id, again.verification_url, again.due_at) == (
        first.request_id, first.verification_url, first.due_at)
    assert table_items() == before  # nothing written


def test_concurrent_submissions_of_one_source_make_exactly_one_request(container: Any, table_items: Any) -> None:
    container.privacy_requests, container.vault  # noqa: B018  built before the threads share them
    addresses = [f"person{n}@example.com" for n in range(THREADS // 2)] * 2  # new subjects race for keys too

    def submit(address: str) -> Any:
        return service.submit_request(container, email=address, request_type="access", channel="letter",
                                      received_at=NOW, needs_verification=False, source_ref="LTR-2026-0042")

    with ThreadPoolExecutor(THREADS) as pool:
        results = list(pool.map(submit, addresses))
    stored = requests_stored(table_items)
    assert len(stored) == 1
    assert {result.request_id for result in results} == {stored[0]["data"]["request_id"]}
    assert sum(not result.existing for result in results) == 1
    markers = [item for item in table_items() if item["pk"].startswith("SOURCE#")]
    assert len(markers) == 1 and markers[0]["request_id"] == stored[0]["data"]["request_id"]
    assert "LTR" not in markers[0]["pk"] and re.fullmatch(r"SOURCE#[0-9a-f]{64}", markers[0]["pk"])
    assert len([item for item in table_items() if item["sk"].startswith("AUDIT#")]) == 1


class CrashBeforeReplying:
    """The mail store, crashing once between the request's creation and the reply's record (the narrow window)."""

    def __init__(self, real: Any) -> None:
        self.real, self.crashed = real, False

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)

    def advance(self, *args: Any, **kwargs: Any) -> bool:
        if kwargs.get("to_state") == "replying" and not self.crashed:
            self.crashed = True
            raise RuntimeError("injected crash")
        return bool(self.real.advance(*args, **kwargs))


def test_a_mail_retried_after_a_crash_makes_one_request_and_one_reply_whose_link_works(container: Any) -> None:
    crashing = CrashBeforeReplying(container.mail_store)
    container.override(mail_store=crashing)
    with pytest.raises(RuntimeError, match="injected crash"):
        deliver(container, "plain-deletion-en.eml", "crash0000001")
    assert crashing.crashed and sent_mail() == []
    assert len(requests_of(container, "jana.mueller@example.org")) == 1
    result = deliver(container, "plain-deletion-en.eml", "crash0000001")  # SNS delivers it again
    assert result.outcome == "answered"
    (request,) = requests_of(container, "jana.mueller@example.org")
    assert result.request_id == request["data"]["request_id"]
    (reply,) = sent_mail()
    token = re.search(r"verify\?token=(\S+)", body_of(reply))
    assert token is not None
    verified = service.verify_request(container, token=token.group(1), now=NOW)
    assert verified.request_id == result.request_id
