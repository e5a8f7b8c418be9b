"""Wiring of the webhook feature from the container (each piece built once per process, `container.memo`).

Tests replace a piece by memoising it first, e.g. `container.memo(HTTP, lambda c: fake_http)`.
"""

from __future__ import annotations

from typing import Any

from chalicelib.webhooks.http import HttpPort
from chalicelib.webhooks.paypal_signature import WebhookVerifier
from chalicelib.webhooks.ports import WebhookPorts

HTTP = "webhooks.http"
PORTS = "webhooks.ports"
VERIFIER = "webhooks.paypal_verifier"
CERTIFICATES = "webhooks.paypal_certificates"
ROOTS = "webhooks.paypal_roots"  # the certificate verifier's trust anchors; None: the bundled paypal_roots.pem


def http_port(container: Any) -> HttpPort:
    from chalicelib.webhooks.http import UrllibHttp

    return container.memo(HTTP, lambda c: UrllibHttp())  # type: ignore[no-any-return]


def webhook_ports(container: Any) -> WebhookPorts:
    def build(c: Any) -> WebhookPorts:
        from chalicelib.storage.orders import storefront_records
        from chalicelib.storage.paypal_events import paypal_events
        from chalicelib.webhooks.sealing import SubjectSealer

        return WebhookPorts(records=storefront_records(c), events=paypal_events(c), sealer=SubjectSealer(c.vault),
                            policy=c.policy, subject_for_email=c.subject_for_email, pepper=c.pepper, now=c.now)

    return container.memo(PORTS, build)  # type: ignore[no-any-return]


def paypal_verifier(container: Any) -> WebhookVerifier:
    def build(c: Any) -> WebhookVerifier:
        settings = c.settings
        if settings.paypal_verify_mode == "postback":
            from chalicelib.secrets import Secret, get_secret
            from chalicelib.webhooks.paypal_postback import PostbackVerifier

            return PostbackVerifier(http_port(c), settings.paypal_api_base, settings.paypal_client_id,
                                    lambda: get_secret(Secret.PAYPAL_CLIENT_SECRET), settings.paypal_webhook_id)
        from chalicelib.webhooks.paypal_signature import CertificateStore, CertificateVerifier

        store = c.memo(CERTIFICATES, lambda inner: CertificateStore(http_port(inner)))
        anchors = c.memo(ROOTS, lambda inner: None)  # tests pin a test root: container.memo(ROOTS, lambda c: [root])
        return CertificateVerifier(store, settings.paypal_webhook_id, c.clock, anchors)

    return container.memo(VERIFIER, build)  # type: ignore[no-any-return]


def woocommerce_secret() -> str:
    from chalicelib.secrets import Secret, get_secret

    return get_secret(Secret.WOOCOMMERCE_WEBHOOK_SECRET)
