"""Test helpers shared across suites (tokens, signatures)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from typing import Any

LOCAL_JWT_SECRET = "local-dev-jwt-secret-do-not-use-in-production"
LOCAL_WC_SECRET = "wc_test_secret_Zs8#kP2!vQ"
ISSUER = "https://store.example"


def account_token(customer_id: str = "57", email: str = "jana.mueller@example.org", *, now: float | None = None,
                  lifetime: int = 600, secret: str = LOCAL_JWT_SECRET, **overrides: Any) -> str:
    import jwt

    issued = int(now if now is not None else time.time())
    claims: dict[str, Any] = {"iss": ISSUER, "aud": "privacy-backend", "sub": customer_id, "email": email,
                              "iat": issued, "exp": issued + lifetime}
    claims.update(overrides)
    claims = {k: v for k, v in claims.items() if v is not None}
    return jwt.encode(claims, secret, algorithm="HS256")


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def wc_signature(body: bytes, secret: str = LOCAL_WC_SECRET) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()
