"""RFC 8058 one-click unsubscribe tokens: HS256 JWTs (PyJWT) that name the subject by its keyed id and the
suppression list's keyed hash, never by the address.

Claims: `sub` (subject id, 64 hex), `lh` (list hash, 64 hex, or absent when no list key is configured), `jti`
(128 random bits: the proof's token id), `iat`, `exp` (`iat` + 1 year: mail is read late), `aud`
("marketing-unsubscribe": no other token of the service is accepted here, nor this one elsewhere).  The key is
derived from the verification token key with its own purpose, so a key of another use never signs these.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from typing import Any

AUDIENCE = "marketing-unsubscribe"
LIFETIME_SECONDS = 365 * 24 * 3600
MAX_TOKEN_CHARS = 1024
_HEX64 = re.compile(r"^[0-9a-f]{64}$")
_JTI = re.compile(r"^[0-9a-f]{32}$")


def derive_key(token_key: str) -> bytes:
    return hmac.new(token_key.encode(), b"marketing-unsubscribe-token\x00v1", hashlib.sha256).digest()


@dataclass(frozen=True)
class UnsubscribeClaims:
    subject: str
    list_hash: str | None
    token_id: str
    issued_at: int
    expires_at: int


class InvalidUnsubscribeToken(ValueError):
    """Forged, altered, expired or malformed (the message never repeats the token)."""


def mint(key: bytes, *, subject: str, list_hash: str | None, now: int) -> tuple[str, UnsubscribeClaims]:
    import jwt

    claims = UnsubscribeClaims(subject, list_hash, secrets.token_hex(16), now, now + LIFETIME_SECONDS)
    payload: dict[str, Any] = {"sub": subject, "jti": claims.token_id, "iat": now, "exp": claims.expires_at,
                               "aud": AUDIENCE}
    if list_hash:
        payload["lh"] = list_hash
    return jwt.encode(payload, key, algorithm="HS256"), claims


def verify(key: bytes, token: str, *, now: int) -> UnsubscribeClaims:
    import jwt

    if not token or len(token) > MAX_TOKEN_CHARS or not token.isascii():
        raise InvalidUnsubscribeToken("malformed token")
    try:
        payload = jwt.decode(token, key, algorithms=["HS256"], audience=AUDIENCE,
                             options={"require": ["sub", "jti", "iat", "exp", "aud"], "verify_exp": False,
                                      "verify_iat": False, "verify_nbf": False})
    except jwt.PyJWTError:
        raise InvalidUnsubscribeToken("invalid token") from None
    sub, jti, iat, exp, lh = (payload.get(k) for k in ("sub", "jti", "iat", "exp", "lh"))
    if not (isinstance(sub, str) and _HEX64.match(sub) and isinstance(jti, str) and _JTI.match(jti)):
        raise InvalidUnsubscribeToken("invalid token")
    if lh is not None and not (isinstance(lh, str) and _HEX64.match(lh)):
        raise InvalidUnsubscribeToken("invalid token")
    if type(iat) is not int or type(exp) is not int or exp - iat > LIFETIME_SECONDS:
        raise InvalidUnsubscribeToken("invalid token")
    if exp <= now:
        raise InvalidUnsubscribeToken("expired token")
    return UnsubscribeClaims(sub, lh, jti, iat, exp)
