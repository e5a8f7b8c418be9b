"""PayPal verification: the two real PayPal-signed vectors (certificate mode, clock inside the certificate's
validity), negative controls, the SSRF guard, certificate checks and caching, and postback mode."""

from __future__ import annotations

import base64
import json
import zlib
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

import pytest

from chalicelib.domain.clock import FixedClock, parse_iso
from chalicelib.errors import UnauthorizedError
from chalicelib.webhooks.http import HttpError, HttpResponse
from chalicelib.webhooks.paypal_postback import PostbackVerifier
from chalicelib.webhooks.paypal_signature import (
    CertificateStore,
    CertificateVerifier,
    check_cert_url,
    check_chain,
    signed_string,
)
from tests.conftest import EVENTS

VECTORS_DIR = EVENTS / "paypal" / "test_vectors"
VECTORS = json.loads((VECTORS_DIR / "vectors.json").read_text())
CERT_PEM = (VECTORS_DIR / VECTORS[0]["cert_file"]).read_bytes()
INSIDE_VALIDITY = parse_iso("2016-10-05T15:00:00Z")  # the certificate is valid 2015-03-18 .. 2017-03-22


class FakeHttp:
    """An HTTP port that serves canned answers by URL and records every request."""

    def __init__(self, answers: Mapping[str, HttpResponse | list[HttpResponse]]) -> None:
        self.answers = dict(answers)
        self.requested: list[str] = []
        self.bodies: list[bytes | None] = []
        self.headers: list[dict[str, str]] = []

    def request(self, method: str, url: str, *, headers: Mapping[str, str] | None = None,
                body: bytes | None = None, timeout: float = 5.0) -> HttpResponse:
        self.requested.append(url)
        self.bodies.append(body)
        self.headers.append(dict(headers or {}))
        answer = self.answers.get(url)
        if answer is None:
            raise HttpError("unreachable")
        if isinstance(answer, list):
            return answer.pop(0) if len(answer) > 1 else answer[0]
        return answer


def vector(index: int) -> tuple[dict[str, str], bytes, str]:
    entry = VECTORS[index]
    return dict(entry["headers"]), (VECTORS_DIR / entry["body_file"]).read_bytes(), entry["webhook_id"]


def verifier_for(webhook_id: str, *, at: float = INSIDE_VALIDITY, pem: bytes = CERT_PEM) -> tuple[Any, FakeHttp]:
    url = VECTORS[0]["headers"]["PAYPAL-CERT-URL"]
    http = FakeHttp({url: HttpResponse(200, pem)})
    return CertificateVerifier(CertificateStore(http), webhook_id, FixedClock(at)), http


# -- the real vectors -----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("index", [0, 1])
def test_real_paypal_vectors_verify(index: int) -> None:
    headers, body, webhook_id = vector(index)
    assert signed_string(headers["PAYPAL-TRANSMISSION-ID"], headers["PAYPAL-TRANSMISSION-TIME"], webhook_id, body) \
        == VECTORS[index]["expected_signed_string"]
    verifier, http = verifier_for(webhook_id)
    verifier.verify(headers, body)
    assert http.requested == [headers["PAYPAL-CERT-URL"]]


@pytest.mark.parametrize("index", [0, 1])
def test_hex_crc_does_not_verify(index: int) -> None:
    """A verifier that put the CRC in hex would sign another string: it must not match."""
    from cryptography import x509
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    headers, body, webhook_id = vector(index)
    hex_string = (f"{headers['PAYPAL-TRANSMISSION-ID']}|{headers['PAYPAL-TRANSMISSION-TIME']}|{webhook_id}|"
                  f"{zlib.crc32(body):x}")
    key: Any = x509.load_pem_x509_certificate(CERT_PEM).public_key()
    with pytest.raises(InvalidSignature):
        key.verify(base64.b64decode(headers["PAYPAL-TRANSMISSION-SIG"]), hex_string.encode(), padding.PKCS1v15(),
                   hashes.SHA256())


@pytest.mark.parametrize("index", [0, 1])
def test_one_changed_byte_fails(index: int) -> None:
    headers, body, webhook_id = vector(index)
    position = body.index(b"completed")
    changed = body[:position] + b"C" + body[position + 1:]
    verifier, _ = verifier_for(webhook_id)
    with pytest.raises(UnauthorizedError):
        verifier.verify(headers, changed)


