"""Test helpers shared across suites (tokens, signatures)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import time
import uuid
from pathlib import Path
from typing import Any

LOCAL_JWT_SECRET = "local-dev-jwt-secret-do-not-use-in-production"
LOCAL_WC_SECRET = "wc_test_secret_Zs8#kP2!vQ"
ISSUER = "https://store.example"


def account_token(customer_id: str = "57", email: str | None = "jana.mueller@example.org", *,
                  now: float | None = None,
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


def drain_intake(client: Any, *, retry_after: int | None = None) -> int:
    """Deliver what the intake queue holds (moto in-process) to `privacy_intake`, as Lambda's event source mapping
    does (scripts/pump.py); returns how many messages were handled."""
    import boto3

    from chalicelib.settings import get_settings
    from scripts.pump import deliver

    sqs = boto3.client("sqs", region_name="eu-west-1")
    return deliver(sqs, get_settings().intake_queue_url,
                   lambda event: client.lambda_.invoke("privacy_intake", event).payload, retry_after=retry_after)


POLICIES = ("jetcards", "jetkrate", "jetrack")  # the three stores of policies/ (jetcards: the local default)


def store_policy(name: str = "jetcards") -> Any:
    from chalicelib.policy import cached_policy

    return cached_policy(f"policies/{name}.toml")


def retention(overrides: Any = None, name: str = "jetcards") -> Any:
    """The retention policy of a store's policy file (with a stage's overrides)."""
    from chalicelib.policy import retention_policy

    return retention_policy(store_policy(name), overrides)


def wc_post(client: Any, topic: str, body: bytes, *, signature: str | None = "auto",
            content_type: str = "application/json") -> Any:
    headers = {"Content-Type": content_type, "X-WC-Webhook-Topic": topic, "X-WC-Webhook-Source": "https://shop/",
               "X-WC-Webhook-Delivery-ID": "5b0c6a4f", "User-Agent": "WooCommerce/9.4.2 Hookshot"}
    if signature == "auto":
        headers["X-WC-Webhook-Signature"] = wc_signature(body)
    elif signature is not None:
        headers["X-WC-Webhook-Signature"] = signature
    return client.http.post("/webhooks/woocommerce", body=body, headers=headers)


def _b64(data: dict[str, Any]) -> str:
    import json

    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def jwt_attacks(now: float, other_email: str = "max.mustermann@example.com") -> dict[str, str | None]:
    """Account tokens an attacker may send (None: no token at all), each of which must be a 401."""
    import json

    good = account_token(now=now)
    header, payload, signature = good.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    return {
        "missing": None,
        "alg_none": _b64({"alg": "none", "typ": "JWT"}) + "." + _b64(claims) + ".",
        "wrong_audience": account_token(now=now, aud="someone-else"),
        "wrong_issuer": account_token(now=now, iss="https://evil.example"),
        "expired": account_token(now=now - 7200),
        "too_long_lived": account_token(now=now, lifetime=86_400),
        "other_secret": account_token(now=now, secret="not-the-storefront-secret-0123456789"),
        "tampered_sub": ".".join([header, _b64({**claims, "sub": "58", "email": other_email}), signature]),
        "no_email": account_token(now=now, email=None),
        "garbage": "not.a.jwt",
    }


AIRWALLEX_SECRET = "local-dev-airwallex-webhook-secret-not-real"  # the local stage's value (.chalice/config.json)


def aw_post(client: Any, body: bytes, *, timestamp: str | None = None, signature: str | None = "auto",
            secret: str = AIRWALLEX_SECRET) -> Any:
    """POST /webhooks/airwallex signed as Airwallex does (hex HMAC-SHA256 of x-timestamp + body)."""
    from chalicelib.signatures.airwallex import sign
    from tests.conftest import NOW

    timestamp = str(NOW * 1000) if timestamp is None else timestamp
    headers = {"Content-Type": "application/json", "x-timestamp": timestamp}
    if signature == "auto":
        headers["x-signature"] = sign(timestamp, body, secret)
    elif signature is not None:
        headers["x-signature"] = signature
    return client.http.post("/webhooks/airwallex", body=body, headers=headers)


# The whole suite's log scan (tests/conftest.py) reads every *.log under this folder, the served stacks' too.
LOG_SCAN_DIR = "PRIVACY_TEST_LOG_DIR"


def served_log_dir(tmp_path_factory: Any, name: str = "served") -> Path:
    """Where a served stack's processes (API, emulator) write their logs: inside the run's log-scan folder, so the
    scan at the end of the session reads what `chalice local` and the moto server printed too."""
    folder = os.environ.get(LOG_SCAN_DIR)
    if not folder:
        return Path(tmp_path_factory.mktemp(name))
    path = Path(folder) / f"{name}-{uuid.uuid4().hex[:8]}"
    path.mkdir(parents=True)
    return path


def http_call(base: str, method: str, path: str, body: bytes | None = None,
              headers: dict[str, str] | None = None) -> tuple[int, Any]:
    """One request to a served API (`served.api`): its status and its JSON answer (None when empty), 4xx included."""
    import urllib.error
    import urllib.request

    req = urllib.request.Request(f"{base}{path}", data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=20) as response:
            raw, status = response.read(), response.status
    except urllib.error.HTTPError as error:
        raw, status = error.read(), error.code
    return int(status), json.loads(raw) if raw else None


def race(work: Any, copies: int = 4, timeout: float = 60.0) -> list[Any]:
    """`work(n)` run by `copies` threads released together (a barrier): what each returned, or its exception's
    class name when it raised (a conflict that survived the retries is an answer too: the sender retries)."""
    import threading

    barrier = threading.Barrier(copies)
    results: list[Any] = []

    def run(n: int) -> None:
        barrier.wait(timeout=10)
        try:
            results.append(work(n))
        except Exception as error:
            results.append(type(error).__name__)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(copies)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    return results
