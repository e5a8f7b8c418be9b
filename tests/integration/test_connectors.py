"""The processors' connectors against fake servers on 127.0.0.1 that speak the documented protocols
(tests/fakes/processor_apis.py; shapes in tests/events/ga4 and tests/events/botpress): GA4's user deletion API
behind a real service-account token exchange (the assertion's signature verified), and Botpress' runtime API."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chalicelib.adapters.http_client import UrllibHttp
from chalicelib.adapters.processors import ErasureTarget, Outcome
from chalicelib.adapters.processors.botpress import BotpressConnector
from chalicelib.adapters.processors.ga4 import Ga4Connector
from tests.conftest import EVENTS
from tests.fakes.processor_apis import BOT_ID, BOTPRESS_TOKEN, service_account_key

TARGET = ErasureTarget("req1", "jana.mueller@example.org", "57", ("1234567890.1700000000",))
SHAPES = json.loads((EVENTS / "ga4" / "user_deletion_requests.json").read_text())


def ga4(fake: Any, *, identifier: str = "user_id", info: Any = "fake", property_id: str | None = None) -> Ga4Connector:
    return Ga4Connector(UrllibHttp(), api_base=fake.base, property_id=property_id or fake.property_id,
                        service_account=fake.service_account if info == "fake" else info, timeout=0.5,
                        identifier=identifier)


# -- GA4 ------------------------------------------------------------------------------------------------------------
def test_ga4_deletes_by_user_id_through_a_real_token_exchange(google_api: Any) -> None:
    result = ga4(google_api).erase(TARGET)
    assert result.outcome is Outcome.ACKNOWLEDGED and result.reference == "2026-12-02T12:00:00.000Z"
    [request] = google_api.deletions
    assert request == {**SHAPES["v3_upsert_request_body"], "id": {"type": "USER_ID", "userId": "57"}}
    assert google_api.token_requests == 1


def test_ga4_deletes_client_ids_when_the_policy_says_so(google_api: Any) -> None:
    result = ga4(google_api, identifier="client_id").erase(TARGET)
    assert result.outcome is Outcome.ACKNOWLEDGED
    assert [d["id"] for d in google_api.deletions] == [SHAPES["v3_upsert_request_body"]["id"]]


def test_ga4_reuses_its_token(google_api: Any) -> None:
    connector = ga4(google_api)
    assert connector.erase(TARGET).outcome is Outcome.ACKNOWLEDGED
    assert connector.erase(ErasureTarget("req2", None, "58")).outcome is Outcome.ACKNOWLEDGED
    assert google_api.token_requests == 1 and len(google_api.deletions) == 2


def test_ga4_with_a_key_the_token_endpoint_does_not_trust_fails(google_api: Any) -> None:
    stranger, _ = service_account_key(google_api.token_uri)  # same e-mail, another key: signature refused
    result = ga4(google_api, info=stranger).erase(TARGET)
    assert result.outcome is Outcome.FAILED and "token refused" in result.detail
    assert google_api.deletions == []


def test_ga4_answers_map_to_retry_and_failed(google_api: Any) -> None:
    for status, outcome in [(429, Outcome.RETRY), (503, Outcome.RETRY), (403, Outcome.FAILED),
                            (400, Outcome.FAILED)]:
        google_api.api_faults.fail_next = [status]
        result = ga4(google_api).erase(TARGET)
        assert result.outcome is outcome and str(status) in result.detail, status
    assert ga4(google_api, property_id="999").erase(TARGET).outcome is Outcome.FAILED  # wrong property: 403
    google_api.api_faults.garbage = True
    assert ga4(google_api).erase(TARGET).outcome is Outcome.FAILED


def test_ga4_timeouts_and_an_unreachable_token_endpoint_are_retried(google_api: Any) -> None:
    google_api.api_faults.slow = True
    assert ga4(google_api).erase(TARGET).outcome is Outcome.RETRY
    google_api.api_faults.slow = False
    info = {**google_api.service_account, "token_uri": "http://127.0.0.1:9/token"}  # nothing listens on port 9
    result = ga4(google_api, info=info).erase(TARGET)
    assert result.outcome is Outcome.RETRY and "unreachable" in result.detail


def test_a_busy_token_endpoint_is_one_quick_attempt(google_api: Any) -> None:
    import time

    google_api.token_faults.fail_next = [503, 503, 503]
    started = time.monotonic()
    result = ga4(google_api).erase(TARGET)
    assert result.outcome is Outcome.RETRY and google_api.token_requests == 1  # google-auth's own retries cut
    assert time.monotonic() - started < 0.9
    google_api.token_faults.fail_next = []
    assert ga4(google_api).erase(TARGET).outcome is Outcome.ACKNOWLEDGED


def test_a_token_uri_that_is_not_https_is_refused(google_api: Any) -> None:
    info = {**google_api.service_account, "token_uri": "http://attacker.example/token"}
    result = ga4(google_api, info=info).erase(TARGET)
    assert result.outcome is Outcome.FAILED and "https" in result.detail and google_api.token_requests == 0


def test_ga4_not_configured_or_nothing_to_name(google_api: Any) -> None:
    assert ga4(google_api, info=None).erase(TARGET).outcome is Outcome.FAILED
    assert ga4(google_api, info={"type": "nonsense"}).erase(TARGET).outcome is Outcome.FAILED
    nothing = ga4(google_api).erase(ErasureTarget("req3", "a@example.org"))
    assert nothing.outcome is Outcome.ACKNOWLEDGED and "no user_id held" in nothing.detail
    assert google_api.deletions == []


# any text, control characters, separators and non-BMP characters included (marked, so that finding it in a detail
# means it leaked)
hostile = st.text(st.characters(codec="utf-8"), max_size=300).map(lambda text: "id\u2603" + text)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=hostile)
def test_ga4_sends_any_identifier_as_valid_json_and_never_raises(google_api: Any, value: str) -> None:
    google_api.deletions.clear()
    result = ga4(google_api).erase(ErasureTarget("req", None, value))
    assert result.outcome is Outcome.ACKNOWLEDGED
    assert google_api.deletions[-1]["id"]["userId"] == value and value not in result.detail


# -- Botpress -------------------------------------------------------------------------------------------------------
def botpress(fake: Any, *, token: str = BOTPRESS_TOKEN, tag: str = "email") -> BotpressConnector:
    return BotpressConnector(UrllibHttp(), api_base=fake.base, bot_id=BOT_ID, token=token, user_tag=tag, timeout=0.5)


def seed(fake: Any) -> None:
    for n in range(3):  # three chat users of the person (paged: 2 a page), each with conversations
        fake.add_user(f"u{n}", {"email": TARGET.email or ""}, conversations=n + 1)
    fake.add_user("other", {"email": "someone.else@example.org"}, conversations=2)


def test_botpress_deletes_exactly_the_persons_users_and_conversations(botpress_api: Any) -> None:
    seed(botpress_api)
    result = botpress(botpress_api).erase(TARGET)
    assert result.outcome is Outcome.ACKNOWLEDGED
    assert result.detail == "deleted 3 chat user(s) and 6 conversation(s)"
    assert set(botpress_api.users) == {"other"}
    assert set(botpress_api.conversations) == {"other-c0", "other-c1"}
    assert any("nextToken" in params for _, _, params in botpress_api.seen)  # paging exercised


def test_botpress_rerun_after_a_failure_halfway_ends_the_same(botpress_api: Any) -> None:
    seed(botpress_api)
    connector = botpress(botpress_api)
    botpress_api.faults.fail_calls = {6}  # a deletion in the middle fails: then the erasure is run again
    assert connector.erase(TARGET).outcome is Outcome.RETRY
    assert botpress_api.users.keys() - {"other"}  # something was left
    assert connector.erase(TARGET).outcome is Outcome.ACKNOWLEDGED
    assert set(botpress_api.users) == {"other"} and set(botpress_api.conversations) == {"other-c0", "other-c1"}


def test_botpress_answers_map_to_outcomes(botpress_api: Any) -> None:
    seed(botpress_api)
    assert botpress(botpress_api, token="wrong-token").erase(TARGET).outcome is Outcome.FAILED  # 401
    botpress_api.faults.fail_next = [429]
    assert botpress(botpress_api).erase(TARGET).outcome is Outcome.RETRY
    botpress_api.faults.slow = True
    assert botpress(botpress_api).erase(TARGET).outcome is Outcome.RETRY
    botpress_api.faults.slow = False
    botpress_api.faults.garbage = True
    assert botpress(botpress_api).erase(TARGET).outcome is Outcome.FAILED
    botpress_api.faults.garbage = False
    assert botpress(botpress_api, token="").erase(TARGET).outcome is Outcome.FAILED  # not configured
    none = botpress(botpress_api).erase(ErasureTarget("r", "nobody@example.org"))
    assert (none.outcome, none.detail) == (Outcome.ACKNOWLEDGED, "no chat user found")


def test_botpress_by_customer_id_when_the_tag_says_so(botpress_api: Any) -> None:
    botpress_api.add_user("wc57", {"wc_customer_id": "57"})
    result = botpress(botpress_api, tag="wc_customer_id").erase(TARGET)
    assert result.outcome is Outcome.ACKNOWLEDGED and "wc57" not in botpress_api.users


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=hostile)
def test_botpress_encodes_any_identifier_exactly(botpress_api: Any, value: str) -> None:
    botpress_api.seen.clear()
    result = botpress(botpress_api).erase(ErasureTarget("r", value))
    assert result.outcome is Outcome.ACKNOWLEDGED and value not in result.detail
    [(_, path, params)] = botpress_api.seen
    assert path == "/v1/chat/users" and params["tags.email"] == [value]


def test_botpress_deletes_nothing_when_the_server_ignores_the_filter(botpress_api: Any) -> None:
    seed(botpress_api)
    botpress_api.ignore_filter = True
    result = botpress(botpress_api).erase(TARGET)
    assert result.outcome is Outcome.FAILED and "nothing deleted" in result.detail
    assert len(botpress_api.users) == 4 and len(botpress_api.conversations) == 8