def test_wrong_webhook_id_fails() -> None:
    headers, body, _ = vector(0)
    verifier, _ = verifier_for(VECTORS[1]["webhook_id"])
    with pytest.raises(UnauthorizedError):
        verifier.verify(headers, body)


def test_tampered_transmission_headers_fail() -> None:
    headers, body, webhook_id = vector(0)
    verifier, _ = verifier_for(webhook_id)
    for name, value in [("PAYPAL-TRANSMISSION-ID", "b2384410-f8d2-11e4-8bf3-77339302725c"),
                        ("PAYPAL-TRANSMISSION-TIME", "2015-05-12T18:14:15Z"),
                        ("PAYPAL-TRANSMISSION-SIG", "not base64!"),
                        ("PAYPAL-AUTH-ALGO", "SHA1withRSA")]:
        with pytest.raises(UnauthorizedError):
            verifier.verify({**headers, name: value}, body)
    for missing in ("PAYPAL-TRANSMISSION-ID", "PAYPAL-TRANSMISSION-TIME", "PAYPAL-TRANSMISSION-SIG",
                    "PAYPAL-CERT-URL"):
        with pytest.raises(UnauthorizedError):
            verifier.verify({k: v for k, v in headers.items() if k != missing}, body)


def test_headers_are_matched_case_insensitively() -> None:
    headers, body, webhook_id = vector(1)
    verifier, _ = verifier_for(webhook_id)
    verifier.verify({k.lower(): v for k, v in headers.items()}, body)


def test_the_expired_certificate_is_refused_at_todays_date() -> None:
    headers, body, webhook_id = vector(0)
    verifier, _ = verifier_for(webhook_id, at=parse_iso("2026-11-23T12:00:00Z"))
    with pytest.raises(UnauthorizedError):
        verifier.verify(headers, body)


def test_unconfigured_webhook_id_refuses_everything() -> None:
    headers, body, _ = vector(0)
    verifier, http = verifier_for("")
    with pytest.raises(UnauthorizedError):
        verifier.verify(headers, body)
    assert http.requested == []


# -- SSRF guard -----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("url", [
    "https://api.paypal.com/v1/notifications/certs/CERT-360caa42-fca2a594-a5cafa77",
    "https://api-m.paypal.com/v1/notifications/certs/CERT-1",
    "https://api.sandbox.paypal.com/v1/notifications/certs/CERT-1",
    "https://API-M.SANDBOX.PAYPAL.COM:443/v1/notifications/certs/CERT-1",
])
def test_paypal_cert_urls_are_accepted(url: str) -> None:
    assert check_cert_url(url).startswith("https://api")


@pytest.mark.parametrize("url", [
    "http://api.paypal.com/v1/notifications/certs/CERT-1",
    "https://evil.example/v1/notifications/certs/CERT-1",
    "https://api.paypal.com.evil.example/v1/notifications/certs/CERT-1",
    "https://evilpaypal.com/v1/notifications/certs/CERT-1",
    "https://www.paypal.com/v1/notifications/certs/CERT-1",
    "https://api.paypal.com@evil.example/v1/notifications/certs/CERT-1",
    "https://evil.example\\@api.paypal.com/v1/notifications/certs/CERT-1",
    "https://api.paypal.com:8443/v1/notifications/certs/CERT-1",
    "https://api.paypal.com/v1/notifications/certs/../../oauth2/token",
    "https://api.paypal.com/v1/notifications/certs/%2e%2e/x",
    "https://api.paypal.com/v1/notifications/certs/",
    "https://api.paypal.com/v1/notifications/webhooks/CERT-1",
    "https://api.paypal.com/v1/notifications/certs/CERT-1?redirect=https://evil.example",
    "https://api.paypal.com/v1/notifications/certs/CERT-1#x",
    "https://169.254.169.254/v1/notifications/certs/CERT-1",
    "https://127.0.0.1/v1/notifications/certs/CERT-1",
    "file:///etc/passwd",
    "",
])
def test_foreign_cert_urls_are_refused_before_any_request(url: str) -> None:
    headers, body, webhook_id = vector(0)
    verifier, http = verifier_for(webhook_id)
    with pytest.raises(UnauthorizedError):
        verifier.verify({**headers, "PAYPAL-CERT-URL": url}, body)
    assert http.requested == []


