"""PayPal webhook verification.

Certificate mode (default; offline apart from fetching certificates, each fetch cached):
    signed string = transmission_id|transmission_time|webhook_id|crc32(raw body) as an unsigned decimal
    signature     = base64 RSA PKCS#1 v1.5 SHA-256 over the signed string (PAYPAL-TRANSMISSION-SIG)
What is verified, in order (any failure: UnauthorizedError(REFUSED), the same 401 whichever check failed):
1. The certificate URL names `https://<PayPal API host>/v1/notifications/certs/<name>` (`check_cert_url`, before
   any request: SSRF guard); the chain served there is fetched through the HTTP port (no redirects, bounded, timeout).
2. The leaf (first certificate served) has a subjectAltName DNS name that is `paypal.com` or ends with
   `.paypal.com`, and an RSA key (`check_leaf`).
3. If the served certificates do not include the leaf's issuer (PayPal may serve the leaf alone), the issuer is
   fetched from the leaf's Authority Information Access `caIssuers` URL, only from `cacerts.digicert.com` (http or
   https, path `/<name>.crt`; `check_issuer_url`, before any request), DER or PEM, bounded, cached.  A certificate
   fetched this way is trusted only because step 4 then succeeds.
4. `cryptography.x509.verification`: a path from the leaf through the served/fetched intermediates to one of the
   pinned trust anchors (default: `paypal_roots.pem` next to this module, DigiCert roots; a constructor parameter
   so tests can pin a test root), at the verification clock's time, for that DNS name (server verifier: validity of
   every certificate, signatures, basic constraints, key usage, name constraints, CA/B Forum (web PKI) extension
   profile), plus an extendedKeyUsage that must be present on the leaf and contain serverAuth (`verify_path`).
5. The signature over the signed string with the leaf's key (`verify_signature`).
Not checked: revocation (no CRL/OCSP), and the transmission time's freshness (replays are deduplicated by event id).

Postback mode: PayPal's `verify-webhook-signature` API with the raw event spliced in verbatim (see
`paypal_postback`).
"""

from __future__ import annotations

import base64
import binascii
import re
import time
import zlib
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Protocol
from urllib.parse import SplitResult, urlsplit

from chalicelib.adapters.http_client import TIMEOUT_SECONDS, HttpError, HttpPort
from chalicelib.domain.clock import Clock
from chalicelib.errors import UnauthorizedError

if TYPE_CHECKING:
    from cryptography.x509 import Certificate, ExtendedKeyUsage, Name
    from cryptography.x509.verification import ExtensionPolicy, Policy, Store

