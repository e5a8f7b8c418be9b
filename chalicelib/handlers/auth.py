"""Account authentication: a bearer JWT minted by the storefront for the logged-in customer.

HS256 with ACCOUNT_JWT_SECRET (or RS256 with ACCOUNT_JWT_PUBLIC_KEY when ACCOUNT_JWT_ALGORITHM=RS256); `iss` must be
ACCOUNT_JWT_ISSUER, `aud` must be ACCOUNT_JWT_AUDIENCE (privacy-backend); `sub` (WooCommerce customer id), `email`,
`exp` and `iat` are required and the token may live at most ACCOUNT_JWT_MAX_LIFETIME_SECONDS.  Only the configured
algorithm is accepted (never `none`, never an algorithm chosen by the token).  The subject comes from the token only.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from chalicelib.domain.accounts import Principal
from chalicelib.domain.email_address import is_email, parse_email
from chalicelib.errors import UnauthorizedError

if TYPE_CHECKING:
    from chalicelib.services.ports import Basics

LEEWAY_SECONDS = 30
MAX_SUB_CHARS = 64


def bearer_token(headers: Mapping[str, str]) -> str:
    value = headers.get("authorization") or headers.get("Authorization") or ""
    scheme, _, token = value.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise UnauthorizedError("a bearer token is required")
    return token.strip()


def verify_token(token: str, *, key: Any, algorithm: str, issuer: str, audience: str, max_lifetime: int,
                 now: float) -> dict[str, Any]:
    """The token's claims, or UnauthorizedError (never says which check failed beyond a short reason)."""
    import jwt

    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            key=key,
            algorithms=[algorithm],
            audience=audience,
            issuer=issuer,
            leeway=LEEWAY_SECONDS,
            # Time claims are checked below against the service's clock (a port), not the library's.
            options={"require": ["exp", "iat", "iss", "aud", "sub"], "verify_iat": False, "verify_exp": False,
                     "verify_nbf": False},
        )
    except jwt.PyJWTError:
        raise UnauthorizedError("invalid token") from None
    exp, iat = claims["exp"], claims["iat"]
    if not isinstance(exp, int | float) or not isinstance(iat, int | float):
        raise UnauthorizedError("invalid token")
    if exp - iat > max_lifetime:
        raise UnauthorizedError("token lifetime too long")
    if exp <= now - LEEWAY_SECONDS:
        raise UnauthorizedError("token expired")
    nbf = claims.get("nbf", iat)
    if not isinstance(nbf, int | float) or iat > now + LEEWAY_SECONDS or nbf > now + LEEWAY_SECONDS:
        raise UnauthorizedError("token not valid yet")
    sub = claims.get("sub")
    if not isinstance(sub, str) or not sub.strip() or len(sub) > MAX_SUB_CHARS or not sub.isprintable():
        raise UnauthorizedError("token lacks a valid sub")
    if not is_email(claims.get("email")):  # one mailbox, no CR/LF, no list: it becomes a mail header later
        raise UnauthorizedError("token lacks a valid email")
    return {**claims, "email": parse_email(claims["email"])}


def authenticate(headers: Mapping[str, str], ports: Basics) -> Principal:
    """The logged-in customer behind a request (raises UnauthorizedError -> 401)."""
    from chalicelib.secrets import Secret, get_secret

    settings = ports.settings
    if settings.account_jwt_algorithm == "RS256":
        key: Any = get_secret(Secret.ACCOUNT_JWT_PUBLIC_KEY)
    else:
        key = get_secret(Secret.ACCOUNT_JWT_SECRET)
    claims = verify_token(
        bearer_token(headers),
        key=key,
        algorithm=settings.account_jwt_algorithm,
        issuer=settings.account_jwt_issuer,
        audience=settings.account_jwt_audience,
        max_lifetime=settings.account_jwt_max_lifetime_seconds,
        now=ports.clock.now(),
    )
    email = str(claims["email"])
    return Principal(customer_id=str(claims["sub"]), email=email, subject=ports.subject_for_email(email))
