"""In-memory twin(s) of `chalicelib.storage.privacy_requests`: tests only."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from chalicelib.crypto.keys import KeyRecord
from chalicelib.domain.privacy_requests import AuditEntry, PrivacyRequest
from chalicelib.domain.retention import RetentionPolicy
from chalicelib.errors import SubjectSuppressedError
from chalicelib.storage.privacy_requests import (
    MAX_ACCOUNT_REQUESTS,
    OPEN_REQUESTS,
    REQUEST_SK,
    DuplicateSourceError,
    InvalidLinkError,
    StaleRequestError,
    Token,
    WorkItem,
    _work_from_item,
    account_item,
    account_pk,
    audit_from_item,
    audit_item,
    export_item,
    queue_key,
    request_from_item,
    request_item,
    request_pk,
    source_item,
    source_pk,
    token_item,
    token_pk,
    work_item,
)
from chalicelib.storage.sealed_writes import KeyRaceLost
from chalicelib.storage.subject_keys import SubjectKeyRepository, subject_pk


class InMemoryRequestRepository:
    """The in-memory twin: the same items, kept in a dict; the contract suite runs against both."""

    def __init__(self, policy: RetentionPolicy, keys: SubjectKeyRepository | None = None,
                 source_key: str = "test-source-key") -> None:
        self.policy = policy
        self.keys = keys
        self.source_key = source_key
        self.items: dict[tuple[str, str], dict[str, Any]] = {}

    def _live(self, key: tuple[str, str], now: int) -> dict[str, Any] | None:
        item = self.items.get(key)
        if item is None or int(item["expires_at"]) <= now:
            return None
        return copy.deepcopy(item)

    def add(self, request: PrivacyRequest, entry: AuditEntry, *, tokens: Sequence[Token] = (),
            work: Sequence[WorkItem] = (), new_key: KeyRecord | None = None) -> None:
        item = request_item(request, self.policy)
        if self.keys is not None:
            if self.keys.is_suppressed(request.subject, now=request.updated_at):
                raise SubjectSuppressedError("subject was erased")
            if new_key is not None and self.keys.add_if_absent(new_key).wrapped != new_key.wrapped:
                raise KeyRaceLost(request.subject)
        source = source_pk(request, self.source_key)
        first = self._live((source, REQUEST_SK), request.updated_at) if source else None
        if first is not None:
            raise DuplicateSourceError(str(first["request_id"]))
        if (item["pk"], item["sk"]) in self.items:
            raise StaleRequestError("request already exists")
        staged = [item, audit_item(request, entry, self.policy), *(token_item(t) for t in tokens),
                  *(work_item(w, self.policy) for w in work)]
        if request.customer_id:
            staged.append(account_item(request, self.policy))
        if source:
            staged.append(source_item(request, source, self.policy))
        for one in staged:
            self.items[(one["pk"], one["sk"])] = copy.deepcopy(one)

    def get(self, request_id: str, *, now: int) -> PrivacyRequest | None:
        item = self._live((request_pk(request_id), REQUEST_SK), now)
        return request_from_item(item) if item else None

    def for_subject(self, subject: str, *, now: int) -> list[PrivacyRequest]:
        found = [item for key, item in self.items.items()
                 if item.get("subject_pk") == subject_pk(subject) and str(item["subject_sk"]).startswith("REQUEST#")
                 and self._live(key, now)]
        found.sort(key=lambda item: str(item["subject_sk"]), reverse=True)
        return [request_from_item(copy.deepcopy(item)) for item in found]

    def for_account(self, customer_id: str, *, now: int) -> list[PrivacyRequest]:
        pointers = sorted((key[1], item["request_id"]) for key, item in self.items.items()
                          if key[0] == account_pk(customer_id) and self._live(key, now))
        found = [self._live((request_pk(str(request_id)), REQUEST_SK), now) for _, request_id in reversed(pointers)]
        return [request_from_item(item) for item in found[:MAX_ACCOUNT_REQUESTS] if item]

    def save(self, before: PrivacyRequest, after: PrivacyRequest, entry: AuditEntry, *, now: int,
             add_work: Sequence[WorkItem] = (), done_work: Sequence[str] = (),
             consume: Token | None = None, tokens: Sequence[Token] = ()) -> PrivacyRequest:
        current = self.items.get((request_pk(before.request_id), REQUEST_SK))
        if consume is not None and self._live((token_pk(consume.token_hash), consume.purpose), now) is None:
            raise InvalidLinkError("this link is invalid, used or expired")
        if current is None or int(current["version"]) != before.version:
            raise StaleRequestError("the request changed meanwhile; try again")
        stored = replace(after, version=before.version + 1)
        staged = [request_item(stored, self.policy), audit_item(stored, entry, self.policy),
                  *(work_item(w, self.policy) for w in add_work), *(token_item(t) for t in tokens)]
        for one in staged:
            self.items[(one["pk"], one["sk"])] = copy.deepcopy(one)
        for queue in done_work:
            self.items.pop((request_pk(before.request_id), queue_key(queue)), None)
        if consume is not None:
            self.items.pop((token_pk(consume.token_hash), consume.purpose), None)
        return stored

    def index_export(self, request: PrivacyRequest, object_keys: Sequence[str], *, at: int) -> int:
        item = export_item(request, object_keys, at, self.policy)
        self.items[(item["pk"], item["sk"])] = item
        return int(item["expires_at"])

    def audit(self, request_id: str, *, now: int) -> list[AuditEntry]:
        keys = sorted(key for key in self.items if key[0] == request_pk(request_id) and key[1].startswith("AUDIT#"))
        return [audit_from_item(item) for key in keys if (item := self._live(key, now))]

    def open_requests(self, *, now: int, due_before: int | None = None, limit: int = 100) -> list[PrivacyRequest]:
        found = [(str(item["open_sk"]), key) for key, item in self.items.items()
                 if item.get("open_pk") == OPEN_REQUESTS and self._live(key, now)]
        if due_before is not None:
            found = [entry for entry in found if entry[0] < f"{due_before:010d}~"]
        found.sort()
        return [request_from_item(copy.deepcopy(self.items[key])) for _, key in found[:limit]]

    def due_work(self, queue: str, *, until: int, now: int, limit: int = 25) -> list[WorkItem]:
        found = sorted((str(item["open_sk"]), key) for key, item in self.items.items()
                       if item.get("open_pk") == queue_key(queue) and self._live(key, now)
                       and str(item["open_sk"]) < f"{until:010d}~")
        return [_work_from_item(self.items[key]) for _, key in found[:limit]]

    def schedule_work(self, work: WorkItem) -> None:
        item = work_item(work, self.policy)
        self.items[(item["pk"], item["sk"])] = item

    def drop_work(self, request_id: str, queue: str) -> None:
        self.items.pop((request_pk(request_id), queue_key(queue)), None)

    def token(self, token_hash: str, purpose: str, *, now: int) -> Token | None:
        item = self._live((token_pk(token_hash), purpose), now)
        return Token(token_hash, purpose, str(item["request_id"]), int(item["expires_at"])) if item else None
