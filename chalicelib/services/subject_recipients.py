"""Which of the store's recipients received a subject's data: the rule the export's Art. 15 section and the
erasure receipt share, read from the store's policy (`[recipients.*]`), never from a list in code.

A recipient counts when
  (a) one of its `data_categories` is among the categories held about the subject, and
  (b) if it is gated by a cookie category (`consent`), a consent record of the subject has that category `true`
      in `effective` (what such a vendor receives is collected in the browser under that consent, so a consent
      record granting it stands for its categories: this backend does not hold that data itself), and
  (c) if it is a payment provider (`kind = "payment"`), an order or payment of the subject has a `payment_method`
      among its `payment_methods`, or a payment or dispute record came from that provider's webhooks
      (`data.source`: "Airwallex", "BitPay"; PayPal when absent) and the provider's `payment_methods` are that
      provider's WooCommerce gateways.
Hosting and platform recipients count when any of their categories is held.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from chalicelib.policy.model import Recipient, StorePolicy

PROVIDER_RECORD_KINDS = frozenset({"payment", "dispute", "bitpay_payment"})  # from the providers' webhooks


def is_paypal_method(method: str) -> bool:
    """A WooCommerce payment_method of PayPal's gateways (PayPal Payments `ppcp-*`, Express Checkout `ppec_*`)."""
    method = method.strip().lower()
    return method == "paypal" or method.startswith(("ppcp", "ppec"))


def provider_of_method(method: str) -> str | None:
    """The provider whose webhooks this backend records, from a WooCommerce payment_method (None: another)."""
    method = method.strip().lower()
    if is_paypal_method(method):
        return "paypal"
    for provider in ("airwallex", "bitpay"):
        if method.startswith(provider):
            return provider
    return None


@dataclass
class Held:
    """What was met about a subject on the way through their records: categories (with counts), kinds, the
    cookie categories a consent record granted, the payment methods used, and which providers sent records."""

    categories: dict[str, int] = field(default_factory=dict)
    kinds: dict[str, int] = field(default_factory=dict)
    consented: set[str] = field(default_factory=set)
    payment_methods: set[str] = field(default_factory=set)
    providers: set[str] = field(default_factory=set)  # the providers whose webhooks sent payment records

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
        if kind in PROVIDER_RECORD_KINDS:
            source = data.get("source")
            self.providers.add(source.strip().lower() if isinstance(source, str) and source.strip() else "paypal")

    @property
    def anything(self) -> bool:
        return bool(self.categories)


def _paid_with(recipient: Recipient, held: Held) -> bool:
    methods = {method.lower() for method in recipient.payment_methods}
    if methods & held.payment_methods:
        return True
    return any(provider_of_method(method) in held.providers for method in methods)


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
