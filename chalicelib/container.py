"""The composition root: every port of the service, built once per process, lazily, with typed defaults.

Nothing else builds a port.  Handlers take the process's container (`get_container()`); services receive it typed
by the ports protocol of their area (`chalicelib.services.ports`), which this class satisfies.  Tests pass fakes to
the same constructor (`Container(settings, clock, mailer=FakeMailer())`) or replace a port of a built container with
`override(...)` before it is used.  No AWS client exists before a port that needs it is first used (import time is
cold-start time, and moto must be active before a client is made).
"""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING, Any

from chalicelib.domain.clock import Clock, SystemClock
from chalicelib.domain.retention import RetentionPolicy
from chalicelib.settings import Settings, get_settings

if TYPE_CHECKING:
    from cryptography.x509 import Certificate

    from chalicelib.adapters.exports_store import ExportsStore
    from chalicelib.adapters.http_client import HttpPort
    from chalicelib.adapters.inbound_mail import InboundMail
    from chalicelib.adapters.intake_queue import IntakeQueue
    from chalicelib.adapters.mailer import Mailer
    from chalicelib.adapters.processors import Connectors
    from chalicelib.adapters.woocommerce_api import WooCommerceApi
    from chalicelib.crypto.keys import KeyWrapper
    from chalicelib.crypto.vault import SubjectVault
    from chalicelib.domain.marketing_senders import SenderKeys
    from chalicelib.policy.model import StorePolicy
    from chalicelib.services.record_bitpay import BitpayPorts
    from chalicelib.services.webhook_ports import WebhookPorts
    from chalicelib.signatures.bitpay import InvoiceApi
    from chalicelib.signatures.paypal import CertificateStore, WebhookVerifier
    from chalicelib.storage.airwallex_events import AirwallexStore
    from chalicelib.storage.bitpay_invoices import BitpayInvoiceStore
    from chalicelib.storage.consent import ConsentRepository
    from chalicelib.storage.corrections import Corrections
    from chalicelib.storage.late_links import LateLinks
    from chalicelib.storage.mail import MailStore
    from chalicelib.storage.marketing import MarketingRepository
    from chalicelib.storage.orders import StorefrontRecords
    from chalicelib.storage.paypal_events import PaypalEventStore
    from chalicelib.storage.privacy_requests import RequestRepository
    from chalicelib.storage.processor_batches import ProcessorBatches
    from chalicelib.storage.rate_limits import RateLimits
    from chalicelib.storage.restrictions import DynamoRestrictions, RestrictionStore
    from chalicelib.storage.runs import DueStore, RunStore
    from chalicelib.storage.sealed_writes import SealedWrites
    from chalicelib.storage.subject_data import SubjectDataRepository
    from chalicelib.storage.subject_keys import DynamoSubjectKeyRepository
    from chalicelib.storage.suppression_list import DynamoSuppressionList
    from chalicelib.storage.table import DynamoTable


