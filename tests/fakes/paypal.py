"""PayPal as it signs deliveries: the real sandbox vectors, and a test PKI (root, intermediate, leaf) that signs."""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

from chalicelib.adapters.http_client import HttpError, HttpResponse
from chalicelib.domain.clock import FixedClock
from chalicelib.signatures.paypal import CertificateStore, CertificateVerifier, signed_string
from tests.conftest import EVENTS

VECTORS_DIR = EVENTS / "paypal" / "test_vectors"


VECTORS = json.loads((VECTORS_DIR / "vectors.json").read_text())


CERT_PEM = (VECTORS_DIR / VECTORS[0]["cert_file"]).read_bytes()


REAL_ISSUER_URL = "http://cacerts.digicert.com/DigiCertSHA2ExtendedValidationServerCA.crt"


class FakeHttp:
    """An HTTP port that serves canned answers by URL and records every request."""

    def __init__(self, answers: Mapping[str, HttpResponse | list[HttpResponse]]) -> None:
        self.answers = dict(answers)
        self.requested: list[str] = []
        self.bodies: list[bytes | None] = []
        self.headers: list[dict[str, str]] = []
        self.timeouts: list[float] = []

    def request(self, method: str, url: str, *, headers: Mapping[str, str] | None = None,
                body: bytes | None = None, timeout: float = 5.0) -> HttpResponse:
        self.requested.append(url)
        self.bodies.append(body)
        self.headers.append(dict(headers or {}))
        self.timeouts.append(timeout)
        answer = self.answers.get(url)
        if answer is None:
            raise HttpError("unreachable")
        if isinstance(answer, list):
            return answer.pop(0) if len(answer) > 1 else answer[0]
        return answer


LEAF_NAME = "messageverificationcerts.paypal.com"


AIA_URL = "http://cacerts.digicert.com/LocalTestPaypalIntermediate.crt"


START = datetime(2026, 1, 1, tzinfo=UTC)


NOW_2026 = datetime(2026, 11, 23, 12, tzinfo=UTC)


SERVER_AND_CLIENT = ("serverAuth", "clientAuth")


@cache
def rsa_key(label: str) -> Any:
    from cryptography.hazmat.primitives.asymmetric import rsa

    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _name(cn: str) -> Any:
    from cryptography import x509
    from cryptography.x509.oid import NameOID

    return x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "DE"),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Local Test PKI"),
                      x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _key_usage(*, ca: bool) -> Any:
    from cryptography import x509

    return x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=not ca,
                         data_encipherment=False, key_agreement=False, key_cert_sign=ca, crl_sign=ca,
                         encipher_only=False, decipher_only=False)


