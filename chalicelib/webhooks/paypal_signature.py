"""PayPal webhook verification.

Certificate mode (default, offline apart from fetching the signing certificate once):
    signed string = transmission_id|transmission_time|webhook_id|crc32(raw body) as an unsigned decimal
    signature     = base64 RSA PKCS#1 v1.5 SHA-256 over the signed string (PAYPAL-TRANSMISSION-SIG)
The certificate comes only from `https://<PayPal API host>/v1/notifications/certs/<name>` (checked before any
request: SSRF guard), and is checked at the verification clock's time: the leaf's validity period, a subject CN
that is `paypal.com` or ends with `.paypal.com`, an RSA key, and each certificate of the served chain signed by the
next one (and valid).  The root of the chain is not checked against a trust store: offline there is none; TLS to
PayPal's API host is what vouches for the served chain.

Postback mode: PayPal's `verify-webhook-signature` API with the raw event spliced in verbatim (see
`paypal_postback`).
"""

from __future__ import annotations

import base64
import binascii
import itertools
import re
import time
import zlib
from collections import OrderedDict
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Protocol
from urllib.parse import urlsplit

from chalicelib.domain.clock import Clock
from chalicelib.errors import UnauthorizedError
from chalicelib.webhooks.http import HttpError, HttpPort

if TYPE_CHECKING:
    from cryptography.x509 import Certificate

CERT_HOSTS = frozenset({"api.paypal.com", "api-m.paypal.com", "api.sandbox.paypal.com", "api-m.sandbox.paypal.com"})
CERT_PATH_PREFIX = "/v1/notifications/certs/"
AUTH_ALGO = "SHA256withRSA"
_CERT_NAME = re.compile(r"^[A-Za-z0-9._-]{1,128}$")
_URL_CHARS = re.compile(r"^[\x21-\x7e]+$")

TRANSMISSION_ID = "paypal-transmission-id"
TRANSMISSION_TIME = "paypal-transmission-time"
TRANSMISSION_SIG = "paypal-transmission-sig"
CERT_URL = "paypal-cert-url"
AUTH_ALGO_HEADER = "paypal-auth-algo"

REFUSED = "missing or invalid webhook signature"


class WebhookVerifier(Protocol):
    def verify(self, headers: Mapping[str, str], body: bytes) -> None:
        """Raise UnauthorizedError unless the delivery is PayPal's."""
        ...


def header(headers: Mapping[str, str], name: str) -> str | None:
    """Case-insensitive header lookup (Chalice's mapping is, a plain dict is not)."""
    value = headers.get(name)
    if value is None:
        lowered = {str(k).lower(): v for k, v in headers.items()}
        value = lowered.get(name.lower())
    return str(value).strip() if value is not None else None


def required(headers: Mapping[str, str], name: str) -> str:
    value = header(headers, name)
    if not value:
        raise UnauthorizedError(REFUSED)
    return value


def signed_string(transmission_id: str, transmission_time: str, webhook_id: str, body: bytes) -> str:
    return f"{transmission_id}|{transmission_time}|{webhook_id}|{zlib.crc32(body) & 0xFFFFFFFF}"


def check_cert_url(url: str) -> str:
    """The URL, normalised, if it names a certificate on PayPal's API hosts; UnauthorizedError otherwise.
    Called before any request is made (no other host is ever contacted)."""
    if not url or len(url) > 512 or not _URL_CHARS.match(url) or "\\" in url or "%" in url:
        raise UnauthorizedError(REFUSED)
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise UnauthorizedError(REFUSED) from None
    host = (parts.hostname or "").lower()
    ok = (
        parts.scheme.lower() == "https"
        and "@" not in parts.netloc
        and host in CERT_HOSTS
        and parts.netloc.lower() in (host, f"{host}:443")
        and port in (None, 443)
        and parts.path.startswith(CERT_PATH_PREFIX)
        and bool(_CERT_NAME.match(parts.path[len(CERT_PATH_PREFIX):]))
        and ".." not in parts.path
        and not parts.query
        and not parts.fragment
    )
    if not ok:
        raise UnauthorizedError(REFUSED)
    return f"https://{host}{parts.path}"


