"""The `botpress` connector: deletes the person's chat users and their conversations through Botpress' runtime API.

    GET    {BOTPRESS_API_BASE}/v1/chat/users?tags.<BOTPRESS_USER_TAG>=<identifier>&nextToken=...
    GET    {BOTPRESS_API_BASE}/v1/chat/conversations?participantIds=<user id>&nextToken=...
    DELETE {BOTPRESS_API_BASE}/v1/chat/conversations/{id}     (its messages go with it)
    DELETE {BOTPRESS_API_BASE}/v1/chat/users/{id}

Headers `Authorization: Bearer <BOTPRESS_TOKEN>` (a personal access token or the bot's token) and `x-bot-id:
<BOTPRESS_BOT_ID>`.  The `tags` filter is an object parameter; it is sent as Botpress' own client serialises it
(`qs.stringify` with `allowDots`: `tags.email=...`), every key and value percent-encoded.  Every listed user must
carry the tag with exactly the person's value, or nothing is deleted (`failed`): a server that ignored the filter
must never make this delete every chat user.  Which user is the person: the store's chat widget tags its users with
BOTPRESS_USER_TAG (default `email`): the value is the person's e-mail address, or their WooCommerce customer id
when the tag's name contains "customer" (e.g. `wc_customer_id`).

Idempotent: what was deleted is gone, a 404 on a deletion counts as gone, so a retry after a failure halfway ends in
the same state.  Paging is bounded (MAX_PAGES per listing).  Answers: everything deleted (or nothing found) ->
acknowledged with counts; 429, 5xx, timeouts -> retry; 400/401/403 -> failed; an answer that is not the documented
JSON -> failed.  Details carry counts and statuses only, never the identifier.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode

from chalicelib.adapters.http_client import HttpError, HttpPort
from chalicelib.adapters.processors import ConnectorResult, ErasureTarget, Outcome, classify_status

if TYPE_CHECKING:
    from chalicelib.settings import Settings

MAX_PAGES = 20


class _Stop(Exception):
    def __init__(self, result: ConnectorResult) -> None:
        self.result = result


class BotpressConnector:
    name = "botpress"

    def __init__(self, http: HttpPort, *, api_base: str, bot_id: str, token: str, user_tag: str,
                 timeout: float) -> None:
        self.http = http
        self.api_base = api_base.rstrip("/")
        self.bot_id = bot_id
        self.token = token
        self.user_tag = user_tag
        self.timeout = timeout

    def identifier(self, target: ErasureTarget) -> str | None:
        return target.customer_id if "customer" in self.user_tag.lower() else target.email

    def erase(self, target: ErasureTarget) -> ConnectorResult:
        if not self.token or not self.bot_id:
            return ConnectorResult(Outcome.FAILED, "not configured: BOTPRESS_TOKEN / BOTPRESS_BOT_ID")
        value = self.identifier(target)
        if not value:
            return ConnectorResult(Outcome.ACKNOWLEDGED, "no identifier held: no chat user to find")
        if "." in self.user_tag:
            return ConnectorResult(Outcome.FAILED, "not configured: BOTPRESS_USER_TAG may not contain a dot")
        try:
            listed = self._list("/v1/chat/users", "users", {f"tags.{self.user_tag}": value})
            if any(not isinstance(user.get("tags"), dict) or user["tags"].get(self.user_tag) != value
                   for user in listed):
                return ConnectorResult(Outcome.FAILED, "unexpected answer: a listed user does not carry the tag; "
                                                       "nothing deleted")
            users = [str(user["id"]) for user in listed]
            conversations = 0
            for user in users:
                for conversation in [str(c["id"]) for c in self._list(
                        "/v1/chat/conversations", "conversations", {"participantIds": user})]:
                    conversations += self._delete(f"/v1/chat/conversations/{quote(conversation, safe='')}")
                self._delete(f"/v1/chat/users/{quote(user, safe='')}")
        except _Stop as stop:
            return stop.result
        if not users:
            return ConnectorResult(Outcome.ACKNOWLEDGED, "no chat user found")
        return ConnectorResult(Outcome.ACKNOWLEDGED,
                               f"deleted {len(users)} chat user(s) and {conversations} conversation(s)")

    def _call(self, method: str, path: str) -> tuple[int, bytes]:
        try:
            answer = self.http.request(method, self.api_base + path, timeout=self.timeout,
                                       headers={"Authorization": f"Bearer {self.token}", "x-bot-id": self.bot_id})
        except HttpError:
            raise _Stop(ConnectorResult(Outcome.RETRY, "Botpress unreachable")) from None
        return answer.status, answer.body

    def _list(self, path: str, name: str, query: dict[str, str]) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        cursor = ""
        for _ in range(MAX_PAGES):
            params = {**query, **({"nextToken": cursor} if cursor else {})}
            status, body = self._call("GET", f"{path}?{urlencode(params)}")
            refused = classify_status(status)
            if refused is not None:
                raise _Stop(ConnectorResult(refused, f"Botpress answered HTTP {status} listing {name}"))
            page = _json(body)
            items = page.get(name) if isinstance(page, dict) else None
            if not isinstance(items, list) or not all(isinstance(i, dict) and isinstance(i.get("id"), str)
                                                      for i in items):
                raise _Stop(ConnectorResult(Outcome.FAILED, f"Botpress answered an unexpected {name} listing"))
            found.extend(items)
            meta = page.get("meta") if isinstance(page, dict) else None
            cursor = str(meta.get("nextToken") or "") if isinstance(meta, dict) else ""
            if not cursor:
                return found
        raise _Stop(ConnectorResult(Outcome.FAILED, f"more than {MAX_PAGES} pages of {name}: left for the operator"))

    def _delete(self, path: str) -> int:
        status, _ = self._call("DELETE", path)
        if status == 404:
            return 0  # already gone
        refused = classify_status(status)
        if refused is not None:
            raise _Stop(ConnectorResult(refused, f"Botpress answered HTTP {status} to a deletion"))
        return 1


def _json(body: bytes) -> Any:
    try:
        return json.loads(body)
    except ValueError:
        return None


def botpress_connector(settings: Settings, http: HttpPort, token: str) -> BotpressConnector:
    return BotpressConnector(http, api_base=settings.botpress_api_base, bot_id=settings.botpress_bot_id,
                             token=token, user_tag=settings.botpress_user_tag,
                             timeout=settings.connector_timeout_seconds)
