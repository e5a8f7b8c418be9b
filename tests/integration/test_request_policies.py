"""Privacy requests under each store's policy (moto): the regime and deadline of a billing address, the
acknowledgement's deadline, signature and languages, the policy version a request keeps, and request types a
store does not offer (refused through every channel, nothing stored)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from chalicelib.domain.retention import DAY
from chalicelib.errors import InvalidInputError
from chalicelib.services import privacy_requests as service
from tests.conftest import NOW, ROOT
from tests.fakes.inbound_mail import body_of, deliver, requests_of, sent_mail
from tests.fakes.subjects import seed_subject
from tests.helpers import POLICIES, account_token, bearer, drain_intake, store_policy

MONTH = 30 * DAY  # 2026-11-23 + one calendar month = 2026-12-23

# billing address -> (country, state)
PLACES = {"EEA": ("DE", ""), "UK": ("GB", ""), "California": ("US", "CA"), "Brazil": ("BR", "")}

# store -> billing address -> (regime, days to the deadline); jetcards does not serve the CCPA: the strictest
EXPECTED: dict[str, dict[str, tuple[str, int]]] = {
    "jetcards": {"EEA": ("gdpr", MONTH), "UK": ("uk_gdpr", MONTH), "California": ("strictest", MONTH),
                 "Brazil": ("strictest", MONTH)},
    "jetkrate": {"EEA": ("gdpr", MONTH), "UK": ("uk_gdpr", MONTH), "California": ("ccpa", 45 * DAY),
                 "Brazil": ("strictest", MONTH)},
    "jetrack": {"EEA": ("gdpr", MONTH), "UK": ("uk_gdpr", MONTH), "California": ("ccpa", 45 * DAY),
                "Brazil": ("strictest", MONTH)},
}

# regime -> what the mail says of its deadline
DEADLINE_TEXT = {
    "gdpr": "(one month, GDPR Art. 12(3))",
    "uk_gdpr": "(one month, UK GDPR Art. 12(3))",
    "ccpa": "(45 days, CCPA, Cal. Civ. Code § 1798.130(a)(2))",
    "strictest": "(the earlier of one month (GDPR Art. 12(3)) and 45 days (CCPA, Cal. Civ. Code § 1798.130(a)(2)))",
}
DATES = {MONTH: "23 December 2026", 45 * DAY: "07 January 2027"}

SENDER = "jana.mueller@example.org"  # the sender of plain-deletion-en.eml


@pytest.fixture(params=POLICIES)
def store(request: pytest.FixtureRequest, container: Any) -> str:
    """The container with one of the three stores' policies."""
    container.override(store_policy=store_policy(request.param))
    return str(request.param)


@pytest.mark.parametrize("place", sorted(PLACES))
def test_regime_deadline_and_policy_version_of_a_request(store: str, place: str, container: Any,
                                                         table_items: Any) -> None:
    country, state = PLACES[place]
    seed_subject(container, SENDER, country=country, state=state, customer_id="90")
    submitted = service.submit_request(container, email=SENDER, request_type="access", channel="account",
                                       received_at=NOW, needs_verification=False, customer_id="90")
    request = service.get_request(container, submitted.request_id, now=NOW)
    regime, days = EXPECTED[store][place]
    assert (request.regime.value, request.due_at) == (regime, NOW + days)
    version = store_policy(store).policy.version
    assert request.policy_version == version
    assert service.describe(request, now=NOW)["policy_version"] == version
    (stored,) = [item for item in table_items() if item["pk"] == f"REQ#{request.request_id}"
                 and item["sk"] == "REQUEST"]
    assert stored["data"]["policy_version"] == version and stored["data"]["regime"] == regime


@pytest.mark.parametrize("place", sorted(PLACES))
def test_acknowledgement_states_the_deadline_of_the_senders_regime(store: str, place: str,
                                                                   container: Any) -> None:
    country, state = PLACES[place]
    seed_subject(container, SENDER, country=country, state=state, customer_id="91")
    result = deliver(container, "plain-deletion-en.eml", "mpol0000001")
    (reply,) = sent_mail()
    text = body_of(reply)
    regime, days = EXPECTED[store][place]
    assert f"by {DATES[days]} {DEADLINE_TEXT[regime]} at the latest" in text
    assert result.request_id in text
    policy = store_policy(store)
    assert policy.controller.display_name in text and policy.controller.contacts.privacy in text
    for other in set(POLICIES) - {store}:  # no other store's name or contact
        assert store_policy(other).controller.contacts.privacy not in text
    if regime != "uk_gdpr":
        assert "UK GDPR" not in text


def test_extension_notice_states_the_extended_deadline_of_the_regime(container: Any) -> None:
    from tests.fakes.subjects import mail_text
    from tests.fakes.subjects import sent_mail as sent

    container.override(store_policy=store_policy("jetkrate"))
    seed_subject(container, SENDER, country="US", state="CA", customer_id="92")
    submitted = service.submit_request(container, email=SENDER, request_type="correction", channel="account",
                                       received_at=NOW, needs_verification=False, customer_id="92")
    service.extend_request(container, request_id=submitted.request_id, reason="many records", actor="operator:o",
                           now=NOW + DAY)
    (notice,) = [m for m in sent() if m["Subject"] == "We need more time for your privacy request"]
    text = mail_text(notice)
    assert "New deadline: 21 February 2027 (45 days extended by 45 further days, CCPA" in text
    assert "Jetkrate" in text and "privacy@jetkrate.com" in text


