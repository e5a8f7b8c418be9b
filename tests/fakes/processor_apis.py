"""Fake processor APIs on 127.0.0.1 (one free port each, in a thread, stopped after the test), speaking the documented
protocols (tests/events/ga4, tests/events/botpress):

- `FakeGoogle`: the OAuth 2.0 token endpoint of a service account (`POST /token`, grant type jwt-bearer: the
  assertion's RS256 signature is verified with the service account's public key, and its iss, aud (Google's
  token endpoint: google-auth's audience whatever the key's token_uri), scope and exp)
  and GA4's `POST /analytics/v3/userDeletion/userDeletionRequests:upsert` (bearer token, body schema, property id);
- `FakeBotpress`: the runtime API's `GET /v1/chat/users` (tag filter `tags.<name>=<value>`, as Botpress' client
  serialises its object parameter; paging by nextToken), `GET
  /v1/chat/conversations` (participantIds, paging), `DELETE /v1/chat/conversations/{id}` and
  `DELETE /v1/chat/users/{id}` (404 for unknown ids), with bearer token and x-bot-id checked.

Each records what it was asked and can be told to misbehave: `fail_next = [(status, times)]`, `slow` (answers after
the client's timeout), `garbage` (answers that are not JSON).
"""

from __future__ import annotations

import json
import secrets
import time
from dataclasses import dataclass, field
from http.server import ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote

from tests.fakes.local_http import Answer, serve
from tests.fakes.local_http import stop as stop  # the fixtures stop what start_* started


@dataclass
class Faults:
    fail_next: list[int] = field(default_factory=list)  # statuses answered by the next calls, one each
    slow: bool = False
    garbage: bool = False
    delay: float = 1.5
    fail_calls: set[int] = field(default_factory=set)  # the n-th calls (1-based, counted from now on) answer 503
    calls: int = 0

    def inject(self) -> Answer | None:
        self.calls += 1
        if self.calls in self.fail_calls:
            return 503, b'{"error": {"message": "injected"}}'
        if self.slow:
            time.sleep(self.delay)
        if self.fail_next:
            return self.fail_next.pop(0), b'{"error": {"message": "injected"}}'
        if self.garbage:
            return 200, b"<html>maintenance</html>"
        return None


