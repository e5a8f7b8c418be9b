"""The declarative retention policy and its defaults from the store's published policies."""

import pytest

from chalicelib.domain.retention import DAY, Category, RetentionOverride
from tests.helpers import retention


def test_defaults_follow_the_published_policies() -> None:
    policy = retention()
    assert policy.rule(Category.ANALYTICS).days == 183  # "Up to 6 months of data"
    assert policy.rule(Category.DELETED_ACCOUNT).days == 30  # "we delete your data within 30 days"
    assert policy.rule(Category.ORDER).action == "anonymise"
    assert policy.rule(Category.ORDER).days == 7 * 365
    assert policy.rule(Category.EXPORT).days == 7
    assert policy.rule(Category.CONSENT_LEDGER).days == 3 * 365


def test_every_category_has_a_rule_with_a_legal_basis() -> None:
    policy = retention()
    for category in Category:
        rule = policy.rule(category)
        assert rule.days > 0 and rule.legal_basis and rule.purpose


def test_expiry_is_start_plus_period() -> None:
    assert retention().expires_at("analytics", 1000) == 1000 + 183 * DAY


def test_stage_override_shortens_a_period() -> None:
    policy = retention({"analytics": RetentionOverride(days=90)})
    assert policy.rule("analytics").days == 90
    assert policy.rule("analytics").legal_basis == retention().rule("analytics").legal_basis


def test_override_may_not_exceed_a_promised_ceiling() -> None:
    with pytest.raises(ValueError, match="exceeds"):
        retention({"deleted_account": RetentionOverride(days=31)})