def test_certificates_are_cached_per_url() -> None:
    verifier, http = verifier_for(VECTORS[0]["webhook_id"])
    headers, body, _ = vector(0)
    for _ in range(3):
        verifier.verify(headers, body)
    assert len(http.requested) == 1


def test_unreachable_or_garbage_certificates_refuse() -> None:
    headers, body, webhook_id = vector(0)
    for answer in (HttpResponse(404, b""), HttpResponse(200, b"not a certificate")):
        url = headers["PAYPAL-CERT-URL"]
        verifier = CertificateVerifier(CertificateStore(FakeHttp({url: answer})), webhook_id,
                                       FixedClock(INSIDE_VALIDITY))
        with pytest.raises(UnauthorizedError):
            verifier.verify(headers, body)
    verifier = CertificateVerifier(CertificateStore(FakeHttp({})), webhook_id, FixedClock(INSIDE_VALIDITY))
    with pytest.raises(UnauthorizedError):
        verifier.verify(headers, body)


# -- locally generated "PayPal" certificates (chain and CN checks; functional tests) -------------------------------
@cache
def _keys() -> tuple[Any, Any, Any]:
    from cryptography.hazmat.primitives.asymmetric import rsa

    return tuple(rsa.generate_private_key(public_exponent=65537, key_size=2048) for _ in range(3))  # type: ignore


def make_cert(cn: str, key: Any, issuer_key: Any, issuer_cn: str, *, not_before: datetime | None = None,
              not_after: datetime | None = None) -> Any:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.x509.oid import NameOID

    start = not_before or datetime(2026, 1, 1, tzinfo=UTC)
    return (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)]))
            .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer_cn)]))
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(start).not_valid_after(not_after or start + timedelta(days=730))
            .sign(issuer_key, hashes.SHA256()))


def pem(*certs: Any) -> bytes:
    from cryptography.hazmat.primitives.serialization import Encoding

    return b"".join(cert.public_bytes(Encoding.PEM) for cert in certs)


class LocalPaypal:
    """A PayPal stand-in: a leaf certificate for messageverificationcerts.paypal.com issued by a local CA, served at a
    PayPal cert URL by a fake HTTP port, and a signer for deliveries (what PayPal does when it sends a webhook)."""

    cert_url = "https://api-m.sandbox.paypal.com/v1/notifications/certs/CERT-local-test"

    def __init__(self, webhook_id: str) -> None:
        leaf_key, ca_key, _ = _keys()
        self.webhook_id = webhook_id
        self.key = leaf_key
        ca = make_cert("Local Test CA", ca_key, ca_key, "Local Test CA")
        leaf = make_cert("messageverificationcerts.paypal.com", leaf_key, ca_key, "Local Test CA")
        self.http = FakeHttp({self.cert_url: HttpResponse(200, pem(leaf, ca))})
        self.sequence = 0

    def install(self, container: Any) -> None:
        from chalicelib.webhooks.wiring import HTTP

        container.memo(HTTP, lambda c: self.http)

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


NOW_2026 = datetime(2026, 11, 23, 12, tzinfo=UTC)


def test_a_chain_signed_by_its_issuer_passes() -> None:
    leaf_key, ca_key, _ = _keys()
    ca = make_cert("CA", ca_key, ca_key, "CA")
    leaf = make_cert("api.paypal.com", leaf_key, ca_key, "CA")
    assert check_chain([leaf, ca], NOW_2026) is leaf


def test_a_chain_not_signed_by_the_served_issuer_fails() -> None:
    leaf_key, ca_key, other_key = _keys()
    ca = make_cert("CA", ca_key, ca_key, "CA")
    leaf = make_cert("messageverificationcerts.paypal.com", leaf_key, other_key, "CA")
    with pytest.raises(UnauthorizedError):
        check_chain([leaf, ca], NOW_2026)


@pytest.mark.parametrize("cn", ["evil.example", "paypal.com.evil.example", "notpaypal.com"])
def test_a_subject_outside_paypal_com_fails(cn: str) -> None:
    leaf_key, ca_key, _ = _keys()
    with pytest.raises(UnauthorizedError):
        check_chain([make_cert(cn, leaf_key, ca_key, "CA")], NOW_2026)


