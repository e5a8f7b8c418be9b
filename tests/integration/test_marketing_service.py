"""The marketing preference use case on moto: convention, proof sealed, erasure respected, key kept long enough."""

import json
from typing import Any

import pytest

from chalicelib.domain.retention import DAY
from chalicelib.errors import InvalidInputError, SubjectSuppressedError
from chalicelib.services.marketing import get_marketing_preference, set_marketing_preference
from chalicelib.storage.subject_keys import subject_pk
from tests.conftest import NOW

EMAIL = "jana.mueller@example.org"
PROOF = {"ip_prefix": "203.0.113.0", "user_agent_family": "Firefox", "country": "EE"}


def subject_of(container: Any) -> str:
    return str(container.subject_for_email(EMAIL))


def test_no_choice_is_none_then_the_last_choice_wins(container: Any) -> None:
    subject = subject_of(container)
    assert get_marketing_preference(container, subject) is None
    set_marketing_preference(container, subject=subject, customer_id="57", email_marketing=True, source="account",
                             at=NOW, proof=PROOF)
    assert get_marketing_preference(container, subject) is True
    container.clock.advance(60)
    set_marketing_preference(container, subject=subject, customer_id=None, email_marketing=False,
                             source="privacy_request", at=container.now())
    assert get_marketing_preference(container, subject) is False


def test_items_follow_the_subject_item_convention_with_proof_sealed(container: Any, table_items: Any) -> None:
    subject = subject_of(container)
    set_marketing_preference(container, subject=subject, customer_id="57", email_marketing=True, source="account",
                             at=NOW, proof=PROOF)
    items = [i for i in table_items() if i["pk"].startswith("MKT#")]
    assert {i["kind"] for i in items} == {"marketing", "marketing_event"}
    for item in items:
        assert item["subject_pk"] == subject_pk(subject)
        assert item["category"] == "marketing_preference"
        assert item["expires_at"] == NOW + 1095 * DAY
        assert item["due_pk"] == "DUE#marketing_preference"
    raw = json.dumps(items, default=str)
    assert "203.0.113" not in raw and "Firefox" not in raw and '"57"' not in raw
    event = next(i for i in items if i["kind"] == "marketing_event")
    opened = container.vault.cipher_for_reading(subject).open_json("proof", event["sealed"]["proof"])
    assert opened == PROOF


def test_opt_out_of_an_erased_subject_is_a_no_op_and_opt_in_is_refused(container: Any, table_items: Any) -> None:
    subject = subject_of(container)
    set_marketing_preference(container, subject=subject, customer_id="57", email_marketing=True, source="account",
                             at=NOW)  # the key is now cached in this process
    container.subject_keys.suppress(subject, at=NOW, expires_at=NOW + 3650 * DAY)
    before = len(table_items())
    set_marketing_preference(container, subject=subject, customer_id=None, email_marketing=False,
                             source="privacy_request", at=NOW + 1)
    with pytest.raises(SubjectSuppressedError):
        set_marketing_preference(container, subject=subject, customer_id="57", email_marketing=True,
                                 source="account", at=NOW + 2)
    assert len(table_items()) == before


def test_the_subject_key_is_extended_to_outlive_the_sealed_proof(container: Any) -> None:
    subject = subject_of(container)
    set_marketing_preference(container, subject=subject, customer_id="57", email_marketing=True, source="account",
                             at=NOW, proof=PROOF)
    container.table.update(subject_pk(subject), "KEY", expression="SET expires_at = :e", values={":e": NOW + DAY})
    set_marketing_preference(container, subject=subject, customer_id="57", email_marketing=False, source="account",
                             at=NOW + 10, proof=PROOF)
    key = container.subject_keys.get(subject, now=NOW)
    assert key is not None and key.expires_at >= NOW + 10 + 1095 * DAY
    assert get_marketing_preference(container, subject) is False


@pytest.mark.parametrize("kwargs", [{"email_marketing": "yes"}, {"source": "guess"}])
def test_bad_values_are_refused(container: Any, kwargs: dict[str, Any]) -> None:
    values: dict[str, Any] = {"email_marketing": True, "source": "account"} | kwargs
    with pytest.raises(InvalidInputError):
        set_marketing_preference(container, subject=subject_of(container), customer_id=None, at=NOW, **values)
