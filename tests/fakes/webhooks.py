"""In-memory ports for the webhook services (service and property tests)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

from chalicelib.crypto.vault import SubjectVault, open_fields
from chalicelib.domain.clock import FixedClock
from chalicelib.domain.subjects import subject_id
from chalicelib.services.webhook_ports import WebhookPorts
from chalicelib.services.webhook_sealing import SubjectSealer
from tests.conftest import EVENTS, NOW
from tests.fakes.airwallex_events import InMemoryAirwallexStore
from tests.fakes.keys import FakeKeyWrapper
from tests.fakes.orders import InMemoryStorefrontRecords
from tests.fakes.paypal_events import InMemoryPaypalEventStore
from tests.fakes.subject_keys import InMemorySubjectKeyRepository
from tests.helpers import retention

PEPPER = "test-pepper-for-webhook-services"


WC = EVENTS / "woocommerce"


PP = EVENTS / "paypal"


AW = EVENTS / "airwallex"


class CountingKeys(InMemorySubjectKeyRepository):
    def __init__(self) -> None:
        super().__init__()
        self.extensions = 0

    def extend(self, subject: str, expires_at: int) -> None:
        self.extensions += 1
        super().extend(subject, expires_at)


@dataclass
class Memory:
    ports: WebhookPorts
    keys: CountingKeys
    vault: SubjectVault
    records: InMemoryStorefrontRecords
    events: InMemoryPaypalEventStore
    clock: FixedClock
    airwallex: InMemoryAirwallexStore  # Airwallex

    def subject(self, email: str) -> str:
        return subject_id(email, PEPPER)

    def suppress(self, email: str) -> None:
        self.keys.suppress(self.subject(email), at=NOW, expires_at=NOW + 3650 * 86400)
        self.keys.delete(self.subject(email))

    def opened(self, sealed: dict[str, str], subject: str) -> dict[str, Any]:
        return open_fields(self.vault.cipher_for_reading(subject), sealed)


def memory(now: int = NOW) -> Memory:
    clock = FixedClock(now)
    policy = retention()
    keys = CountingKeys()
    vault = SubjectVault(keys, FakeKeyWrapper(), policy, clock)
    records = InMemoryStorefrontRecords(policy, keys)
    events = InMemoryPaypalEventStore(policy, keys)
    airwallex = InMemoryAirwallexStore(policy, keys)  # Airwallex
    ports = WebhookPorts(records=records, events=events, airwallex=airwallex, sealer=SubjectSealer(vault),
                         policy=policy,
                         subject_for_email=lambda email: subject_id(email, PEPPER), pepper=PEPPER,
                         now=lambda: int(clock.now()))
    return Memory(ports, keys, vault, records, events, clock, airwallex)


def load(path: Path, **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text())
    data.update(overrides)
    return data


def delivery_sets(size: int, max_size: int = 16) -> st.SearchStrategy[tuple[list[int], list[int]]]:
    """A choice of deliveries (indexes into `size`, with duplicates) and a permutation of it: the order-independence
    properties of every provider draw from this."""
    return st.lists(st.integers(0, size - 1), min_size=1, max_size=max_size).flatmap(
        lambda chosen: st.tuples(st.just(chosen), st.permutations(chosen)))