def test_an_expired_issuer_fails() -> None:
    leaf_key, ca_key, _ = _keys()
    ca = make_cert("CA", ca_key, ca_key, "CA", not_before=datetime(2020, 1, 1, tzinfo=UTC),
                   not_after=datetime(2021, 1, 1, tzinfo=UTC))
    leaf = make_cert("api.paypal.com", leaf_key, ca_key, "CA")
    with pytest.raises(UnauthorizedError):
        check_chain([leaf, ca], NOW_2026)


def test_local_paypal_signs_like_paypal(container: Any) -> None:
    local = LocalPaypal("WH-ID")
    body = b'{"id":"WH-1","event_type":"X"}'
    store = CertificateStore(local.http)
    CertificateVerifier(store, "WH-ID", FixedClock(NOW_2026.timestamp())).verify(local.headers(body), body)
    with pytest.raises(UnauthorizedError):
        CertificateVerifier(store, "OTHER", FixedClock(NOW_2026.timestamp())).verify(local.headers(body), body)


# -- postback mode --------------------------------------------------------------------------------------------------
API = "http://127.0.0.1:9"
TOKEN = HttpResponse(200, b'{"access_token":"A21AA-token","token_type":"Bearer","expires_in":32400}')


def postback(verify_answers: list[HttpResponse], token: HttpResponse | list[HttpResponse] = TOKEN,
             ) -> tuple[PostbackVerifier, FakeHttp]:
    http = FakeHttp({f"{API}/v1/oauth2/token": token,
                     f"{API}/v1/notifications/verify-webhook-signature": verify_answers})
    return PostbackVerifier(http, API, "client-id", lambda: "client-secret", "WH-CONFIGURED"), http


SUCCESS = HttpResponse(200, b'{"verification_status":"SUCCESS"}')
FAILURE = HttpResponse(200, b'{"verification_status":"FAILURE"}')


def test_postback_success_splices_the_raw_event_verbatim() -> None:
    headers, body, _ = vector(0)
    verifier, http = postback([SUCCESS])
    verifier.verify(headers, body)
    token_headers, verify_headers = http.headers
    assert token_headers["Authorization"] == "Basic " + base64.b64encode(b"client-id:client-secret").decode()
    assert verify_headers["Authorization"] == "Bearer A21AA-token"
    sent = http.bodies[1]
    assert sent is not None and sent.endswith(b',"webhook_event":' + body.strip() + b"}")
    request = json.loads(sent)
    assert request["webhook_id"] == "WH-CONFIGURED"
    assert request["transmission_sig"] == headers["PAYPAL-TRANSMISSION-SIG"]
    assert request["cert_url"] == headers["PAYPAL-CERT-URL"] and request["auth_algo"] == "SHA256withRSA"


def test_postback_failure_or_error_refuses() -> None:
    headers, body, _ = vector(0)
    for answer in (FAILURE, HttpResponse(500, b"oops"), HttpResponse(200, b"not json")):
        verifier, _ = postback([answer])
        with pytest.raises(UnauthorizedError):
            verifier.verify(headers, body)
    verifier, _ = postback([SUCCESS], token=HttpResponse(401, b'{"error":"invalid_client"}'))
    with pytest.raises(UnauthorizedError):
        verifier.verify(headers, body)


def test_postback_token_is_cached_until_expiry() -> None:
    headers, body, _ = vector(0)
    verifier, http = postback([SUCCESS])
    for _ in range(3):
        verifier.verify(headers, body)
    assert http.requested.count(f"{API}/v1/oauth2/token") == 1
    short, http2 = postback([SUCCESS], token=HttpResponse(200, b'{"access_token":"t","expires_in":30}'))
    short.verify(headers, body)
    short.verify(headers, body)
    assert http2.requested.count(f"{API}/v1/oauth2/token") == 2  # expired (inside the safety margin): renewed


def test_postback_renews_a_revoked_token_once() -> None:
    headers, body, _ = vector(0)
    verifier, http = postback([HttpResponse(401, b"{}"), SUCCESS])
    verifier.verify(headers, body)
    assert http.requested.count(f"{API}/v1/oauth2/token") == 2


@pytest.mark.parametrize("body", [b"not json", b"[1]", b'{"id":"x"}, "webhook_id": "other"'])
def test_postback_never_splices_anything_but_one_json_object(body: bytes) -> None:
    headers, _, _ = vector(0)
    verifier, http = postback([SUCCESS])
    with pytest.raises(UnauthorizedError):
        verifier.verify(headers, body)
    assert http.requested == []