def issue(cn: str, key: Any, *, issuer: Any = None, issuer_key: Any = None, ca: bool = False,
          basic_ca: bool | None = None, path_length: int | None = None, san: Sequence[str] = (LEAF_NAME,),
          eku: Sequence[str] | None = SERVER_AND_CLIENT, aia: str | None = AIA_URL, not_before: datetime = START,
          not_after: datetime | None = None, hash_name: str = "SHA256") -> Any:
    """A CA/B-style certificate: SKI/AKI, critical basic constraints and key usage, EKU; leaves also get SAN and AIA
    caIssuers.  Self-signed when `issuer` is None (a root: no AKI, no EKU)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.x509.oid import AuthorityInformationAccessOID, ExtendedKeyUsageOID

    signer = issuer_key or key
    asserted = ca if basic_ca is None else basic_ca
    builder = (x509.CertificateBuilder().subject_name(_name(cn))
               .issuer_name(issuer.subject if issuer is not None else _name(cn))
               .public_key(key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(not_before).not_valid_after(not_after or not_before + timedelta(days=730))
               .add_extension(x509.BasicConstraints(ca=asserted, path_length=path_length if asserted else None),
                              critical=True)
               .add_extension(_key_usage(ca=ca), critical=True)
               .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False))
    if issuer is not None:
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(signer.public_key()), critical=False)
        if eku:
            builder = builder.add_extension(
                x509.ExtendedKeyUsage([getattr(ExtendedKeyUsageOID, e.replace("Auth", "_auth").upper()) for e in eku]),
                critical=False)
    if not ca:
        if san:
            builder = builder.add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in san]),
                                            critical=False)
        if aia:
            builder = builder.add_extension(x509.AuthorityInformationAccess([x509.AccessDescription(
                AuthorityInformationAccessOID.CA_ISSUERS, x509.UniformResourceIdentifier(aia))]), critical=False)
    return builder.sign(signer, getattr(hashes, hash_name)())


@dataclass(frozen=True)
class Pki:
    root: Any
    intermediate: Any
    leaf: Any
    leaf_key: Any


@cache
def _default_root(label: str = "root") -> Any:
    return issue("Local Test Root CA", rsa_key(label), ca=True, not_before=datetime(2025, 1, 1, tzinfo=UTC),
                 not_after=datetime(2035, 1, 1, tzinfo=UTC))


def make_pki(*, root_label: str = "root", intermediate: Mapping[str, Any] | None = None,
             leaf: Mapping[str, Any] | None = None) -> Pki:
    """root -> intermediate -> leaf, the same names whichever root key (`root_label`) signs."""
    root = _default_root(root_label)
    inter_key, leaf_key = rsa_key(f"{root_label}-intermediate"), rsa_key("leaf")
    inter = issue("Local Test Paypal Intermediate", inter_key, issuer=root, issuer_key=rsa_key(root_label), ca=True,
                  path_length=0, **dict(intermediate or {}))
    leaf_kw = dict(leaf or {})
    cert = issue(leaf_kw.pop("cn", LEAF_NAME), leaf_kw.pop("key", leaf_key), issuer=inter, issuer_key=inter_key,
                 **leaf_kw)
    return Pki(root, inter, cert, leaf_key)


@cache
def default_pki() -> Pki:
    return make_pki()


def pem(*certs: Any) -> bytes:
    from cryptography.hazmat.primitives.serialization import Encoding

    return b"".join(cert.public_bytes(Encoding.PEM) for cert in certs)


def der(cert: Any) -> bytes:
    from cryptography.hazmat.primitives.serialization import Encoding

    return bytes(cert.public_bytes(Encoding.DER))


class LocalPaypal:
    """A PayPal stand-in: the test PKI's leaf for messageverificationcerts.paypal.com served at a PayPal cert URL by a
    fake HTTP port (with its intermediate, or alone with the intermediate at the leaf's AIA URL), a signer for
    deliveries (what PayPal does when it sends a webhook), and `install` to pin the test root in a container."""

    cert_url = "https://api-m.sandbox.paypal.com/v1/notifications/certs/CERT-local-test"

    def __init__(self, webhook_id: str, *, pki: Pki | None = None, leaf_only: bool = False,
                 aia_answer: HttpResponse | None = None) -> None:
        self.pki = pki or default_pki()
        self.webhook_id = webhook_id
        self.key = self.pki.leaf_key
        self.root = self.pki.root
        served = pem(self.pki.leaf) if leaf_only else pem(self.pki.leaf, self.pki.intermediate)
        answers = {self.cert_url: HttpResponse(200, served)}
        if leaf_only:
            answers[AIA_URL] = aia_answer or HttpResponse(200, der(self.pki.intermediate))
        self.http = FakeHttp(answers)
        self.sequence = 0

    def install(self, container: Any) -> None:

        container.override(http=self.http, paypal_roots=[self.root])

    def verifier(self, webhook_id: str | None = None, *, at: datetime = NOW_2026,
                 anchors: Sequence[Any] | None = None) -> CertificateVerifier:
        return CertificateVerifier(CertificateStore(self.http), self.webhook_id if webhook_id is None else webhook_id,
                                   FixedClock(at.timestamp()), [self.root] if anchors is None else anchors)

    def headers(self, body: bytes, *, webhook_id: str | None = None) -> dict[str, str]:
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import padding

        self.sequence += 1
        transmission_id = f"5e3a{self.sequence:04d}-0000-11ef-8000-000000000000"
        when = "2026-11-23T11:59:58Z"
        message = signed_string(transmission_id, when, webhook_id or self.webhook_id, body)
        signature = self.key.sign(message.encode(), padding.PKCS1v15(), hashes.SHA256())
        return {"PAYPAL-TRANSMISSION-ID": transmission_id, "PAYPAL-TRANSMISSION-TIME": when,
                "PAYPAL-TRANSMISSION-SIG": base64.b64encode(signature).decode(), "PAYPAL-CERT-URL": self.cert_url,
                "PAYPAL-AUTH-ALGO": "SHA256withRSA"}