# -- Google: token endpoint + GA4 user deletion ---------------------------------------------------------------------
def service_account_key(token_uri: str, *, client_email: str = "eraser@store-analytics.iam.gserviceaccount.com"
                        ) -> tuple[dict[str, Any], Any]:
    """A service account JSON key made now (nothing committed) and its public key."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption()).decode()
    info = {"type": "service_account", "project_id": "store-analytics", "private_key_id": secrets.token_hex(8),
            "private_key": pem, "client_email": client_email, "client_id": "1234567890",
            "token_uri": token_uri}
    return info, key.public_key()


GOOGLE_AUDIENCE = "https://oauth2.googleapis.com/token"  # google-auth's `aud` whatever the key's token_uri


@dataclass
class FakeGoogle:
    property_id: str = "123456789"
    public_key: Any = None
    client_email: str = ""
    base: str = ""
    service_account: dict[str, Any] = field(default_factory=dict)  # the key it trusts (set by the fixture)
    tokens: set[str] = field(default_factory=set)
    token_requests: int = 0
    deletions: list[dict[str, Any]] = field(default_factory=list)
    token_faults: Faults = field(default_factory=Faults)
    api_faults: Faults = field(default_factory=Faults)

    @property
    def token_uri(self) -> str:
        return self.base + "/token"

    def answer(self, method: str, path: str, query: str, headers: dict[str, str], body: bytes) -> Answer:
        if method == "POST" and path == "/token":
            return self._token(body)
        if method == "POST" and path == "/analytics/v3/userDeletion/userDeletionRequests:upsert":
            return self._upsert(headers, body)
        return 404, b'{"error": {"code": 404}}'

    def _token(self, body: bytes) -> Answer:
        import jwt

        self.token_requests += 1
        injected = self.token_faults.inject()
        if injected:
            return injected
        form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
        if form.get("grant_type") != "urn:ietf:params:oauth:grant-type:jwt-bearer":
            return 400, b'{"error": "unsupported_grant_type"}'
        try:
            claims = jwt.decode(form.get("assertion", ""), self.public_key, algorithms=["RS256"],
                                audience=GOOGLE_AUDIENCE, options={"require": ["exp", "iat", "iss", "aud"]})
        except jwt.PyJWTError:
            return 400, b'{"error": "invalid_grant", "error_description": "Invalid JWT Signature."}'
        if claims.get("iss") != self.client_email or \
                claims.get("scope") != "https://www.googleapis.com/auth/analytics.user.deletion":
            return 400, b'{"error": "invalid_scope"}'
        token = "ya29." + secrets.token_urlsafe(24)
        self.tokens.add(token)
        return 200, json.dumps({"access_token": token, "expires_in": 3599, "token_type": "Bearer"}).encode()

    def _upsert(self, headers: dict[str, str], body: bytes) -> Answer:
        injected = self.api_faults.inject()
        if injected:
            return injected
        if headers.get("authorization", "").removeprefix("Bearer ") not in self.tokens:
            return 401, b'{"error": {"code": 401, "status": "UNAUTHENTICATED"}}'
        try:
            request = json.loads(body)
            ident = request["id"]
            valid = (request["kind"] == "analytics#userDeletionRequest" and ident["type"] in ("USER_ID", "CLIENT_ID")
                     and isinstance(ident["userId"], str) and ident["userId"])
        except (ValueError, KeyError, TypeError):
            valid = False
        if not valid:
            return 400, b'{"error": {"code": 400, "status": "INVALID_ARGUMENT"}}'
        if request.get("propertyId") != self.property_id:
            return 403, b'{"error": {"code": 403, "status": "PERMISSION_DENIED"}}'
        self.deletions.append(request)
        return 200, json.dumps({**request, "deletionRequestTime": "2026-12-02T12:00:00.000Z"}).encode()


def start_google() -> tuple[FakeGoogle, dict[str, Any], ThreadingHTTPServer]:
    """The fake and the service account key that it trusts."""
    fake = FakeGoogle()
    fake.base, server = serve(fake.answer)
    info, public = service_account_key(fake.token_uri)
    fake.public_key, fake.client_email = public, info["client_email"]
    return fake, info, server


# -- Botpress runtime API -------------------------------------------------------------------------------------------
BOTPRESS_TOKEN = "bp_pat_local-test-token-not-real"
BOT_ID = "bot-4242"
PAGE = 2  # small pages, so that paging is exercised


@dataclass
class FakeBotpress:
    base: str = ""
    users: dict[str, dict[str, Any]] = field(default_factory=dict)  # id -> {"id", "tags"}
    conversations: dict[str, dict[str, Any]] = field(default_factory=dict)  # id -> {"id", "participants"}
    messages: dict[str, int] = field(default_factory=dict)  # conversation id -> messages held
    seen: list[tuple[str, str, dict[str, list[str]]]] = field(default_factory=list)
    faults: Faults = field(default_factory=Faults)
    ignore_filter: bool = False  # a server that ignores the tag filter (lists every user)

    def add_user(self, user_id: str, tags: dict[str, str], conversations: int = 1) -> None:
        self.users[user_id] = {"id": user_id, "tags": tags}
        for n in range(conversations):
            conversation = f"{user_id}-c{n}"
            self.conversations[conversation] = {"id": conversation, "participants": [user_id]}
            self.messages[conversation] = 3

    def answer(self, method: str, path: str, query: str, headers: dict[str, str], body: bytes) -> Answer:
        params = parse_qs(query, keep_blank_values=True)
        self.seen.append((method, path, params))
        if headers.get("authorization") != f"Bearer {BOTPRESS_TOKEN}" or headers.get("x-bot-id") != BOT_ID:
            return 401, b'{"code": 401, "type": "Unauthorized"}'
        injected = self.faults.inject()
        if injected:
            return injected
        if method == "GET" and path == "/v1/chat/users":
            tags = {key[len("tags."):]: values[0] for key, values in params.items() if key.startswith("tags.")}
            if self.ignore_filter:
                tags = {}
            found = [u for u in sorted(self.users) if all(self.users[u]["tags"].get(k) == v for k, v in tags.items())]
            return self._page("users", [self.users[u] for u in found], params)
        if method == "GET" and path == "/v1/chat/conversations":
            wanted = set(params.get("participantIds", []))
            found = [c for c in sorted(self.conversations)
                     if wanted & set(self.conversations[c]["participants"])]
            return self._page("conversations", [self.conversations[c] for c in found], params)
        for collection, prefix in ((self.conversations, "/v1/chat/conversations/"), (self.users, "/v1/chat/users/")):
            if method == "DELETE" and path.startswith(prefix):
                ident = unquote(path[len(prefix):])
                if ident not in collection:
                    return 404, b'{"code": 404, "type": "ResourceNotFound"}'
                del collection[ident]
                self.messages.pop(ident, None)
                return 200, b"{}"
        return 404, b'{"code": 404}'

    def _page(self, name: str, items: list[dict[str, Any]], params: dict[str, list[str]]) -> Answer:
        start = int((params.get("nextToken") or ["0"])[0] or 0)
        chunk = items[start:start + PAGE]
        more = start + PAGE < len(items)
        meta = {"nextToken": str(start + PAGE)} if more else {}
        return 200, json.dumps({name: chunk, "meta": meta}).encode()


def start_botpress() -> tuple[FakeBotpress, ThreadingHTTPServer]:
    fake = FakeBotpress()
    fake.base, server = serve(fake.answer)
    return fake, server
