"""The rule that decides which recipients received a subject's data (shared by the export and the erasure)."""

from __future__ import annotations

from typing import get_args

import pytest

from chalicelib.services.subject_recipients import Held, is_paypal_method, received
from tests.helpers import POLICIES, store_policy


def held(*records: tuple[str, str, dict[str, object]]) -> Held:
    out = Held()
    for kind, category, data in records:
        out.add(kind, category, data)
    return out


def keys(name: str, subject: Held) -> set[str]:
    return {key for key, _ in received(store_policy(name), subject)}


@pytest.mark.parametrize("method", ["paypal", "ppcp-gateway", "ppcp-card-button-gateway", "ppec_paypal", " PPCP "])
def test_paypal_methods(method: str) -> None:
    assert is_paypal_method(method)


@pytest.mark.parametrize("method", ["", "cod", "bacs", "airwallex_card", "bitpay_checkout_gateway", "stripe"])
def test_other_methods(method: str) -> None:
    assert not is_paypal_method(method)


@pytest.mark.parametrize("name", POLICIES)
def test_nothing_held_nothing_received(name: str) -> None:
    assert keys(name, Held()) == set()


def test_a_payment_record_counts_for_the_provider_of_paypal_methods_only() -> None:
    subject = held(("payment", "payment", {"capture_id": "C1"}))
    assert keys("jetkrate", subject) == {"aws", "paypal"}


def test_an_order_method_picks_its_provider() -> None:
    assert keys("jetkrate", held(("order", "order", {"payment_method": "bitpay"}))) == {"woocommerce", "aws",
                                                                                        "bitpay"}


def test_consent_gates_and_only_true_counts() -> None:
    consent = ("consent_event", "consent_ledger", {"effective": {"analytics": True, "marketing": "yes",
                                                                 "support": False}})
    assert keys("jetkrate", held(consent)) == {"aws", "google_analytics", "yandex_metrica"}


def test_a_consent_granted_then_withdrawn_still_counts() -> None:
    subject = held(("consent_event", "consent_ledger", {"effective": {"marketing": True}}),
                   ("consent_event", "consent_ledger", {"effective": {"marketing": False}}))
    assert {"google_tag_manager", "meta_pixel", "tiktok_pixel"} <= keys("jetkrate", subject)


def test_a_policy_without_consent_vendors_lists_none() -> None:
    subject = held(("consent_event", "consent_ledger", {"effective": {"analytics": True, "marketing": True}}))
    assert keys("jetcards", subject) == keys("jetrack", subject) == {"aws"}


def test_every_right_and_role_has_a_label() -> None:
    from chalicelib.policy.model import Right, Role
    from chalicelib.services.export_information import RIGHT_LABELS, ROLE_LABELS

    assert set(RIGHT_LABELS) == set(get_args(Right)) and set(ROLE_LABELS) == set(get_args(Role))