def check_chain(chain: list[Certificate], at: datetime) -> Certificate:
    """The leaf certificate, if the chain passes the offline checks described in the module docstring."""
    from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
    from cryptography.x509.oid import NameOID

    if not chain:
        raise UnauthorizedError(REFUSED)
    leaf = chain[0]
    names = [str(attr.value).lower() for attr in leaf.subject.get_attributes_for_oid(NameOID.COMMON_NAME)]
    if not any(name == "paypal.com" or name.endswith(".paypal.com") for name in names):
        raise UnauthorizedError(REFUSED)
    if not isinstance(leaf.public_key(), RSAPublicKey):
        raise UnauthorizedError(REFUSED)
    for cert in chain:
        if not cert.not_valid_before_utc <= at <= cert.not_valid_after_utc:
            raise UnauthorizedError(REFUSED)
    for child, issuer in itertools.pairwise(chain):
        try:
            child.verify_directly_issued_by(issuer)
        except Exception:  # InvalidSignature, ValueError, TypeError (unsupported key types) alike
            raise UnauthorizedError(REFUSED) from None
    return leaf


def verify_signature(leaf: Certificate, message: str, signature_b64: str) -> None:
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding
    from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey

    try:
        signature = base64.b64decode(signature_b64, validate=True)
    except (binascii.Error, ValueError):
        raise UnauthorizedError(REFUSED) from None
    key = leaf.public_key()
    if not isinstance(key, RSAPublicKey):
        raise UnauthorizedError(REFUSED)
    try:
        key.verify(signature, message.encode(), padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature:
        raise UnauthorizedError(REFUSED) from None


class CertificateStore:
    """Fetches PayPal's signing certificates (SSRF-guarded) and caches them per URL, bounded, for `ttl` seconds."""

    def __init__(self, http: HttpPort, *, ttl_seconds: float = 6 * 3600, max_entries: int = 8) -> None:
        self.http = http
        self.ttl = ttl_seconds
        self.max_entries = max_entries
        self._cache: OrderedDict[str, tuple[float, list[Certificate]]] = OrderedDict()
        self.fetches = 0

    def chain(self, url: str) -> list[Certificate]:
        url = check_cert_url(url)
        entry = self._cache.get(url)
        if entry and time.monotonic() - entry[0] < self.ttl:
            return entry[1]
        chain = self._fetch(url)
        self._cache[url] = (time.monotonic(), chain)
        self._cache.move_to_end(url)
        while len(self._cache) > self.max_entries:
            self._cache.popitem(last=False)
        return chain

    def _fetch(self, url: str) -> list[Certificate]:
        from cryptography import x509

        self.fetches += 1
        try:
            response = self.http.request("GET", url, headers={"Accept": "application/x-pem-file, */*"})
        except HttpError:
            raise UnauthorizedError(REFUSED) from None
        if response.status != 200:
            raise UnauthorizedError(REFUSED)
        try:
            return list(x509.load_pem_x509_certificates(response.body))
        except ValueError:
            raise UnauthorizedError(REFUSED) from None


class CertificateVerifier:
    """Certificate mode: offline RSA verification against PayPal's certificate (fetched once, cached)."""

    def __init__(self, store: CertificateStore, webhook_id: str, clock: Clock) -> None:
        self.store = store
        self.webhook_id = webhook_id
        self.clock = clock

    def verify(self, headers: Mapping[str, str], body: bytes) -> None:
        if not self.webhook_id:
            raise UnauthorizedError(REFUSED)
        transmission_id = required(headers, TRANSMISSION_ID)
        transmission_time = required(headers, TRANSMISSION_TIME)
        signature = required(headers, TRANSMISSION_SIG)
        cert_url = required(headers, CERT_URL)
        algo = header(headers, AUTH_ALGO_HEADER)
        if algo and algo != AUTH_ALGO:
            raise UnauthorizedError(REFUSED)
        chain = self.store.chain(cert_url)
        at = datetime.fromtimestamp(self.clock.now(), tz=UTC)
        leaf = check_chain(chain, at)
        verify_signature(leaf, signed_string(transmission_id, transmission_time, self.webhook_id, body), signature)
