"""The store's WooCommerce REST API (v3), for the one call a correction needs: `PUT /wp-json/wc/v3/customers/{id}`.

Authenticated with the store's REST API keys (consumer key and secret, secrets `WOOCOMMERCE_CONSUMER_KEY` /
`WOOCOMMERCE_CONSUMER_SECRET`) as HTTP Basic auth, which WooCommerce accepts over HTTPS (a deployed stage refuses a
base URL that is not https); through our bounded, no-redirect HTTP port.  The body is WooCommerce's customer schema
(`first_name`, `last_name`, `billing{...}`, `shipping{...}`).

Outcomes, never raising for the remote side's failures and never carrying a value of the body:
- `updated`: 2xx with the customer's JSON (its id);
- `retry`: 429, 5xx, a timeout or an unreachable store, an answer that is not the customer: try again later;
- `rejected`: any other 4xx (unknown customer, refused keys, a value WooCommerce refuses): a person must look;
- `not_configured`: no base URL or no keys.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from chalicelib.adapters.http_client import HttpError, HttpPort

CUSTOMER_PATH = "/wp-json/wc/v3/customers/{id}"


@dataclass(frozen=True)
class StoreAnswer:
    outcome: str  # updated | retry | rejected | not_configured
    status: int | None = None  # the HTTP status, when there was one
    code: str | None = None  # WooCommerce's error code (e.g. woocommerce_rest_invalid_id), when it sent one


class WooCommerceApi:
    def __init__(self, http: HttpPort, base_url: str, credentials: Callable[[], tuple[str, str]], *,
                 timeout: float = 5.0) -> None:
        self.http = http
        self.base_url = base_url.rstrip("/")
        self.credentials = credentials
        self.timeout = timeout

    def update_customer(self, customer_id: int, body: dict[str, Any]) -> StoreAnswer:
        key, secret = self.credentials() if self.base_url else ("", "")
        if not (self.base_url and key and secret):
            return StoreAnswer("not_configured")
        token = base64.b64encode(f"{key}:{secret}".encode()).decode("ascii")
        url = self.base_url + CUSTOMER_PATH.format(id=int(customer_id))
        try:
            response = self.http.request("PUT", url, headers={
                "Authorization": f"Basic {token}", "Content-Type": "application/json", "Accept": "application/json",
            }, body=json.dumps(body, ensure_ascii=False).encode("utf-8"), timeout=self.timeout)
        except HttpError:
            return StoreAnswer("retry")
        status = response.status
        if status == 429 or status >= 500:
            return StoreAnswer("retry", status)
        answer = _json(response.body)
        if 200 <= status < 300:
            if isinstance(answer, dict) and answer.get("id") == int(customer_id):
                return StoreAnswer("updated", status)
            return StoreAnswer("retry", status)  # a 2xx that is not the customer (a proxy's page): try again
        code = answer.get("code") if isinstance(answer, dict) else None
        return StoreAnswer("rejected", status, str(code)[:80] if isinstance(code, str) else None)


def _json(body: bytes) -> Any:
    try:
        return json.loads(body)
    except ValueError:
        return None
