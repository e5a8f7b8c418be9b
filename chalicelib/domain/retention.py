"""The declarative retention policy: data category -> period, action at expiry, legal basis.

What a store keeps, and for how long, is the store's promise: it comes from the store's policy file
(`chalicelib.policy`, `[categories.*]`, every one of `STORE_CATEGORIES` required there).  This module holds the
rules themselves and the project's operational defaults (`OPERATIONAL_RULES`: verification tokens, exports,
suppression markers, delivery receipts, run reports, rate limits), which a policy file may override.  The subject
key lives as long as the longest-kept category whose fields it seals.

Every stored item carries `expires_at` from its category's rule.  A stage may override periods
(`RETENTION_OVERRIDES`), but never beyond a ceiling the published policy promises.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

DAY = 86_400
Action = Literal["delete", "anonymise"]


class Category(StrEnum):
    CUSTOMER_PROFILE = "customer_profile"
    DELETED_ACCOUNT = "deleted_account"
    ORDER = "order"
    PAYMENT = "payment"
    DISPUTE = "dispute"
    ANONYMISED_RECORD = "anonymised_record"
    CONSENT_STATE = "consent_state"
    CONSENT_LEDGER = "consent_ledger"
    MARKETING_PREFERENCE = "marketing_preference"
    ANALYTICS = "analytics"
    PRIVACY_REQUEST = "privacy_request"
    VERIFICATION_TOKEN = "verification_token"
    EXPORT = "export"
    CORRESPONDENCE = "correspondence"
    SUPPRESSION = "suppression"
    SUBJECT_KEY = "subject_key"
    WEBHOOK_RECEIPT = "webhook_receipt"
    RUN_REPORT = "run_report"
    RATE_LIMIT = "rate_limit"


@dataclass(frozen=True)
class RetentionRule:
    category: Category
    days: int
    action: Action
    legal_basis: str
    purpose: str
    max_days: int | None = None  # a ceiling the published policy promises
    by_attribute: str | None = None  # an account attribute that decides the period (e.g. a plan)
    days_by_value: tuple[tuple[str, int], ...] = ()  # (value, days); `days` when the value is not listed

    def days_for(self, attributes: dict[str, str] | None) -> int:
        if self.by_attribute and attributes and (value := attributes.get(self.by_attribute)) is not None:
            return dict(self.days_by_value).get(str(value), self.days)
        return self.days

    @property
    def seconds(self) -> int:
        return self.days * DAY

    def expires_at(self, start_epoch: int, attributes: dict[str, str] | None = None) -> int:
        return start_epoch + self.days_for(attributes) * DAY


STORE_CATEGORIES = frozenset({
    Category.CUSTOMER_PROFILE, Category.DELETED_ACCOUNT, Category.ORDER, Category.PAYMENT, Category.DISPUTE,
    Category.ANONYMISED_RECORD, Category.CONSENT_STATE, Category.CONSENT_LEDGER, Category.MARKETING_PREFERENCE,
    Category.ANALYTICS, Category.PRIVACY_REQUEST, Category.CORRESPONDENCE,
})
SEALED_CATEGORIES = (Category.CUSTOMER_PROFILE, Category.ORDER, Category.PAYMENT, Category.DISPUTE,
                     Category.CONSENT_LEDGER, Category.MARKETING_PREFERENCE, Category.PRIVACY_REQUEST,
                     Category.CORRESPONDENCE)

_COMPLIANCE = "Legal obligation: proof of handling data subject requests (GDPR Art. 5(2), 12; CCPA § 7101)"

OPERATIONAL_RULES: tuple[RetentionRule, ...] = (
    RetentionRule(Category.VERIFICATION_TOKEN, 1, "delete", _COMPLIANCE,
                  "Single-use e-mail verification tokens (stored hashed, valid 24 hours).", max_days=1),
    RetentionRule(Category.EXPORT, 7, "delete", _COMPLIANCE,
                  "Produced data exports in the exports bucket.", max_days=7),
    RetentionRule(Category.SUPPRESSION, 3650, "delete", _COMPLIANCE,
                  "Keyed hash of an erased subject, so late deliveries cannot resurrect them (no personal data)."),
    RetentionRule(Category.WEBHOOK_RECEIPT, 30, "delete", "Legitimate interest: exactly-once processing",
                  "Deduplication markers of webhook deliveries and mail (no personal data)."),
    RetentionRule(Category.RUN_REPORT, 365, "delete", "Legitimate interest: operations",
                  "Reports of retention runs (counts only)."),
    RetentionRule(Category.RATE_LIMIT, 2, "delete", "Legitimate interest: abuse prevention",
                  "Rate-limit counters (keyed hashes only)."),
)


class RetentionOverride(BaseModel):
    """One stage override, e.g. {"analytics": {"days": 90}}."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    days: int = Field(ge=1, le=36_500)
    action: Action | None = None


class RetentionPolicy:
    def __init__(self, rules: dict[Category, RetentionRule]) -> None:
        self._rules = rules

    def rule(self, category: Category | str) -> RetentionRule:
        return self._rules[Category(category)]

    def expires_at(self, category: Category | str, start_epoch: int,
                   attributes: dict[str, str] | None = None) -> int:
        return self.rule(category).expires_at(start_epoch, attributes)

    def rules(self) -> list[RetentionRule]:
        return list(self._rules.values())


def build_policy(store_rules: Iterable[RetentionRule],
                 overrides: dict[str, RetentionOverride] | None = None) -> RetentionPolicy:
    """The store's rules over the operational defaults, with a stage's overrides applied; raises ValueError naming
    a missing category or a bad override."""
    rules = {rule.category: rule for rule in OPERATIONAL_RULES}
    rules.update({rule.category: rule for rule in store_rules})
    missing = sorted(str(c) for c in STORE_CATEGORIES - set(rules))
    if missing:
        raise ValueError(f"the store's policy has no rule for {', '.join(missing)}")
    for name, override in (overrides or {}).items():
        try:
            category = Category(name)
        except ValueError:
            raise ValueError(f"unknown data category {name!r}") from None
        base = rules[category]
        if base.max_days is not None and override.days > base.max_days:
            raise ValueError(
                f"{name}: {override.days} days exceeds the {base.max_days} days the published policy promises"
            )
        rules[category] = replace(base, days=override.days, action=override.action or base.action,
                                  by_attribute=None, days_by_value=())
    if Category.SUBJECT_KEY not in rules:
        longest = max(max([rules[c].days, *(d for _, d in rules[c].days_by_value)]) for c in SEALED_CATEGORIES)
        rules[Category.SUBJECT_KEY] = RetentionRule(
            Category.SUBJECT_KEY, longest, "delete", rules[Category.ORDER].legal_basis,
            "A subject's wrapped data key; lives as long as the longest-kept encrypted field.")
    return RetentionPolicy(rules)