@pytest.mark.parametrize(("name", "german"), [("jetcards", True), ("jetrack", False)])
def test_replies_are_written_in_the_languages_the_store_lists(container: Any, name: str, german: bool) -> None:
    container.override(store_policy=store_policy(name))
    deliver(container, "multipart-access-de.eml", "mpol0000002")
    deliver(container, "other-question.eml", "mpol0000003")
    acknowledgement, help_reply = (body_of(m) for m in sent_mail())
    assert acknowledgement.startswith("Wir haben Ihre") is german
    assert ("German (Deutsch)" in help_reply) is german
    assert "You can write in English" in help_reply


# -- a fourth store, which offers neither corrections nor deletions -------------------------------------------------
def fourth_policy() -> Any:
    from chalicelib.policy import parse_policy

    text = (ROOT / "policies" / "jetrack.toml").read_text(encoding="utf-8")
    offered = ('offered = ["access", "rectification", "erasure", "portability", "objection", "restriction", "know", '
               '"delete", "opt_out", "non_discrimination", "complaint"]')
    served = 'served = ["gdpr", "uk_gdpr", "ccpa"]'
    assert offered in text and served in text
    text = text.replace(offered, 'offered = ["access", "portability", "objection", "opt_out", "complaint"]')
    text = text.replace(served, 'served = ["gdpr", "uk_gdpr"]')  # the CCPA would require "delete"
    text = text.replace('version = "2025-12-21"', 'version = "fourth-1"')
    return parse_policy(text, "fourth.toml")


@pytest.fixture
def fourth(container: Any) -> Any:
    container.override(store_policy=fourth_policy())
    return container


def stored_requests(table_items: Any) -> list[dict[str, Any]]:
    return [item for item in table_items() if str(item["pk"]).startswith("REQ#")]


@pytest.mark.parametrize("kind", ["correction", "deletion"])
def test_a_type_not_offered_is_refused_by_the_service_and_nothing_is_stored(fourth: Any, table_items: Any,
                                                                             kind: str) -> None:
    with pytest.raises(InvalidInputError) as refused:
        service.submit_request(fourth, email=SENDER, request_type=kind, channel="web", received_at=NOW,
                               needs_verification=True)
    assert refused.value.field == "type" and "does not offer" in refused.value.message
    assert stored_requests(table_items) == []
    assert [kind.value for kind in service.offered_types(fourth)] == ["access", "opt_out", "objection"]


def test_a_type_not_offered_is_refused_on_the_web_form_and_nothing_is_queued(fourth: Any, client: Any,
                                                                              table_items: Any) -> None:
    answer = client.http.post("/privacy-requests", headers={"Content-Type": "application/json"},
                              body=json.dumps({"email": SENDER, "type": "correction"}))
    assert answer.status_code == 400
    assert json.loads(answer.body)["field"] == "type"
    assert drain_intake(client) == 0
    assert stored_requests(table_items) == [] and sent_mail() == []
    offered = client.http.post("/privacy-requests", headers={"Content-Type": "application/json"},
                               body=json.dumps({"email": SENDER, "type": "access"}))
    assert offered.status_code == 202 and drain_intake(client) == 1


def test_a_type_not_offered_is_refused_on_the_account_and_nothing_is_stored(fourth: Any, client: Any,
                                                                             table_items: Any) -> None:
    headers = {**bearer(account_token("93", SENDER, now=NOW)), "Content-Type": "application/json"}
    answer = client.http.post("/account/deletion", headers=headers, body="")
    assert answer.status_code == 400 and json.loads(answer.body)["field"] == "type"
    assert stored_requests(table_items) == []


def test_a_type_not_offered_by_mail_is_answered_without_a_request(fourth: Any) -> None:
    result = deliver(fourth, "plain-deletion-en.eml", "mpol0000004")
    assert result.outcome == "answered" and result.request_id is None and result.kind == "deletion"
    assert requests_of(fourth, SENDER) == []
    text = body_of(sent_mail()[0])
    assert "does not offer" in text and "no request was registered" in text
    assert "Access / export" in text and "Marketing opt-out" in text
    assert "- Deletion" not in text and "- Correction" not in text
    assert "Jetrack" in text and "privacy@jetrack.com" in text


def test_mail_is_signed_with_the_dpo_when_the_policy_names_one(container: Any) -> None:
    from chalicelib.policy import parse_policy
    from tests.fakes.subjects import mail_text
    from tests.fakes.subjects import sent_mail as sent

    text = (ROOT / "policies" / "jetcards.toml").read_text(encoding="utf-8")
    text = text.replace('privacy = "privacy@jetcs.co"\n', 'privacy = "privacy@jetcs.co"\ndpo = "dpo@jetcs.co"\n')
    container.override(store_policy=parse_policy(text))
    submitted = service.submit_request(container, email=SENDER, request_type="access", channel="web",
                                       received_at=NOW, needs_verification=True)
    service.send_verification(container, email=SENDER, submitted=submitted, request_type="access")
    (mail,) = sent()
    body = mail_text(mail)
    assert "Data protection officer: dpo@jetcs.co" in body and "privacy@jetcs.co" in body
    assert "JETCLOUDSOLUTIONS OÜ (JETCARDS)" in body
