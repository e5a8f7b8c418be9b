"""What each area's use cases need, as typed protocols (the composition root, `chalicelib.container.Container`,
satisfies all of them; tests pass the same container built with fakes).

A use case takes the protocol of its area as its first argument, so it names exactly the ports it may use and
never the root itself.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from chalicelib.adapters.exports_store import ExportsStore
    from chalicelib.adapters.inbound_mail import InboundMail
    from chalicelib.adapters.intake_queue import IntakeQueue
    from chalicelib.adapters.mailer import Mailer
    from chalicelib.adapters.processors import Connectors
    from chalicelib.adapters.woocommerce_api import WooCommerceApi
    from chalicelib.crypto.vault import SubjectVault
    from chalicelib.domain.clock import Clock
    from chalicelib.domain.marketing_senders import SenderKeys
    from chalicelib.domain.retention import RetentionPolicy
    from chalicelib.policy.model import StorePolicy
    from chalicelib.settings import Settings
    from chalicelib.storage.consent import ConsentRepository
    from chalicelib.storage.corrections import Corrections
    from chalicelib.storage.late_links import LateLinks
    from chalicelib.storage.mail import MailStore
    from chalicelib.storage.marketing import MarketingRepository
    from chalicelib.storage.orders import StorefrontRecords
    from chalicelib.storage.privacy_requests import RequestRepository
    from chalicelib.storage.processor_batches import ProcessorBatches
    from chalicelib.storage.rate_limits import RateLimits
    from chalicelib.storage.restrictions import RestrictionStore
    from chalicelib.storage.runs import DueStore, RunStore
    from chalicelib.storage.subject_data import SubjectDataRepository
    from chalicelib.storage.subject_keys import SubjectKeyRepository
    from chalicelib.storage.suppression_list import SuppressionList


class Basics(Protocol):
    """Settings, the clock, the store's policy (and the retention policy built from it) and the keyed identities
    every area uses."""

    @property
    def settings(self) -> Settings: ...

    @property
    def clock(self) -> Clock: ...

    @property
    def policy(self) -> RetentionPolicy: ...

    @property
    def store_policy(self) -> StorePolicy: ...

    @property
    def pepper(self) -> str: ...

    def now(self) -> int: ...

    def subject_for_email(self, email: str) -> str: ...


class ConsentPorts(Basics, Protocol):
    @property
    def consent(self) -> ConsentRepository: ...

    @property
    def marketing(self) -> MarketingRepository: ...

    @property
    def subject_data(self) -> SubjectDataRepository: ...

    @property
    def restrictions(self) -> RestrictionStore: ...

    @property
    def sender_keys(self) -> SenderKeys: ...  # the mailing tool's keys (marketing senders)

    @property
    def suppression_list(self) -> SuppressionList: ...


class SenderPorts(ConsentPorts, Protocol):
    """The store's mailing tool: its API key's quota, erased subjects (services/marketing_senders.py)."""

    @property
    def rate_limits(self) -> RateLimits: ...

    @property
    def subject_keys(self) -> SubjectKeyRepository: ...


class RightsPorts(ConsentPorts, Protocol):
    """Privacy requests: submission, verification, fulfilment (export, erasure, opt-out), operator actions."""

    @property
    def token_key(self) -> str: ...

    @property
    def vault(self) -> SubjectVault: ...

    @property
    def subject_keys(self) -> SubjectKeyRepository: ...

    @property
    def privacy_requests(self) -> RequestRepository: ...

    @property
    def rate_limits(self) -> RateLimits: ...

    @property
    def mailer(self) -> Mailer: ...

    @property
    def exports(self) -> ExportsStore: ...

    @property
    def intake_queue(self) -> IntakeQueue: ...

    @property
    def connectors(self) -> Connectors: ...

    @property
    def late_links(self) -> LateLinks: ...

    @property
    def processor_batches(self) -> ProcessorBatches: ...

    @property
    def storefront_records(self) -> StorefrontRecords: ...  # corrections, and accounts the store deleted

    @property
    def corrections(self) -> Corrections: ...

    @property
    def store_api(self) -> WooCommerceApi: ...

    @property
    def mail_store(self) -> MailStore: ...  # the queue of mail for a person reaches the operator's digest


class MailPorts(RightsPorts, Protocol):
    """privacy@ mail: receipts, quotas and correspondence, the stored raw MIME."""

    @property
    def inbound_mail(self) -> InboundMail: ...


class SchedulerPorts(MailPorts, Protocol):
    """The scheduled job: retention, request work, mail not yet ingested."""

    @property
    def run_store(self) -> RunStore: ...

    @property
    def due_store(self) -> DueStore: ...

    @property
    def storefront_records(self) -> StorefrontRecords: ...

