"""The ports the webhook services use (built from the container in `wiring`, from in-memory twins in tests)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from chalicelib.domain.email_address import is_email
from chalicelib.domain.retention import RetentionPolicy
from chalicelib.services.webhook_sealing import SubjectSealer
from chalicelib.storage.airwallex_events import AirwallexStore
from chalicelib.storage.orders import StorefrontRecords
from chalicelib.storage.paypal_events import PaypalEventStore


@dataclass
class WebhookPorts:
    records: StorefrontRecords
    events: PaypalEventStore
    # -- Airwallex ---------------------------------------------------------------------------------------------
    airwallex: AirwallexStore
    # -- end Airwallex -----------------------------------------------------------------------------------------
    sealer: SubjectSealer
    policy: RetentionPolicy
    subject_for_email: Callable[[str], str]
    pepper: str
    now: Callable[[], int]
    store_ip: bool = True  # the store's policy: False when it promises to keep no IP address (ip_addresses.store)

    def subject_of_email(self, email: str | None) -> str | None:
        """The subject keyed by an e-mail address, or None when there is no usable address."""
        if email is None or not is_email(email):
            return None
        try:
            return self.subject_for_email(email)
        except ValueError:
            return None
