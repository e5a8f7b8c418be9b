"""Consent items on moto: one round trip per event, the subject-item convention, nothing personal stored whole."""

import json
from typing import Any

import pytest

from bench.common import RoundTrips
from chalicelib.domain.consent import Choices, ProofContext, holder_for_account, holder_for_visitor
from chalicelib.domain.retention import DAY
from chalicelib.errors import SubjectSuppressedError
from chalicelib.services.record_consent import ConsentCommand, ConsentRules, Owner, consent_scheme, record_consent
from chalicelib.storage.subject_keys import subject_pk
from tests.conftest import NOW
from tests.helpers import store_policy

VISITOR = "vis-7f3a9c21-cookie"
EMAIL = "jana.mueller@example.org"
CONTEXT = ProofContext.from_request(gpc_header=None, country_header="EE", viewer_address=None,
                                    source_ip="203.0.113.77", user_agent="Mozilla/5.0 Firefox/133.0")
RULES = ConsentRules("2026-05", 365, consent_scheme(store_policy()))
COMMAND = ConsentCommand("custom", Choices(preferences=True, analytics=True, marketing=False), "2026-05", "banner")


def record(container: Any, owner: Owner | None = None, holder: str | None = None) -> Any:
    return record_consent(container.consent, COMMAND, CONTEXT,
                          holder=holder or holder_for_visitor(VISITOR, container.pepper), now=container.now(),
                          rules=RULES, owner=owner)


def owner_of(container: Any) -> Owner:
    return Owner(container.subject_for_email(EMAIL), "57")


def test_an_anonymous_event_is_one_transaction(container: Any) -> None:
    trips = RoundTrips(container.table.client)
    record(container)
    assert trips.count == 1 and trips.operations == ["DynamoDB_20120810.TransactWriteItems"]


def test_a_customer_event_is_one_transaction_once_their_key_is_cached(container: Any) -> None:
    owner = owner_of(container)
    record(container, owner)  # first event: creates the subject's data key
    trips = RoundTrips(container.table.client)
    container.clock.advance(1)
    record(container, owner)
    assert trips.count == 1 and trips.operations == ["DynamoDB_20120810.TransactWriteItems"]


def test_anonymous_items_hold_no_cookie_value_and_no_whole_ip(container: Any, table_items: Any) -> None:
    record(container)
    items = [i for i in table_items() if i["pk"].startswith("CONSENT#")]
    assert {i["sk"].split("#")[0] for i in items} == {"LEDGER", "STATE"}
    raw = json.dumps(items)
    assert VISITOR not in raw and "203.0.113.77" not in raw
    ledger = next(i for i in items if i["sk"].startswith("LEDGER#"))
    assert ledger["proof"] == {"country": "EE", "ip_prefix": "203.0.113.0", "user_agent_family": "Firefox"}
    assert ledger["category"] == "consent_ledger" and ledger["expires_at"] == NOW + 1095 * DAY
    state = next(i for i in items if i["sk"] == "STATE")
    assert state["category"] == "consent_state" and state["expires_at"] == NOW + 395 * DAY
    assert "subject_pk" not in ledger and "subject_pk" not in state


def test_customer_items_follow_the_subject_item_convention_with_proof_sealed(container: Any,
                                                                             table_items: Any) -> None:
    owner = owner_of(container)
    record(container, owner)
    items = {i["sk"].split("#")[0]: i for i in table_items() if i["pk"].startswith("CONSENT#")}
    ledger, link = items["LEDGER"], items["LINK"]
    for item in (ledger, link):
        assert item["subject_pk"] == subject_pk(owner.subject) and item["category"] == "consent_ledger"
    assert ledger["kind"] == "consent_event" and link["kind"] == "consent_link"
    assert "proof" not in ledger and set(ledger["sealed"]) == {"proof", "customer_id"}
    assert "203.0.113" not in json.dumps(ledger) and "Firefox" not in json.dumps(ledger)
    cipher = container.vault.cipher_for_reading(owner.subject)
    assert cipher.open_json("proof", ledger["sealed"]["proof"])["ip_prefix"] == "203.0.113.0"
    assert "subject_pk" not in items["STATE"]  # a visitor's state is not the customer's: only linked


def test_an_account_state_is_a_subject_item(container: Any, table_items: Any) -> None:
    owner = owner_of(container)
    record(container, owner, holder=holder_for_account(owner.subject))
    state = next(i for i in table_items() if i["pk"].startswith("CONSENT#A.") and i["sk"] == "STATE")
    assert state["subject_pk"] == subject_pk(owner.subject) and state["kind"] == "consent_state"


def test_an_erasure_between_two_events_is_not_undone_by_a_cached_key(container: Any, table_items: Any) -> None:
    owner = owner_of(container)
    record(container, owner)  # key cached in this process
    container.subject_keys.suppress(owner.subject, at=NOW, expires_at=NOW + 3650 * DAY)
    before = len(table_items())
    container.clock.advance(1)
    with pytest.raises(SubjectSuppressedError):
        record(container, owner)
    assert len(table_items()) == before


def test_held_categories_come_from_the_subject_index(container: Any) -> None:
    owner = owner_of(container)
    record(container, owner)
    assert container.subject_data.categories(owner.subject, now=container.now()) == {"consent_ledger": 2}
