"""The fake PayPal REST API (tests/fakes/paypal_api.py, used by `make load`) against the real postback verifier and
the real HTTP client over 127.0.0.1: what it signs passes, what it did not sign is refused, and the OAuth token is
asked for once and reused."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from chalicelib.adapters.http_client import UrllibHttp
from chalicelib.errors import UnauthorizedError
from chalicelib.signatures.paypal_postback import PostbackVerifier
from tests.conftest import EVENTS
from tests.fakes import paypal_api

BODY = (EVENTS / "paypal" / "PAYMENT.CAPTURE.COMPLETED.json").read_bytes().strip()  # as PayPal sends it
CERT = "https://api.paypal.com/v1/notifications/certs/CERT-360caa42-fca2a594-a5cafa77"


@pytest.fixture
def fake() -> Iterator[paypal_api.FakePaypal]:
    fake, server = paypal_api.start()
    try:
        yield fake
    finally:
        paypal_api.stop(server)


def _verifier(fake: paypal_api.FakePaypal, secret: str = paypal_api.CLIENT_SECRET) -> PostbackVerifier:
    return PostbackVerifier(UrllibHttp(), fake.base, paypal_api.CLIENT_ID, lambda: secret, paypal_api.WEBHOOK_ID)


def _headers(body: bytes, transmission: str = "t-1", *, key: str = paypal_api.SIGNING_KEY) -> dict[str, str]:
    sent_at = "2026-12-06T02:00:00Z"
    return {"PAYPAL-TRANSMISSION-ID": transmission, "PAYPAL-TRANSMISSION-TIME": sent_at,
            "PAYPAL-TRANSMISSION-SIG": paypal_api.sign(transmission, sent_at, body, key=key),
            "PAYPAL-AUTH-ALGO": "SHA256withRSA", "PAYPAL-CERT-URL": CERT}


def test_what_the_fake_signed_passes_and_the_token_is_reused(fake: paypal_api.FakePaypal) -> None:
    verifier = _verifier(fake)
    for n in range(3):
        verifier.verify(_headers(BODY, f"t-{n}"), BODY)
    assert fake.token_requests == 1 and fake.verifications == 3


@pytest.mark.parametrize("change", ["forged", "other_body", "other_transmission"])
def test_what_the_fake_did_not_sign_is_refused(fake: paypal_api.FakePaypal, change: str) -> None:
    headers = _headers(BODY, key="not-paypal" if change == "forged" else paypal_api.SIGNING_KEY)
    body = BODY
    if change == "other_body":
        body = json.dumps({**json.loads(BODY), "event_type": "PAYMENT.CAPTURE.REFUNDED"}).encode()
    if change == "other_transmission":
        headers["PAYPAL-TRANSMISSION-ID"] = "t-2"
    with pytest.raises(UnauthorizedError):
        _verifier(fake).verify(headers, body)
    assert fake.verifications == 1


def test_wrong_client_credentials_get_no_token(fake: paypal_api.FakePaypal) -> None:
    with pytest.raises(UnauthorizedError):
        _verifier(fake, secret="wrong").verify(_headers(BODY), BODY)
    assert fake.token_requests == 1 and fake.verifications == 0
