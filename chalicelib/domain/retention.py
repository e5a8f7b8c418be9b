"""The declarative retention policy: data category -> period, action at expiry, legal basis.

Defaults come from the store's published policies (shared seeds):
- analytics data: up to 6 months ("Free plan: Up to 6 months of data");
- account data: kept while the account is active, deleted within 30 days of the account's deletion
  "except where we're required to retain it for legal purposes";
- orders and payments: the legal retention period for accounting records (Estonian Accounting Act § 12: 7 years;
  JETCLOUDSOLUTIONS OÜ is Estonian), then anonymised;
- correspondence ("If you contact us, we may keep a record of that correspondence") and proof of consent and of
  handled requests: 3 years.

Every stored item carries `expires_at` from its category's rule.  A stage may override periods
(`RETENTION_OVERRIDES`), but never beyond a ceiling the published policy promises.
"""

from __future__ import annotations

from dataclasses import dataclass
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

    @property
    def seconds(self) -> int:
        return self.days * DAY

    def expires_at(self, start_epoch: int) -> int:
        return start_epoch + self.seconds


_CONTRACT = "Contract (GDPR Art. 6(1)(b))"
_LEGAL = "Legal obligation (GDPR Art. 6(1)(c)): accounting records, Estonian Accounting Act § 12"
_CONSENT_PROOF = "Legal obligation to demonstrate consent (GDPR Art. 7(1))"
_COMPLIANCE = "Legal obligation: proof of handling data subject requests (GDPR Art. 5(2), 12; CCPA § 7101)"

DEFAULT_RULES: tuple[RetentionRule, ...] = (
    RetentionRule(Category.CUSTOMER_PROFILE, 1095, "delete", _CONTRACT,
                  "Customer account while active; refreshed by every account update (3 years of inactivity)."),
    RetentionRule(Category.DELETED_ACCOUNT, 30, "delete", _CONTRACT,
                  "Remaining account data after the account was deleted.", max_days=30),
    RetentionRule(Category.ORDER, 2555, "anonymise", _LEGAL,
                  "Orders (invoices): order, totals, tax, line items; personal fields encrypted per subject."),
    RetentionRule(Category.PAYMENT, 2555, "anonymise", _LEGAL,
                  "PayPal captures, refunds and reversals linked to orders."),
    RetentionRule(Category.DISPUTE, 2555, "anonymise", _LEGAL,
                  "PayPal disputes and their messages."),
    RetentionRule(Category.ANONYMISED_RECORD, 1095, "delete", "Legitimate interest: sales statistics",
                  "What is left of an order or payment after anonymisation."),
    RetentionRule(Category.CONSENT_STATE, 395, "delete", "Consent (GDPR Art. 6(1)(a); ePrivacy Art. 5(3))",
                  "A visitor's current cookie choices (valid 12 months, then asked again)."),
    RetentionRule(Category.CONSENT_LEDGER, 1095, "delete", _CONSENT_PROOF,
                  "Append-only proof of every consent choice, refusals and withdrawals included."),
    RetentionRule(Category.MARKETING_PREFERENCE, 1095, "delete", _CONSENT_PROOF,
                  "Marketing e-mail opt-in/opt-out with proof; an objection is honoured at once."),
    RetentionRule(Category.ANALYTICS, 183, "delete", "Consent (GDPR Art. 6(1)(a))",
                  "Analytics data (page views, sessions) where consented.", max_days=183),
    RetentionRule(Category.PRIVACY_REQUEST, 1095, "delete", _COMPLIANCE,
                  "Privacy requests, their audit trail and erasure receipts."),
    RetentionRule(Category.VERIFICATION_TOKEN, 1, "delete", _COMPLIANCE,
                  "Single-use e-mail verification tokens (stored hashed, valid 24 hours).", max_days=1),
    RetentionRule(Category.EXPORT, 7, "delete", _COMPLIANCE,
                  "Produced data exports in the exports bucket.", max_days=7),
    RetentionRule(Category.CORRESPONDENCE, 1095, "delete", "Legitimate interest / legal obligation",
                  "privacy@ correspondence (encrypted)."),
    RetentionRule(Category.SUPPRESSION, 3650, "delete", _COMPLIANCE,
                  "Keyed hash of an erased subject, so late deliveries cannot resurrect them (no personal data)."),
    RetentionRule(Category.SUBJECT_KEY, 2555, "delete", _LEGAL,
                  "A subject's wrapped data key; lives as long as the longest-kept encrypted field."),
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

    def expires_at(self, category: Category | str, start_epoch: int) -> int:
        return self.rule(category).expires_at(start_epoch)

    def rules(self) -> list[RetentionRule]:
        return list(self._rules.values())


def build_policy(overrides: dict[str, RetentionOverride] | None = None) -> RetentionPolicy:
    """The default rules with a stage's overrides applied; raises ValueError naming a bad override."""
    rules = {rule.category: rule for rule in DEFAULT_RULES}
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
        rules[category] = RetentionRule(
            category, override.days, override.action or base.action, base.legal_basis, base.purpose, base.max_days
        )
    return RetentionPolicy(rules)
