"""The record/read consent use cases on the in-memory twin."""

import pytest

from chalicelib.domain.consent import Choices, ProofContext
from chalicelib.domain.retention import DAY
from chalicelib.errors import InvalidInputError, SubjectSuppressedError
from chalicelib.services.record_consent import (
    ConsentCommand,
    ConsentRules,
    Owner,
    consent_scheme,
    read_consent,
    record_consent,
)
from tests.fakes.consent import InMemoryConsentRepository
from tests.helpers import retention, store_policy

# Consent Mode v2 without a choice: every signal denied but essential's (security_storage).
NOTHING_GRANTED = {"ad_storage": "denied", "analytics_storage": "denied", "ad_user_data": "denied",
                   "ad_personalization": "denied", "functionality_storage": "denied",
                   "personalization_storage": "denied", "security_storage": "granted"}

NOW = 1_795_435_200
RULES = ConsentRules("2026-05", 365, consent_scheme(store_policy()))
HOLDER = "V.visitor"
MIXED = Choices(preferences=True, analytics=False, marketing=True)
CONTEXT = ProofContext(gpc=False, country="EE", ip_prefix="203.0.113.0", user_agent_family="Firefox")


@pytest.fixture
def repo() -> InMemoryConsentRepository:
    return InMemoryConsentRepository(retention())


def command(action: str = "custom", choices: Choices | None = MIXED,
            policy_version: str = "2026-05") -> ConsentCommand:
    return ConsentCommand(action, choices, policy_version, "banner", "sha256:abcdef0123", "et-EE")  # type: ignore[arg-type]


def test_recording_returns_a_receipt_and_appends_the_proof(repo: InMemoryConsentRepository) -> None:
    receipt = record_consent(repo, command(), CONTEXT, holder=HOLDER, now=NOW, rules=RULES)
    assert receipt.recorded_at == NOW and receipt.needs_reconsent_after == NOW + 365 * DAY
    assert receipt.as_json()["consent_mode"]["ad_storage"] == "granted"
    [entry] = repo.ledger(HOLDER, now=NOW)
    assert entry.consent_id == receipt.consent_id
    assert (entry.action, entry.asked, entry.effective) == ("custom", MIXED, MIXED)
    assert (entry.policy_version, entry.notice_hash, entry.locale, entry.source) == ("2026-05", "sha256:abcdef0123",
                                                                                     "et-EE", "banner")
    assert (entry.country, entry.ip_prefix, entry.user_agent_family) == ("EE", "203.0.113.0", "Firefox")


def test_gpc_is_applied_and_recorded_as_the_reason(repo: InMemoryConsentRepository) -> None:
    gpc = ProofContext(gpc=True)
    receipt = record_consent(repo, command("accept_all", None), gpc, holder=HOLDER, now=NOW, rules=RULES)
    assert receipt.effective.choices == Choices(preferences=True, analytics=True, marketing=False)
    assert receipt.as_json()["overrides"] == {"marketing": "gpc"} and receipt.as_json()["gpc"] is True
    [entry] = repo.ledger(HOLDER, now=NOW)
    assert entry.asked == RULES.scheme.all(True) and entry.effective.granted("marketing") is False and entry.gpc
    assert entry.overrides == {"marketing": "gpc"}


def test_refusals_and_withdrawals_are_recorded_too(repo: InMemoryConsentRepository) -> None:
    record_consent(repo, command("accept_all", None), CONTEXT, holder=HOLDER, now=NOW, rules=RULES)
    record_consent(repo, command("withdraw", None), CONTEXT, holder=HOLDER, now=NOW + 5, rules=RULES)
    record_consent(repo, command("reject_all", None), CONTEXT, holder=HOLDER, now=NOW + 9, rules=RULES)
    assert [e.action for e in repo.ledger(HOLDER, now=NOW + 10)] == ["accept_all", "withdraw", "reject_all"]
    view = read_consent(repo, HOLDER, now=NOW + 10, rules=RULES)
    assert view.effective.choices == RULES.scheme.all(False) and not view.needs_reconsent


def test_choices_contradicting_the_action_are_refused_and_nothing_is_stored(
        repo: InMemoryConsentRepository) -> None:
    with pytest.raises(InvalidInputError) as error:
        record_consent(repo, command("accept_all", RULES.scheme.all(False)), CONTEXT, holder=HOLDER, now=NOW,
                       rules=RULES)
    assert error.value.field == "choices"
    assert repo.ledger(HOLDER, now=NOW) == []


def test_read_without_consent_grants_nothing_and_asks(repo: InMemoryConsentRepository) -> None:
    view = read_consent(repo, HOLDER, now=NOW, rules=RULES)
    assert view.needs_reconsent and view.reason == "no_consent"
    assert view.as_json()["consent_mode"] == NOTHING_GRANTED


def test_read_asks_again_after_a_policy_change_or_the_validity_period(repo: InMemoryConsentRepository) -> None:
    record_consent(repo, command(), CONTEXT, holder=HOLDER, now=NOW, rules=RULES)
    assert not read_consent(repo, HOLDER, now=NOW + 364 * DAY, rules=RULES).needs_reconsent
    assert read_consent(repo, HOLDER, now=NOW + 365 * DAY, rules=RULES).reason == "expired"
    changed = ConsentRules("2027-01", 365, RULES.scheme)
    assert read_consent(repo, HOLDER, now=NOW, rules=changed).reason == "policy_changed"


def test_an_outdated_policy_version_is_recorded_but_must_be_asked_again_at_once(
        repo: InMemoryConsentRepository) -> None:
    receipt = record_consent(repo, command(policy_version="2025-01"), CONTEXT, holder=HOLDER, now=NOW, rules=RULES)
    assert receipt.needs_reconsent_after == NOW
    assert len(repo.ledger(HOLDER, now=NOW)) == 1


def test_gpc_on_a_read_turns_stored_marketing_off(repo: InMemoryConsentRepository) -> None:
    record_consent(repo, command("accept_all", None), CONTEXT, holder=HOLDER, now=NOW, rules=RULES)
    view = read_consent(repo, HOLDER, now=NOW, rules=RULES, gpc=True)
    assert view.effective.choices.granted("marketing") is False and view.effective.overrides == {"marketing": "gpc"}
    assert read_consent(repo, HOLDER, now=NOW, rules=RULES).effective.choices.granted("marketing") is True


def test_a_logged_in_customer_links_the_visitor(repo: InMemoryConsentRepository) -> None:
    record_consent(repo, command(), CONTEXT, holder=HOLDER, now=NOW, rules=RULES, owner=Owner("subj", "57"))
    assert repo.linked_holders("subj", now=NOW) == [HOLDER]
    [entry] = repo.ledger(HOLDER, now=NOW)
    assert (entry.subject, entry.customer_id) == ("subj", "57")


def test_an_erased_customer_is_not_resurrected(repo: InMemoryConsentRepository) -> None:
    repo.suppressed.add("subj")
    with pytest.raises(SubjectSuppressedError):
        record_consent(repo, command(), CONTEXT, holder=HOLDER, now=NOW, rules=RULES, owner=Owner("subj", "57"))
    assert repo.ledger(HOLDER, now=NOW) == [] and repo.current(HOLDER, now=NOW) is None
