"""PayPal verification.

- The two real PayPal-signed sandbox vectors prove the signed string and the signature algorithm against PayPal's
  real bytes (RSA with the real leaf's key, clock inside its 2015-2017 validity), and that the full verification of
  that leaf-only chain is refused here, offline, because its DigiCert intermediate cannot be fetched.
- A local test PKI (root CA -> intermediate -> leaf messageverificationcerts.paypal.com, CA/B-style extensions) signs
  deliveries exactly as PayPal does; its root is pinned as the trust anchor: chain building (served or completed
  from the leaf's AIA), the unpinned-root attack, names, dates, key usages, the SSRF guards, caching.
- The bundled roots (chalicelib/webhooks/paypal_roots.pem) are exactly the pinned DigiCert roots, and roots of their
  shape are accepted as anchors.
- Postback mode."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
import zlib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from chalicelib.adapters.http_client import HttpResponse
from chalicelib.domain.clock import FixedClock, parse_iso
from chalicelib.errors import UnauthorizedError
from chalicelib.signatures.paypal import (
    MAX_CERT_BYTES,
    MAX_CERTS,
    REFUSED,
    CertificateStore,
    CertificateVerifier,
    bundled_roots,
    check_cert_url,
    check_issuer_url,
    check_leaf,
    issuer_url,
    signed_string,
    verify_signature,
)
from chalicelib.signatures.paypal_postback import PostbackVerifier
from tests.fakes.paypal import (
    AIA_URL,
    CERT_PEM,
    LEAF_NAME,
    NOW_2026,
    REAL_ISSUER_URL,
    VECTORS,
    VECTORS_DIR,
    FakeHttp,
    LocalPaypal,
    Pki,
    default_pki,
    der,
    issue,
    make_pki,
    pem,
    rsa_key,
)

INSIDE_VALIDITY = parse_iso("2016-10-05T15:00:00Z")  # the certificate is valid 2015-03-18 .. 2017-03-22


def vector(index: int) -> tuple[dict[str, str], bytes, str]:
    entry = VECTORS[index]
    return dict(entry["headers"]), (VECTORS_DIR / entry["body_file"]).read_bytes(), entry["webhook_id"]


def real_leaf() -> Any:
    from cryptography import x509

    return x509.load_pem_x509_certificate(CERT_PEM)


def real_signed_string(index: int, body: bytes | None = None, webhook_id: str | None = None) -> str:
    headers, real_body, real_webhook_id = vector(index)
    return signed_string(headers["PAYPAL-TRANSMISSION-ID"], headers["PAYPAL-TRANSMISSION-TIME"],
                         webhook_id or real_webhook_id, real_body if body is None else body)


# -- the real vectors -----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("index", [0, 1])
def test_real_paypal_vectors_verify_with_the_real_leafs_key(index: int) -> None:
    """PayPal's real bytes: the signed string we build is PayPal's, and PayPal's signature over it verifies with the
    real leaf's RSA key, at a clock inside that certificate's validity, and the leaf passes our leaf checks."""
    headers, _, _ = vector(index)
    message = real_signed_string(index)
    assert message == VECTORS[index]["expected_signed_string"]
    leaf = real_leaf()
    at = datetime.fromtimestamp(INSIDE_VALIDITY, tz=UTC)
    assert leaf.not_valid_before_utc <= at <= leaf.not_valid_after_utc
    assert check_leaf(leaf) == "messageverificationcerts.sandbox.paypal.com"
    verify_signature(leaf, message, headers["PAYPAL-TRANSMISSION-SIG"])


@pytest.mark.parametrize("index", [0, 1])
def test_hex_crc_does_not_verify(index: int) -> None:
    """A verifier that put the CRC in hex would sign another string: it must not match."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    headers, body, webhook_id = vector(index)
    hex_string = (f"{headers['PAYPAL-TRANSMISSION-ID']}|{headers['PAYPAL-TRANSMISSION-TIME']}|{webhook_id}|"
                  f"{zlib.crc32(body):x}")
    key: Any = real_leaf().public_key()
    with pytest.raises(InvalidSignature):
        key.verify(base64.b64decode(headers["PAYPAL-TRANSMISSION-SIG"]), hex_string.encode(), padding.PKCS1v15(),
                   hashes.SHA256())


