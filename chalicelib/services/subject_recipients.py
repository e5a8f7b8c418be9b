"""Which of the store's recipients received a subject's data: the rule the export's Art. 15 section and the
erasure receipt share, read from the store's policy (`[recipients.*]`), never from a list in code.

A recipient counts when
  (a) one of its `data_categories` is among the categories held about the subject, and
  (b) if it is gated by a cookie category (`consent`), a consent record of the subject has that category `true`
      in `effective` (what such a vendor receives is collected in the browser under that consent, so a consent
      record granting it stands for its categories: this backend does not hold that data itself), and
  (c) if it is a payment provider (`kind = "payment"`), an order or payment of the subject has a `payment_method`
      among its `payment_methods`; a payment or dispute record comes from PayPal's webhooks, so it counts for a
      provider whose `payment_methods` are PayPal's WooCommerce gateways.
Hosting and platform recipients count when any of their categories is held.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from chalicelib.policy.model import Recipient, StorePolicy

PAYPAL_RECORD_KINDS = frozenset({"payment", "dispute"})  # written from PayPal's webhooks only


def is_paypal_method(method: str) -> bool:
    """A WooCommerce payment_method of PayPal's gateways (PayPal Payments `ppcp-*`, Express Checkout `ppec_*`)."""
    method = method.strip().lower()
    return method == "paypal" or method.startswith(("ppcp", "ppec"))


@dataclass
class Held:
    """What was met about a subject on the way through their records: categories (with counts), kinds, the
    cookie categories a consent record granted, the payment methods used, and whether PayPal sent records."""

    categories: dict[str, int] = field(default_factory=dict)
    kinds: dict[str, int] = field(default_factory=dict)
    consented: set[str] = field(default_factory=set)
    payment_methods: set[str] = field(default_factory=set)
    paypal_records: bool = False

    def add(self, kind: str, category: str | None, data: dict[str, Any]) -> None:
        name = str(category or "unknown")
        self.categories[name] = self.categories.get(name, 0) + 1
        self.kinds[kind] = self.kinds.get(kind, 0) + 1
        if kind.startswith("consent"):
            effective = data.get("effective")
            if isinstance(effective, dict):
                self.consented |= {str(key) for key, granted in effective.items() if granted is True}
        method = data.get("payment_method")
        if isinstance(method, str) and method.strip():
            self.payment_methods.add(method.strip().lower())
        if kind in PAYPAL_RECORD_KINDS:
            self.paypal_records = True

    @property
    def anything(self) -> bool:
        return bool(self.categories)


def _paid_with(recipient: Recipient, held: Held) -> bool:
    methods = {method.lower() for method in recipient.payment_methods}
    if methods & held.payment_methods:
        return True
    return held.paypal_records and any(is_paypal_method(method) for method in methods)


def counts(recipient: Recipient, held: Held) -> bool:
    """Whether the recipient received this subject's data (the rule of the module's docstring)."""
    if recipient.consent is not None:
        if recipient.consent not in held.consented:
            return False
    elif not set(recipient.data_categories) & set(held.categories):
        return False
    if recipient.kind in ("hosting", "platform"):
        return True
    return recipient.kind != "payment" or _paid_with(recipient, held)


def received(policy: StorePolicy, held: Held) -> Iterator[tuple[str, Recipient]]:
    """The recipients that received the subject's data, in the policy file's order."""
    for key, recipient in policy.recipients.items():
        if counts(recipient, held):
            yield key, recipient