class Container:
    def __init__(self, settings: Settings, clock: Clock | None = None, **ports: Any) -> None:
        self.settings = settings
        self.clock: Clock = clock or SystemClock()
        self.override(**ports)

    def override(self, **ports: Any) -> None:
        """Replace ports (tests): only names this class defines, before or after they were built."""
        for name, port in ports.items():
            if not isinstance(getattr(type(self), name, None), cached_property):
                raise TypeError(f"the container has no port {name!r}")
            self.__dict__[name] = port

    def now(self) -> int:
        return int(self.clock.now())

    # -- rules and identities -------------------------------------------------------------------------------------
    @cached_property
    def store_policy(self) -> StorePolicy:
        """The store's promises (STORE_POLICY), parsed once per process."""
        from chalicelib.policy import cached_policy

        return cached_policy(self.settings.store_policy)

    @cached_property
    def policy(self) -> RetentionPolicy:
        """The retention rules of the store's policy, with the stage's RETENTION_OVERRIDES."""
        from chalicelib.policy import retention_policy

        return retention_policy(self.store_policy, self.settings.retention_overrides)

    @cached_property
    def pepper(self) -> str:
        from chalicelib.secrets import Secret, get_secret

        return get_secret(Secret.SUBJECT_PEPPER)

    @cached_property
    def token_key(self) -> str:
        """Keys the hashes of verification and download tokens (the pepper when no key of its own is set)."""
        from chalicelib.secrets import Secret, get_secret

        return get_secret(Secret.VERIFICATION_TOKEN_KEY, required=False) or self.pepper

    def subject_for_email(self, email: str) -> str:
        from chalicelib.domain.subjects import subject_id

        return subject_id(email, self.pepper)

    # -- tables ---------------------------------------------------------------------------------------------------
    @cached_property
    def table(self) -> DynamoTable:
        from chalicelib import aws
        from chalicelib.storage.table import DynamoTable

        return DynamoTable(aws.dynamodb(), self.settings.table_name)

    @cached_property
    def keys_table(self) -> DynamoTable:
        from chalicelib import aws
        from chalicelib.storage.table import DynamoTable

        return DynamoTable(aws.dynamodb(), self.settings.keys_table_name)

    # -- keys and sealing -----------------------------------------------------------------------------------------
    @cached_property
    def subject_keys(self) -> DynamoSubjectKeyRepository:
        from chalicelib.storage.subject_keys import DynamoSubjectKeyRepository

        return DynamoSubjectKeyRepository(self.keys_table)

    @cached_property
    def key_wrapper(self) -> KeyWrapper:
        from chalicelib import aws
        from chalicelib.adapters.kms import KmsKeyWrapper

        return KmsKeyWrapper(aws.kms, self.settings.kms_key_id)

    @cached_property
    def vault(self) -> SubjectVault:
        from chalicelib.crypto.vault import SubjectVault

        return SubjectVault(self.subject_keys, self.key_wrapper, self.policy, self.clock)

    @cached_property
    def sealed_writes(self) -> SealedWrites:
        from chalicelib.storage.sealed_writes import SealedWrites

        return SealedWrites(self.table, self.subject_keys, self.vault, self.restriction_guards)

    @cached_property
    def restriction_guards(self) -> DynamoRestrictions:
        from chalicelib.storage.restrictions import DynamoRestrictions

        return DynamoRestrictions(self.table, self.policy)

    @cached_property
    def restrictions(self) -> RestrictionStore:
        """Restriction of processing (GDPR Art. 18); the same items the sealed writes' guard checks."""
        return self.restriction_guards

    # -- repositories ---------------------------------------------------------------------------------------------
    @cached_property
    def consent(self) -> ConsentRepository:
        from chalicelib.storage.consent import DynamoConsentRepository

        return DynamoConsentRepository(self.table, self.policy, self.sealed_writes)

    @cached_property
    def marketing(self) -> MarketingRepository:
        from chalicelib.storage.marketing import DynamoMarketingRepository

        return DynamoMarketingRepository(self.table, self.policy, self.sealed_writes, self.suppression_list)

    # -- marketing senders (the store's mailing tool) ------------------------------------------------------------
    @cached_property
    def suppression_list(self) -> DynamoSuppressionList:
        from chalicelib.storage.suppression_list import DynamoSuppressionList

        return DynamoSuppressionList(self.keys_table)

    @cached_property
    def sender_keys(self) -> SenderKeys:
        from chalicelib.crypto.unsubscribe_token import derive_key
        from chalicelib.domain.marketing_senders import SenderKeys
        from chalicelib.secrets import Secret, get_secret

        return SenderKeys(lambda: get_secret(Secret.MARKETING_API_KEY_SHA256, required=False),
                          lambda: get_secret(Secret.MARKETING_LIST_KEY, required=False), derive_key(self.token_key))

    @cached_property
    def storefront_records(self) -> StorefrontRecords:
        from chalicelib.storage.orders import DynamoStorefrontRecords

        return DynamoStorefrontRecords(self.table, self.policy, self.sealed_writes)

    @cached_property
    def paypal_events(self) -> PaypalEventStore:
        from chalicelib.storage.paypal_events import DynamoPaypalEventStore

        return DynamoPaypalEventStore(self.table, self.policy, self.sealed_writes)

    # -- Airwallex -------------------------------------------------------------------------------------------------
    @cached_property
    def airwallex_events(self) -> AirwallexStore:
        from chalicelib.storage.airwallex_events import DynamoAirwallexStore

        return DynamoAirwallexStore(self.table, self.policy, self.sealed_writes)
    # -- end Airwallex ---------------------------------------------------------------------------------------------

    @cached_property
    def privacy_requests(self) -> RequestRepository:
        from chalicelib.storage.privacy_requests import DynamoRequestRepository

        return DynamoRequestRepository(self.table, self.policy, self.sealed_writes, self.pepper)

    @cached_property
    def rate_limits(self) -> RateLimits:
        from chalicelib.storage.rate_limits import DynamoRateLimits

        return DynamoRateLimits(self.table)

    @cached_property
    def subject_data(self) -> SubjectDataRepository:
        from chalicelib.storage.subject_data import DynamoSubjectData

        return DynamoSubjectData(self.table)

    @cached_property
    def mail_store(self) -> MailStore:
        from chalicelib.storage.mail import DynamoMailStore

        return DynamoMailStore(self.table, self.policy, self.subject_keys)

    @cached_property
    def run_store(self) -> RunStore:
        from chalicelib.storage.runs import DynamoRunStore

        return DynamoRunStore(self.table, self.policy)

    @cached_property
    def due_store(self) -> DueStore:
        from chalicelib.storage.runs import DynamoDueStore

        return DynamoDueStore(self.table, self.policy)

    # -- outgoing effects -----------------------------------------------------------------------------------------
    @cached_property
    def mailer(self) -> Mailer:
        from chalicelib import aws
        from chalicelib.adapters.mailer import SesMailer

        return SesMailer(aws.ses, self.settings.sender_email, self.settings.site_domain, self.now)

    @cached_property
    def exports(self) -> ExportsStore:
        from chalicelib import aws
        from chalicelib.adapters.exports_store import S3ExportsStore

        return S3ExportsStore(aws.s3, self.settings.exports_bucket, self.settings.kms_key_id)

    @cached_property
    def inbound_mail(self) -> InboundMail:
        from chalicelib import aws
        from chalicelib.adapters.inbound_mail import S3InboundMail

        return S3InboundMail(aws.s3, self.settings.inbound_bucket, self.settings.inbound_prefix)

    @cached_property
    def intake_queue(self) -> IntakeQueue:
        from chalicelib import aws
        from chalicelib.adapters.intake_queue import SqsIntakeQueue

        return SqsIntakeQueue(aws.sqs, self.settings.intake_queue_url)

    @cached_property
    def connectors(self) -> Connectors:
        """The processors' connectors (`api:<name>` in the policy), built on first use."""
        from chalicelib.adapters.processors import Connector, LazyConnectors
        from chalicelib.secrets import Secret, get_secret

        def ga4() -> Connector:
            from chalicelib.adapters.processors.ga4 import ga4_connector

            identifier = next((r.identifier for r in self.store_policy.recipients.values() if r.erasure == "api:ga4"),
                              "user_id")
            return ga4_connector(self.settings, self.http, get_secret(Secret.GA4_SERVICE_ACCOUNT, required=False),
                                 identifier=identifier)

        def botpress() -> Connector:
            from chalicelib.adapters.processors.botpress import botpress_connector

            return botpress_connector(self.settings, self.http, get_secret(Secret.BOTPRESS_TOKEN, required=False))

        return LazyConnectors({"ga4": ga4, "botpress": botpress})

    @cached_property
    def processor_batches(self) -> ProcessorBatches:
        from chalicelib.storage.processor_batches import DynamoProcessorBatches

        return DynamoProcessorBatches(self.table, self.policy)

    # -- corrections (GDPR Art. 16): the records' reseal and the store's REST API ----------------------------------
    @cached_property
    def corrections(self) -> Corrections:
        from chalicelib.storage.corrections import DynamoCorrections

        return DynamoCorrections(self.table, self.sealed_writes)

    @cached_property
    def store_api(self) -> WooCommerceApi:
        """The store's WooCommerce REST API at WOOCOMMERCE_API_BASE, with its consumer key and secret."""
        from chalicelib.adapters.woocommerce_api import WooCommerceApi
        from chalicelib.secrets import Secret, get_secret

        def credentials() -> tuple[str, str]:
            return (get_secret(Secret.WOOCOMMERCE_CONSUMER_KEY, required=False),
                    get_secret(Secret.WOOCOMMERCE_CONSUMER_SECRET, required=False))

        return WooCommerceApi(self.http, self.settings.woocommerce_api_base, credentials,
                              timeout=self.settings.woocommerce_api_timeout_seconds)

    @cached_property
    def http(self) -> HttpPort:
        from chalicelib.adapters.http_client import UrllibHttp

        return UrllibHttp()

    # -- webhooks -------------------------------------------------------------------------------------------------
    @cached_property
    def paypal_roots(self) -> list[Certificate] | None:
        """PayPal's pinned trust anchors (None: the bundled roots)."""
        return None

    @cached_property
    def paypal_certificates(self) -> CertificateStore:
        from chalicelib.signatures.paypal import CertificateStore

        return CertificateStore(self.http)

    @cached_property
    def paypal_verifier(self) -> WebhookVerifier:
        settings = self.settings
        if settings.paypal_verify_mode == "postback":
            from chalicelib.secrets import Secret, get_secret
            from chalicelib.signatures.paypal_postback import PostbackVerifier

            return PostbackVerifier(self.http, settings.paypal_api_base, settings.paypal_client_id,
                                    lambda: get_secret(Secret.PAYPAL_CLIENT_SECRET), settings.paypal_webhook_id)
        from chalicelib.signatures.paypal import CertificateVerifier

        return CertificateVerifier(self.paypal_certificates, settings.paypal_webhook_id, self.clock,
                                   anchors=self.paypal_roots)

    def woocommerce_secret(self) -> str:
        """Read at each delivery (the secrets source caches it for five minutes, so a rotation takes effect)."""
        from chalicelib.secrets import Secret, get_secret

        return get_secret(Secret.WOOCOMMERCE_WEBHOOK_SECRET)

    # -- Airwallex -------------------------------------------------------------------------------------------------
    def airwallex_secret(self) -> str:
        """Read at each delivery (cached five minutes by the secrets source, so a rotation takes effect)."""
        from chalicelib.secrets import Secret, get_secret

        return get_secret(Secret.AIRWALLEX_WEBHOOK_SECRET)
    # -- end Airwallex ---------------------------------------------------------------------------------------------

    @cached_property
    def webhook_ports(self) -> WebhookPorts:
        from chalicelib.services.webhook_ports import WebhookPorts
        from chalicelib.services.webhook_sealing import SubjectSealer

        return WebhookPorts(records=self.storefront_records, events=self.paypal_events,
                            airwallex=self.airwallex_events,  # Airwallex
                            sealer=SubjectSealer(self.vault), policy=self.policy,
                            subject_for_email=self.subject_for_email, pepper=self.pepper, now=self.now,
                            store_ip=self.store_policy.ip_addresses.store != "none")

    @cached_property
    def late_links(self) -> LateLinks:
        from chalicelib.storage.late_links import DynamoLateLinks

        return DynamoLateLinks(self.table, self.sealed_writes)

    # -- BitPay (begin) -------------------------------------------------------------------------------------------
    @cached_property
    def bitpay_invoices(self) -> BitpayInvoiceStore:
        from chalicelib.storage.bitpay_invoices import DynamoBitpayInvoiceStore

        return DynamoBitpayInvoiceStore(self.table, self.policy, self.sealed_writes)

    @cached_property
    def bitpay_api(self) -> InvoiceApi:
        """BitPay's invoice API at BITPAY_API_BASE (a setting, never the request), with BITPAY_API_TOKEN."""
        from chalicelib.secrets import Secret, get_secret
        from chalicelib.signatures.bitpay import InvoiceApi

        return InvoiceApi(self.http, self.settings.bitpay_api_base, lambda: get_secret(Secret.BITPAY_API_TOKEN),
                          timeout=self.settings.bitpay_api_timeout_seconds)

    def bitpay_webhook_token(self) -> str:
        """BITPAY_WEBHOOK_TOKEN, or "" when not configured (then x-signature is not checked)."""
        from chalicelib.secrets import Secret, get_secret

        return get_secret(Secret.BITPAY_WEBHOOK_TOKEN, required=False)

    @cached_property
    def bitpay_ports(self) -> BitpayPorts:
        from chalicelib.services.record_bitpay import BitpayPorts

        return BitpayPorts(webhook=self.webhook_ports, invoices=self.bitpay_invoices, api=self.bitpay_api)
    # -- BitPay (end) ---------------------------------------------------------------------------------------------


_container: Container | None = None


def get_container() -> Container:
    global _container
    if _container is None:
        _container = Container(get_settings())
    return _container


def set_container(container: Container | None) -> None:
    """Install a container (tests), or None to rebuild from the environment on next use."""
    global _container
    _container = container