CERT_HOSTS = frozenset({"api.paypal.com", "api-m.paypal.com", "api.sandbox.paypal.com", "api-m.sandbox.paypal.com"})
CERT_PATH_PREFIX = "/v1/notifications/certs/"
ISSUER_HOSTS = frozenset({"cacerts.digicert.com"})
AUTH_ALGO = "SHA256withRSA"
PAYPAL_DOMAIN = "paypal.com"
ROOTS_FILE = Path(__file__).with_name("paypal_roots.pem")
MAX_CERT_BYTES = 64 * 1024  # a served chain or a fetched issuer; real ones are a few KB
MAX_CERTS = 8
_CERT_NAME = re.compile(r"^[A-Za-z0-9._-]{1,128}$")
_ISSUER_PATH = re.compile(r"^/[A-Za-z0-9._-]{1,128}\.crt$")
_URL_CHARS = re.compile(r"^[\x21-\x7e]+$")
_DNS_NAME = re.compile(r"^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
_DEFAULT_PORTS = {"http": 80, "https": 443}

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


def _split(url: str, schemes: Mapping[str, int], hosts: frozenset[str]) -> tuple[str, str, SplitResult]:
    """(scheme, host, parts) if `url` is a plain URL on one of `hosts` with one of `schemes` at its default port and
    no user info, query, fragment, `%`, `\\` or `..`; UnauthorizedError otherwise."""
    if not url or len(url) > 512 or not _URL_CHARS.match(url) or "\\" in url or "%" in url:
        raise UnauthorizedError(REFUSED)
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise UnauthorizedError(REFUSED) from None
    scheme, host = parts.scheme.lower(), (parts.hostname or "").lower()
    default = schemes.get(scheme)
    ok = (
        default is not None
        and "@" not in parts.netloc
        and host in hosts
        and parts.netloc.lower() in (host, f"{host}:{default}")
        and port in (None, default)
        and ".." not in parts.path
        and not parts.query
        and not parts.fragment
    )
    if not ok:
        raise UnauthorizedError(REFUSED)
    return scheme, host, parts


def check_cert_url(url: str) -> str:
    """The URL, normalised, if it names a certificate on PayPal's API hosts; UnauthorizedError otherwise.
    Called before any request is made (no other host is ever contacted)."""
    _, host, parts = _split(url, {"https": 443}, CERT_HOSTS)
    if not parts.path.startswith(CERT_PATH_PREFIX) or not _CERT_NAME.match(parts.path[len(CERT_PATH_PREFIX):]):
        raise UnauthorizedError(REFUSED)
    return f"https://{host}{parts.path}"


def check_issuer_url(url: str) -> str:
    """The URL, normalised, if it names an issuing CA certificate on DigiCert's AIA host (`http(s)://
    cacerts.digicert.com/<name>.crt`); UnauthorizedError otherwise.  Called before any request is made."""
    scheme, host, parts = _split(url, _DEFAULT_PORTS, ISSUER_HOSTS)
    if not _ISSUER_PATH.match(parts.path):
        raise UnauthorizedError(REFUSED)
    return f"{scheme}://{host}{parts.path}"


@cache
def bundled_roots() -> tuple[Certificate, ...]:
    """The pinned trust anchors shipped with the code (`paypal_roots.pem`), loaded once per process."""
    from cryptography import x509

    return tuple(x509.load_pem_x509_certificates(ROOTS_FILE.read_bytes()))


def check_leaf(leaf: Certificate) -> str:
    """The leaf's PayPal DNS name (from subjectAltName: `paypal.com` or `*.paypal.com`, no wildcard) if its key is
    RSA; UnauthorizedError otherwise."""
    from cryptography import x509
    from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey

    try:
        names = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value \
            .get_values_for_type(x509.DNSName)
        rsa = isinstance(leaf.public_key(), RSAPublicKey)
    except Exception:  # no SAN, malformed extensions, unsupported key types alike
        raise UnauthorizedError(REFUSED) from None
    for name in names:
        lowered = name.lower()
        if rsa and (lowered == PAYPAL_DOMAIN or lowered.endswith("." + PAYPAL_DOMAIN)) and _DNS_NAME.match(lowered):
            return lowered
    raise UnauthorizedError(REFUSED)


def issuer_url(leaf: Certificate) -> str:
    """The first caIssuers URL of the leaf's Authority Information Access that `check_issuer_url` allows
    (normalised); UnauthorizedError if there is none."""
    from cryptography import x509
    from cryptography.x509.oid import AuthorityInformationAccessOID

    try:
        access = leaf.extensions.get_extension_for_class(x509.AuthorityInformationAccess).value
    except Exception:
        raise UnauthorizedError(REFUSED) from None
    for description in access:
        location = description.access_location
        if description.access_method == AuthorityInformationAccessOID.CA_ISSUERS \
                and isinstance(location, x509.UniformResourceIdentifier):
            try:
                return check_issuer_url(location.value)
            except UnauthorizedError:
                continue
    raise UnauthorizedError(REFUSED)


def _require_server_auth(policy: Policy, cert: Certificate, eku: ExtendedKeyUsage) -> None:
    from cryptography.x509.oid import ExtendedKeyUsageOID

    if ExtendedKeyUsageOID.SERVER_AUTH not in eku:
        raise ValueError("extendedKeyUsage without serverAuth")


@cache
def _leaf_policy() -> ExtensionPolicy:
    """The web PKI end-entity profile, except that extendedKeyUsage must be present (the default also accepts a leaf
    without one) and contain serverAuth."""
    from cryptography import x509
    from cryptography.x509.verification import Criticality, ExtensionPolicy

    return ExtensionPolicy.webpki_defaults_ee().require_present(
        x509.ExtendedKeyUsage, Criticality.AGNOSTIC, _require_server_auth)


def verify_path(leaf: Certificate, intermediates: Sequence[Certificate], trust: Store, name: str,
                at: datetime) -> None:
    """UnauthorizedError unless the leaf chains to an anchor of `trust` through `intermediates`, for DNS name `name`,
    at `at` (see step 4 of the module docstring)."""
    from cryptography import x509
    from cryptography.x509.verification import ExtensionPolicy, PolicyBuilder

    try:
        verifier = (PolicyBuilder().store(trust).time(at)
                    .extension_policies(ca_policy=ExtensionPolicy.webpki_defaults_ca(), ee_policy=_leaf_policy())
                    .build_server_verifier(x509.DNSName(name)))
        verifier.verify(leaf, list(intermediates))
    except Exception:  # VerificationError, ValueError, TypeError alike: never a 500, never which check failed
        raise UnauthorizedError(REFUSED) from None


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


def _load_certificates(body: bytes) -> list[Certificate]:
    """PEM (one or more certificates) or a single DER certificate; UnauthorizedError if neither, or too many."""
    from cryptography import x509

    try:
        if body.lstrip().startswith(b"-----BEGIN"):
            certs = list(x509.load_pem_x509_certificates(body))
        else:
            certs = [x509.load_der_x509_certificate(body)]
    except ValueError:
        raise UnauthorizedError(REFUSED) from None
    if not certs or len(certs) > MAX_CERTS:
        raise UnauthorizedError(REFUSED)
    return certs


class CertificateStore:
    """Fetches PayPal's signing certificates and the issuers their AIA names (both SSRF-guarded, bounded) and caches
    them per URL, bounded (`max_entries` each), for `ttl` seconds.  Failed fetches are not cached."""

    def __init__(self, http: HttpPort, *, ttl_seconds: float = 6 * 3600, max_entries: int = 8) -> None:
        self.http = http
        self.ttl = ttl_seconds
        self.max_entries = max_entries
        self._chains: OrderedDict[str, tuple[float, list[Certificate]]] = OrderedDict()
        self._issuers: OrderedDict[str, tuple[float, list[Certificate]]] = OrderedDict()
        self.fetches = 0

    def chain(self, url: str) -> list[Certificate]:
        """The certificates served at a PayPal cert URL (leaf first)."""
        return self._cached(self._chains, check_cert_url(url), "application/x-pem-file, */*")

    def issuers(self, url: str) -> list[Certificate]:
        """The certificate(s) served at an allowed caIssuers URL (not trusted by themselves)."""
        return self._cached(self._issuers, check_issuer_url(url),
                            "application/pkix-cert, application/x-x509-ca-cert, application/x-pem-file, */*")

    def _cached(self, cache: OrderedDict[str, tuple[float, list[Certificate]]], url: str,
                accept: str) -> list[Certificate]:
        entry = cache.get(url)
        if entry and time.monotonic() - entry[0] < self.ttl:
            return entry[1]
        certs = self._fetch(url, accept)
        cache[url] = (time.monotonic(), certs)
        cache.move_to_end(url)
        while len(cache) > self.max_entries:
            cache.popitem(last=False)
        return certs

    def _fetch(self, url: str, accept: str) -> list[Certificate]:
        self.fetches += 1
        try:
            response = self.http.request("GET", url, headers={"Accept": accept}, timeout=TIMEOUT_SECONDS)
        except HttpError:
            raise UnauthorizedError(REFUSED) from None
        if response.status != 200 or not response.body or len(response.body) > MAX_CERT_BYTES:
            raise UnauthorizedError(REFUSED)
        return _load_certificates(response.body)


class CertificateVerifier:
    """Certificate mode: the chain verified to pinned roots, then RSA verification with the leaf (module docstring).

    `anchors`: the trust anchors; None (the default) means the bundled `paypal_roots.pem`, loaded on first use."""

    def __init__(self, store: CertificateStore, webhook_id: str, clock: Clock,
                 anchors: Sequence[Certificate] | None = None) -> None:
        self.store = store
        self.webhook_id = webhook_id
        self.clock = clock
        self._anchors = anchors
        self._trust: tuple[Store, frozenset[Name]] | None = None

    def _trust_store(self) -> tuple[Store, frozenset[Name]]:
        if self._trust is None:
            from cryptography.x509.verification import Store

            try:
                anchors = list(self._anchors if self._anchors is not None else bundled_roots())
                self._trust = (Store(anchors), frozenset(anchor.subject for anchor in anchors))
            except Exception:  # an empty, unreadable or unusable set of anchors trusts nothing
                raise UnauthorizedError(REFUSED) from None
        return self._trust

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
        if not chain:
            raise UnauthorizedError(REFUSED)
        leaf, served = chain[0], chain[1:]
        name = check_leaf(leaf)
        trust, anchor_names = self._trust_store()
        intermediates = served + self._missing_issuer(leaf, served, anchor_names.__contains__)
        verify_path(leaf, intermediates, trust, name, datetime.fromtimestamp(self.clock.now(), tz=UTC))
        verify_signature(leaf, signed_string(transmission_id, transmission_time, self.webhook_id, body), signature)

    def _missing_issuer(self, leaf: Certificate, served: list[Certificate],
                        is_anchor: Callable[[Name], bool]) -> list[Certificate]:
        """The leaf's issuer from its AIA if neither the served certificates nor the anchors have its name (what
        browsers do with a server that sends no intermediates); nothing otherwise."""
        try:
            present = is_anchor(leaf.issuer) or any(cert.subject == leaf.issuer for cert in served)
        except Exception:  # undecodable names
            raise UnauthorizedError(REFUSED) from None
        return [] if present else self.store.issuers(issuer_url(leaf))