@pytest.mark.parametrize("index", [0, 1])
def test_one_changed_byte_fails(index: int) -> None:
    headers, body, _ = vector(index)
    position = body.index(b"completed")
    changed = body[:position] + b"C" + body[position + 1:]
    with pytest.raises(UnauthorizedError):
        verify_signature(real_leaf(), real_signed_string(index, body=changed), headers["PAYPAL-TRANSMISSION-SIG"])


def test_wrong_webhook_id_fails() -> None:
    headers, _, _ = vector(0)
    with pytest.raises(UnauthorizedError):
        verify_signature(real_leaf(), real_signed_string(0, webhook_id=VECTORS[1]["webhook_id"]),
                         headers["PAYPAL-TRANSMISSION-SIG"])


def test_the_real_leaf_names_its_digicert_issuer_on_the_allowed_aia_host() -> None:
    leaf = real_leaf()
    assert "DigiCert SHA2 Extended Validation Server CA" in leaf.issuer.rfc4514_string()
    assert issuer_url(leaf) == REAL_ISSUER_URL


@pytest.mark.parametrize("aia_answer", [None, HttpResponse(404, b""), HttpResponse(200, b"not a certificate")])
def test_the_real_leaf_only_chain_is_refused_offline(aia_answer: HttpResponse | None) -> None:
    """Honest limit: PayPal's sandbox endpoint served the leaf alone, and its intermediate ("DigiCert SHA2 Extended
    Validation Server CA") is not available on this machine (no network, not in the Debian store, which holds roots
    only).  So the full verification of the real delivery, against the bundled roots and inside the certificate's
    validity, is refused: it fetches the issuer from the leaf's AIA (DigiCert's host) and cannot complete the chain."""
    headers, body, webhook_id = vector(0)
    answers = {headers["PAYPAL-CERT-URL"]: HttpResponse(200, CERT_PEM)}
    if aia_answer is not None:
        answers[REAL_ISSUER_URL] = aia_answer
    http = FakeHttp(answers)
    verifier = CertificateVerifier(CertificateStore(http), webhook_id, FixedClock(INSIDE_VALIDITY))
    with pytest.raises(UnauthorizedError) as refused:
        verifier.verify(headers, body)
    assert str(refused.value.args[0]) == REFUSED
    assert http.requested == [headers["PAYPAL-CERT-URL"], REAL_ISSUER_URL]


# -- the bundled trust anchors --------------------------------------------------------------------------------------
PINNED_ROOTS = {
    "cb3ccbb76031e5e0138f8dd39a23f9de47ffc35e43c1144cea27d46a5ab1cb5f": "DigiCert_Global_Root_G2",
    "31ad6648f8104138c738f39ea4320133393e3a18cc02296ef97c2ac9ef6731d0": "DigiCert_Global_Root_G3",
    "7431e5f4c3c1ce4690774f0b61e05440883ba9a01ed00ba6abd7806ed3b118cf": "DigiCert_High_Assurance_EV_Root_CA",
}


def test_bundled_roots_are_exactly_the_pinned_digicert_roots() -> None:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.serialization import Encoding

    roots = bundled_roots()
    assert {root.fingerprint(hashes.SHA256()).hex(): root for root in roots}.keys() == PINNED_ROOTS.keys()
    assert len(roots) == len(PINNED_ROOTS)
    for root in roots:
        name = PINNED_ROOTS[root.fingerprint(hashes.SHA256()).hex()]
        assert root.subject == root.issuer and "O=DigiCert Inc" in root.subject.rfc4514_string()
        debian = Path("/etc/ssl/certs") / f"{name}.pem"
        if debian.exists():  # the copy is the Debian trust store's certificate
            from cryptography import x509

            assert x509.load_pem_x509_certificate(debian.read_bytes()).public_bytes(Encoding.DER) == \
                root.public_bytes(Encoding.DER)


