"""The `ga4` connector: Google Analytics' User Deletion API, authorised with a service account through google-auth.

    POST {GA4_API_BASE}/analytics/v3/userDeletion/userDeletionRequests:upsert
    {"kind": "analytics#userDeletionRequest", "id": {"type": "USER_ID" | "CLIENT_ID", "userId": ...},
     "propertyId": GA4_PROPERTY_ID}                 -> {..., "deletionRequestTime": "<RFC 3339>"}

The token comes from the service account's JSON key (secret GA4_SERVICE_ACCOUNT; its `token_uri` is where the
signed JWT assertion goes), scope `analytics.user.deletion`: google-auth signs the assertion and reads the answer
(no hand-made OAuth).  Its HTTP goes through `GoogleRequest`, an adapter of google-auth's transport interface over
our `HttpPort`: every outbound call stays bounded in time and size and never follows a redirect, and no `requests`
dependency is added for one POST.

The identifier is the policy's (`identifier` of the recipient): the WooCommerce customer id as `USER_ID` (what a
store sends as GA4's user_id), or the analytics client ids captured with consent as `CLIENT_ID`.  No identifier
held means GA4 holds nothing under an id we could name: `acknowledged` with that said.  Answers: every upsert 2xx
with `deletionRequestTime` -> acknowledged (reference: the latest time); 429, 5xx, timeouts, a token endpoint
that cannot be reached -> retry; 400/401/403/404 or a refused assertion -> failed (a configuration to fix);
a 2xx without `deletionRequestTime` -> failed (unexpected answer).  Details carry statuses only.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from chalicelib.adapters.http_client import HttpError, HttpPort
from chalicelib.adapters.processors import ConnectorResult, ErasureTarget, Outcome, classify_status

if TYPE_CHECKING:
    from chalicelib.settings import Settings

SCOPE = "https://www.googleapis.com/auth/analytics.user.deletion"
UPSERT_PATH = "/analytics/v3/userDeletion/userDeletionRequests:upsert"
TOKEN_MARGIN_SECONDS = 60
TRANSIENT = frozenset({408, 429, 500, 502, 503, 504})
LOCAL_HOSTS = ("http://127.0.0.1:", "http://localhost:")  # the fakes of the tests; anything else must be https


class GoogleRequest:
    """google.auth.transport.Request over our HttpPort (bounded, no redirects): the one transport google-auth uses
    here."""

    def __init__(self, http: HttpPort, timeout: float) -> None:
        self.http = http
        self.timeout = timeout

    def __call__(self, url: str, method: str = "GET", body: bytes | None = None,
                 headers: Mapping[str, str] | None = None, timeout: float | None = None, **_: Any) -> Any:
        from google.auth import exceptions, transport

        class Response(transport.Response):
            def __init__(self, status: int, data: bytes) -> None:
                self._status, self._data = status, data

            @property
            def status(self) -> int:
                return self._status

            @property
            def headers(self) -> Mapping[str, str]:
                return {}

            @property
            def data(self) -> bytes:
                return self._data

        try:
            answer = self.http.request(method, url, headers=dict(headers or {}), body=body,
                                       timeout=min(timeout or self.timeout, self.timeout))
        except HttpError as error:
            raise exceptions.TransportError(str(error)) from None  # type: ignore[no-untyped-call]
        if answer.status in TRANSIENT:
            # google-auth would retry these itself, sleeping seconds inside one erasure: the propagation owns the
            # retries (with its backoff), so a transient answer ends this attempt at once
            raise exceptions.TransportError(f"token endpoint answered {answer.status}")  # type: ignore[no-untyped-call]
        return Response(answer.status, answer.body)


class Ga4Connector:
    name = "ga4"

    def __init__(self, http: HttpPort, *, api_base: str, property_id: str, service_account: dict[str, Any] | None,
                 timeout: float, identifier: str = "user_id") -> None:
        self.http = http
        self.api_base = api_base.rstrip("/")
        self.property_id = property_id
        self.service_account = service_account
        self.timeout = timeout
        self.identifier = identifier
        self._token: tuple[str, float] | None = None

    def erase(self, target: ErasureTarget) -> ConnectorResult:
        if not self.property_id or not self.service_account:
            return ConnectorResult(Outcome.FAILED, "not configured: GA4_PROPERTY_ID / GA4_SERVICE_ACCOUNT")
        token_uri = str(self.service_account.get("token_uri", ""))
        if not (token_uri.startswith("https://") or token_uri.startswith(LOCAL_HOSTS)):
            return ConnectorResult(Outcome.FAILED, "not configured: the service account's token_uri is not https")
        ids = ([("USER_ID", target.customer_id)] if target.customer_id else []) if self.identifier == "user_id" \
            else [("CLIENT_ID", client_id) for client_id in target.client_ids]
        if not ids:
            return ConnectorResult(Outcome.ACKNOWLEDGED, f"no {self.identifier} held: nothing under an id to delete")
        token = self._access_token()
        if isinstance(token, ConnectorResult):
            return token
        times: list[str] = []
        for kind, value in ids:
            result = self._upsert(token, kind, value)
            if isinstance(result, ConnectorResult):
                return result
            times.append(result)
        return ConnectorResult(Outcome.ACKNOWLEDGED, f"deletion requested for {len(ids)} {self.identifier}(s)",
                               max(times))

    def _access_token(self) -> str | ConnectorResult:
        if self._token and self._token[1] > time.time() + TOKEN_MARGIN_SECONDS:
            return self._token[0]
        from google.auth import exceptions
        from google.oauth2 import service_account

        try:
            credentials = service_account.Credentials.from_service_account_info(  # type: ignore[no-untyped-call]
                self.service_account, scopes=[SCOPE])
            credentials.refresh(GoogleRequest(self.http, self.timeout))
        except (ValueError, KeyError):
            return ConnectorResult(Outcome.FAILED, "not configured: GA4_SERVICE_ACCOUNT is not a service account key")
        except exceptions.TransportError:
            return ConnectorResult(Outcome.RETRY, "token endpoint unreachable or busy")
        except exceptions.RefreshError as error:
            retryable = bool(getattr(error, "retryable", False))
            return ConnectorResult(Outcome.RETRY if retryable else Outcome.FAILED,
                                   "token refused" + (" (transient)" if retryable else ": check the service account"))
        expiry = credentials.expiry.timestamp() if credentials.expiry else time.time() + 300
        self._token = (str(credentials.token), expiry)
        return self._token[0]

    def _upsert(self, token: str, kind: str, value: str) -> str | ConnectorResult:
        body = json.dumps({"kind": "analytics#userDeletionRequest", "id": {"type": kind, "userId": value},
                           "propertyId": self.property_id}).encode()
        try:
            answer = self.http.request("POST", self.api_base + UPSERT_PATH, body=body, timeout=self.timeout,
                                       headers={"Authorization": f"Bearer {token}",
                                                "Content-Type": "application/json"})
        except HttpError:
            return ConnectorResult(Outcome.RETRY, "GA4 unreachable")
        refused = classify_status(answer.status)
        if refused is not None:
            if answer.status == 401:
                self._token = None
            return ConnectorResult(refused, f"GA4 answered HTTP {answer.status}")
        try:
            confirmed = json.loads(answer.body).get("deletionRequestTime")
        except (ValueError, AttributeError):
            confirmed = None
        if not isinstance(confirmed, str) or not confirmed or len(confirmed) > 64 or not confirmed.isprintable():
            return ConnectorResult(Outcome.FAILED, "GA4 answered without a deletionRequestTime")
        return confirmed


def ga4_connector(settings: Settings, http: HttpPort, secret: str, *, identifier: str = "user_id") -> Ga4Connector:
    """From the settings and the GA4_SERVICE_ACCOUNT secret (an unreadable secret: the connector answers failed)."""
    try:
        info = json.loads(secret) if secret else None
    except ValueError:
        info = None
    return Ga4Connector(http, api_base=settings.ga4_api_base, property_id=settings.ga4_property_id,
                        service_account=info if isinstance(info, dict) else None,
                        timeout=settings.connector_timeout_seconds, identifier=identifier)
