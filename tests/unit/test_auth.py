"""JWT attacks: alg none, wrong audience/issuer, expired, tampered, too long-lived, algorithm confusion."""

import base64
import json

import jwt
import pytest

from chalicelib.errors import UnauthorizedError
from chalicelib.handlers.auth import bearer_token, verify_token
from tests.helpers import ISSUER, LOCAL_JWT_SECRET, account_token

NOW = 1_795_435_200
OPTS = {"key": LOCAL_JWT_SECRET, "algorithm": "HS256", "issuer": ISSUER, "audience": "privacy-backend",
        "max_lifetime": 3600, "now": NOW}


def test_valid_token_gives_claims() -> None:
    claims = verify_token(account_token(now=NOW), **OPTS)
    assert claims["sub"] == "57" and claims["email"] == "jana.mueller@example.org"


def _b64(data: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "token",
    [
        account_token(now=NOW, aud="someone-else"),
        account_token(now=NOW, iss="https://evil.example"),
        account_token(now=NOW - 7200),  # expired
        account_token(now=NOW, lifetime=86_400),  # not short-lived
        account_token(now=NOW, secret="another-secret-entirely-0123456789"),
        account_token(now=NOW, exp=None),
        account_token(now=NOW, sub=None),
        account_token(now=NOW, email=None),
        account_token(now=NOW + 3600),  # issued in the future
        _b64({"alg": "none", "typ": "JWT"}) + "." + _b64({"iss": ISSUER, "aud": "privacy-backend", "sub": "57",
                                                         "email": "a@b.c", "iat": NOW, "exp": NOW + 60}) + ".",
        "not.a.token",
    ],
)
def test_bad_tokens_are_refused(token: str) -> None:
    with pytest.raises(UnauthorizedError):
        verify_token(token, **OPTS)


def test_tampered_payload_is_refused() -> None:
    header, payload, signature = account_token(now=NOW).split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    claims["sub"] = "58"
    with pytest.raises(UnauthorizedError):
        verify_token(".".join([header, _b64(claims), signature]), **OPTS)


def test_hs256_token_is_refused_when_rs256_is_configured() -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public_pem = private.public_key().public_bytes(serialization.Encoding.PEM,
                                                   serialization.PublicFormat.SubjectPublicKeyInfo)
    rs_opts = OPTS | {"key": public_pem, "algorithm": "RS256"}
    good = jwt.encode({"iss": ISSUER, "aud": "privacy-backend", "sub": "57", "email": "a@b.c", "iat": NOW,
                       "exp": NOW + 60}, private, algorithm="RS256")
    assert verify_token(good, **rs_opts)["sub"] == "57"
    with pytest.raises(UnauthorizedError):  # algorithm confusion: HS256 signed with the public key as secret
        verify_token(jwt.encode({"iss": ISSUER, "aud": "privacy-backend", "sub": "57", "email": "a@b.c",
                                 "iat": NOW, "exp": NOW + 60}, "x" * 32, algorithm="HS256"), **rs_opts)


@pytest.mark.parametrize("header", [{}, {"authorization": "Basic abc"}, {"authorization": "Bearer "}])
def test_missing_bearer_is_unauthorized(header: dict[str, str]) -> None:
    with pytest.raises(UnauthorizedError):
        bearer_token(header)