def test_the_signature_module_imports_no_cryptography() -> None:
    """Cold start: cryptography (and the roots file) are loaded on the first PayPal verification, not at import."""
    code = ("import sys, chalicelib.signatures.paypal as m; "
            "print(any(n.startswith('cryptography') for n in sys.modules), m.bundled_roots.cache_info().currsize)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                            cwd=Path(__file__).resolve().parents[2])
    assert result.stdout.split() == ["False", "0"]


# -- a local test PKI, signing like PayPal --------------------------------------------------------------------------


BODY = b'{"id":"WH-1","event_type":"PAYMENT.CAPTURE.COMPLETED"}'


def refused(local: LocalPaypal, **kw: Any) -> None:
    with pytest.raises(UnauthorizedError) as error:
        local.verifier(**kw).verify(local.headers(BODY), BODY)
    assert error.value.args[0] == REFUSED  # the same message whichever check failed


def test_full_chain_served_passes() -> None:
    local = LocalPaypal("WH-ID")
    local.verifier().verify(local.headers(BODY), BODY)
    assert local.http.requested == [local.cert_url]


def test_full_chain_including_the_root_passes() -> None:
    local = LocalPaypal("WH-ID")
    local.http.answers[local.cert_url] = HttpResponse(200, pem(local.pki.leaf, local.pki.intermediate, local.root))
    local.verifier().verify(local.headers(BODY), BODY)


@pytest.mark.parametrize("encoding", ["der", "pem"])
def test_a_leaf_only_chain_is_completed_from_the_leafs_aia(encoding: str) -> None:
    intermediate = default_pki().intermediate
    answer = HttpResponse(200, der(intermediate) if encoding == "der" else pem(intermediate))
    local = LocalPaypal("WH-ID", leaf_only=True, aia_answer=answer)
    local.verifier().verify(local.headers(BODY), BODY)
    assert local.http.requested == [local.cert_url, AIA_URL]
    assert local.http.timeouts[1] <= 5.0


def test_the_aia_issuer_is_cached() -> None:
    local = LocalPaypal("WH-ID", leaf_only=True)
    verifier = local.verifier()
    for _ in range(3):
        verifier.verify(local.headers(BODY), BODY)
    assert local.http.requested == [local.cert_url, AIA_URL]
    assert verifier.store.fetches == 2


def test_a_chain_to_an_unpinned_root_is_refused_though_every_signature_is_consistent() -> None:
    """The attack this fixes: a self-made root, with the very names of the pinned one, and a chain under it in which
    each certificate is signed by the next; served in full, or leaf only with its intermediate at the AIA URL."""
    rogue = make_pki(root_label="rogue-root")
    rogue.leaf.verify_directly_issued_by(rogue.intermediate)
    rogue.intermediate.verify_directly_issued_by(rogue.root)
    rogue.root.verify_directly_issued_by(rogue.root)
    assert rogue.root.subject == default_pki().root.subject
    full = LocalPaypal("WH-ID", pki=rogue)
    full.http.answers[full.cert_url] = HttpResponse(200, pem(rogue.leaf, rogue.intermediate, rogue.root))
    refused(full, anchors=[default_pki().root])
    refused(LocalPaypal("WH-ID", pki=rogue, leaf_only=True), anchors=[default_pki().root])


def test_the_bundled_roots_are_the_default_and_do_not_trust_the_test_root() -> None:
    local = LocalPaypal("WH-ID")
    verifier = CertificateVerifier(CertificateStore(local.http), "WH-ID", FixedClock(NOW_2026.timestamp()))
    with pytest.raises(UnauthorizedError):
        verifier.verify(local.headers(BODY), BODY)
    refused(local, anchors=[])  # no anchors: nothing is trusted


@pytest.mark.parametrize("aia", ["http://evil.example/LocalTestPaypalIntermediate.crt",
                                 "http://cacerts.digicert.com.evil.example/x.crt",
                                 "http://169.254.169.254/latest/meta-data/x.crt",
                                 "ldap://cacerts.digicert.com/x.crt", None])
def test_an_aia_url_on_another_host_is_refused_before_any_request(aia: str | None) -> None:
    pki = make_pki(leaf={"aia": aia})
    local = LocalPaypal("WH-ID", pki=pki, leaf_only=True)
    if aia:
        local.http.answers[aia] = HttpResponse(200, der(pki.intermediate))
    refused(local)
    assert local.http.requested == [local.cert_url]


@pytest.mark.parametrize("url", [
    "http://cacerts.digicert.com/DigiCertSHA2ExtendedValidationServerCA.crt",
    "https://cacerts.digicert.com/DigiCertGlobalG2TLSRSASHA2562020CA1-1.crt",
    "HTTP://CACERTS.DIGICERT.COM:80/x.crt",
    "https://cacerts.digicert.com:443/x.crt",
])
def test_digicert_issuer_urls_are_accepted(url: str) -> None:
    assert check_issuer_url(url).startswith(("http://cacerts.digicert.com/", "https://cacerts.digicert.com/"))


@pytest.mark.parametrize("url", [
    "http://cacerts.digicert.com:8080/x.crt",
    "https://cacerts.digicert.com:80/x.crt",
    "http://cacerts.digicert.com/x.crt?y=1",
    "http://cacerts.digicert.com/x.crt#y",
    "http://cacerts.digicert.com/x.cer",
    "http://cacerts.digicert.com/a/x.crt",
    "http://cacerts.digicert.com/../x.crt",
    "http://cacerts.digicert.com/%2e%2e.crt",
    "http://user@cacerts.digicert.com/x.crt",
    "http://evil.example\\@cacerts.digicert.com/x.crt",
    "http://crl3.digicert.com/x.crt",
    "http://digicert.com/x.crt",
    "ftp://cacerts.digicert.com/x.crt",
    "file:///etc/x.crt",
    "",
])
def test_other_issuer_urls_are_refused(url: str) -> None:
    with pytest.raises(UnauthorizedError):
        check_issuer_url(url)


@pytest.mark.parametrize("san", [("evil.example",), ("paypal.com.evil.example",), ("notpaypal.com",),
                                 ("*.paypal.com",), ()])
def test_a_leaf_without_a_paypal_dns_name_is_refused(san: tuple[str, ...]) -> None:
    pki = make_pki(leaf={"san": san})  # the subject CN stays messageverificationcerts.paypal.com: not looked at
    with pytest.raises(UnauthorizedError):
        check_leaf(pki.leaf)
    refused(LocalPaypal("WH-ID", pki=pki))


def test_a_leaf_for_paypal_com_itself_or_among_other_names_passes() -> None:
    for san in (("paypal.com",), ("evil.example", "messageverificationcerts.paypal.com")):
        local = LocalPaypal("WH-ID", pki=make_pki(leaf={"san": san}))
        local.verifier().verify(local.headers(BODY), BODY)


@pytest.mark.parametrize("at", [datetime(2025, 12, 31, 23, 59, tzinfo=UTC), datetime(2028, 1, 1, 0, 1, tzinfo=UTC)],
                         ids=["not-yet-valid", "expired"])
def test_a_leaf_outside_its_validity_is_refused(at: datetime) -> None:
    refused(LocalPaypal("WH-ID"), at=at)


def test_an_expired_intermediate_is_refused() -> None:
    pki = make_pki(intermediate={"not_after": datetime(2026, 6, 1, tzinfo=UTC)})
    refused(LocalPaypal("WH-ID", pki=pki))


@pytest.mark.parametrize("eku", [None, ("clientAuth",)], ids=["missing", "client-only"])
def test_a_leaf_without_server_auth_is_refused(eku: tuple[str, ...] | None) -> None:
    refused(LocalPaypal("WH-ID", pki=make_pki(leaf={"eku": eku})))


def test_an_intermediate_that_is_not_a_ca_is_refused() -> None:
    refused(LocalPaypal("WH-ID", pki=make_pki(intermediate={"basic_ca": False})))


def test_a_leaf_that_is_a_ca_is_refused() -> None:
    refused(LocalPaypal("WH-ID", pki=make_pki(leaf={"basic_ca": True})))


def test_an_ecdsa_leaf_is_refused() -> None:
    from cryptography.hazmat.primitives.asymmetric import ec

    pki = make_pki(leaf={"key": ec.generate_private_key(ec.SECP256R1())})
    with pytest.raises(UnauthorizedError):
        check_leaf(pki.leaf)
    refused(LocalPaypal("WH-ID", pki=pki))


def unusable_answer(kind: str) -> HttpResponse:
    return {"oversize": lambda: HttpResponse(200, b"\x30" * (MAX_CERT_BYTES + 1)),
            "too-many": lambda: HttpResponse(200, pem(*[default_pki().intermediate] * (MAX_CERTS + 1))),
            "garbage": lambda: HttpResponse(200, b"not a certificate"),
            "truncated-der": lambda: HttpResponse(200, der(default_pki().intermediate)[:-40]),
            "empty": lambda: HttpResponse(200, b""),
            "404": lambda: HttpResponse(404, der(default_pki().intermediate))}[kind]()


@pytest.mark.parametrize("kind", ["oversize", "too-many", "garbage", "truncated-der", "empty", "404"])
def test_an_unusable_aia_answer_is_refused(kind: str) -> None:
    local = LocalPaypal("WH-ID", leaf_only=True, aia_answer=unusable_answer(kind))
    verifier = local.verifier()
    for _ in range(2):
        with pytest.raises(UnauthorizedError):
            verifier.verify(local.headers(BODY), BODY)
    assert local.http.requested == [local.cert_url, AIA_URL, AIA_URL]  # a failed fetch is not cached


def test_an_unreachable_aia_host_is_refused() -> None:
    local = LocalPaypal("WH-ID", leaf_only=True)
    del local.http.answers[AIA_URL]
    refused(local)


def test_tampered_transmission_headers_fail() -> None:
    local = LocalPaypal("WH-ID")
    verifier = local.verifier()
    headers = local.headers(BODY)
    verifier.verify(headers, BODY)
    for name, value in [("PAYPAL-TRANSMISSION-ID", "5e3a9999-0000-11ef-8000-000000000000"),
                        ("PAYPAL-TRANSMISSION-TIME", "2026-11-23T11:59:59Z"),
                        ("PAYPAL-TRANSMISSION-SIG", "not base64!"),
                        ("PAYPAL-TRANSMISSION-SIG", base64.b64encode(b"\0" * 256).decode()),
                        ("PAYPAL-AUTH-ALGO", "SHA1withRSA")]:
        with pytest.raises(UnauthorizedError):
            verifier.verify({**headers, name: value}, BODY)
    for missing in ("PAYPAL-TRANSMISSION-ID", "PAYPAL-TRANSMISSION-TIME", "PAYPAL-TRANSMISSION-SIG",
                    "PAYPAL-CERT-URL"):
        with pytest.raises(UnauthorizedError):
            verifier.verify({k: v for k, v in headers.items() if k != missing}, BODY)
    with pytest.raises(UnauthorizedError):
        verifier.verify(headers, BODY.replace(b"WH-1", b"WH-2"))


def test_headers_are_matched_case_insensitively() -> None:
    local = LocalPaypal("WH-ID")
    local.verifier().verify({k.lower(): v for k, v in local.headers(BODY).items()}, BODY)


def test_unconfigured_webhook_id_refuses_everything() -> None:
    local = LocalPaypal("WH-ID")
    with pytest.raises(UnauthorizedError):
        local.verifier("").verify(local.headers(BODY), BODY)
    assert local.http.requested == []


# -- SSRF guard on the certificate URL ------------------------------------------------------------------------------
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
    "https://cacerts.digicert.com/v1/notifications/certs/CERT-1",
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
    local = LocalPaypal("WH-ID")
    local.http.answers[url] = HttpResponse(200, pem(local.pki.leaf, local.pki.intermediate))
    with pytest.raises(UnauthorizedError):
        local.verifier().verify({**local.headers(BODY), "PAYPAL-CERT-URL": url}, BODY)
    assert local.http.requested == []


def test_certificates_are_cached_per_url() -> None:
    local = LocalPaypal("WH-ID")
    verifier = local.verifier()
    for _ in range(3):
        verifier.verify(local.headers(BODY), BODY)
    assert local.http.requested == [local.cert_url]


@pytest.mark.parametrize("answer", [HttpResponse(404, b""), HttpResponse(200, b"not a certificate"),
                                    HttpResponse(200, b""), HttpResponse(200, b"-----BEGIN CERTIFICATE-----\n"),
                                    None], ids=["404", "garbage", "empty", "broken-pem", "unreachable"])
def test_unreachable_or_garbage_certificates_refuse(answer: HttpResponse | None) -> None:
    local = LocalPaypal("WH-ID")
    if answer is None:
        del local.http.answers[local.cert_url]
    else:
        local.http.answers[local.cert_url] = answer
    refused(local)


# -- roots of the pinned roots' shape are accepted as anchors -------------------------------------------------------
def clone_of(root: Any) -> tuple[Any, Any]:
    """A self-signed root with a pinned root's subject, validity and extensions (SKI recomputed for a new key of the
    same kind), and its key: what cryptography's CA profile makes of anchors shaped like the bundled ones."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec, rsa

    key = rsa_key("clone") if isinstance(root.public_key(), rsa.RSAPublicKey) else ec.generate_private_key(
        ec.SECP384R1())
    builder = (x509.CertificateBuilder().subject_name(root.subject).issuer_name(root.issuer)
               .public_key(key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(root.not_valid_before_utc).not_valid_after(root.not_valid_after_utc))
    for extension in root.extensions:
        value = extension.value
        if isinstance(value, x509.SubjectKeyIdentifier):
            value = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
        elif isinstance(value, x509.AuthorityKeyIdentifier):
            value = x509.AuthorityKeyIdentifier.from_issuer_public_key(key.public_key())
        builder = builder.add_extension(value, critical=extension.critical)
    return builder.sign(key, hashes.SHA384() if isinstance(key, ec.EllipticCurvePrivateKey) else hashes.SHA256()), key


@pytest.mark.parametrize("index", [0, 1, 2])
def test_a_chain_to_a_root_shaped_like_a_pinned_one_passes(index: int) -> None:
    root, root_key = clone_of(bundled_roots()[index])
    inter_key = rsa_key("clone-intermediate")
    inter = issue("Local Test Paypal Intermediate", inter_key, issuer=root, issuer_key=root_key, ca=True,
                  path_length=0, hash_name="SHA384" if index == 1 else "SHA256")
    leaf = issue(LEAF_NAME, rsa_key("leaf"), issuer=inter, issuer_key=inter_key)
    local = LocalPaypal("WH-ID", pki=Pki(root, inter, leaf, rsa_key("leaf")), leaf_only=True,
                        aia_answer=HttpResponse(200, der(inter)))
    local.verifier().verify(local.headers(BODY), BODY)
    refused(local, anchors=[bundled_roots()[index]])  # and the real root, same names, does not vouch for it


# -- through the container wiring -----------------------------------------------------------------------------------
def test_local_paypal_signs_like_paypal(container: Any) -> None:
    """What the functional tests rely on: `install` puts the fake HTTP port and the test root into the container, and
    the wired verifier then accepts the local signer's deliveries, for the configured webhook id only."""
    local = LocalPaypal(container.settings.paypal_webhook_id)
    local.install(container)
    verifier = container.paypal_verifier
    verifier.verify(local.headers(BODY), BODY)
    with pytest.raises(UnauthorizedError):
        verifier.verify(local.headers(BODY, webhook_id="OTHER"), BODY)


def test_the_wiring_trusts_the_bundled_roots_by_default(container: Any) -> None:
    local = LocalPaypal(container.settings.paypal_webhook_id)
    container.override(http=local.http)  # the fake HTTP port only: the test root is not pinned
    with pytest.raises(UnauthorizedError):
        container.paypal_verifier.verify(local.headers(BODY), BODY)
    assert local.http.requested == [local.cert_url]


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
