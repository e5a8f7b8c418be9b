"""Storage of privacy requests, their audit trail, verification/download tokens, work queues and rate limits.

Items (all carry `expires_at`; request and audit items follow the subject-item convention so that they appear in
the subject's export):

    REQ#<id> / REQUEST          the request: data (PrivacyRequest.to_data(), with its regime and the store
                                policy's `policy_version`; older items have none), sealed {"email"}, version;
                                subject link REQUEST#<received_at>#<id>; while open also
                                open_pk OPEN#REQUEST / open_sk <due_at 10 digits>#<id> (open requests by due date)
    REQ#<id> / AUDIT#<version>  one audit entry per transition (subject link REQUEST_AUDIT#<id>#<version>)
    REQ#<id> / WORK#<queue>     a work-queue marker: open_pk WORK#<queue> / open_sk <at 10 digits>#<id>
                                (queues: deletion, fulfil, unverified, notice); removed when the work is done
    REQ#<id> / ERASURE          progress of an erasure (chalicelib.services.erase_subject)
    TOKEN#<hash> / VERIFY       single-use verification token (keyed hash only), 24 hours
    TOKEN#<hash> / DOWNLOAD     export download token (keyed hash only), as long as the export lives
    SOURCE#<hash> / REQUEST     the request made from a source (a mail, a queue message, a letter's reference):
                                keyed hash of channel and source_ref only, written in the request's own
                                transaction, so one source never makes two requests

A transition is ONE transaction: the request (conditioned on its version), its audit entry, the work markers it
adds or removes and, for a verification, the deletion of the token (conditioned on its existence and expiry).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any, Protocol

from chalicelib.crypto.keys import KeyRecord
from chalicelib.domain.privacy_requests import AuditEntry, PrivacyRequest, Status
from chalicelib.domain.retention import Category, RetentionPolicy
from chalicelib.domain.subjects import keyed_hash
from chalicelib.errors import ConflictError, DomainError
from chalicelib.storage.sealed_writes import SealedWrites
from chalicelib.storage.subject_items import retention_attributes, subject_link
from chalicelib.storage.subject_keys import subject_pk
from chalicelib.storage.table import DynamoTable, TransactionFailed

OPEN_REQUESTS = "OPEN#REQUEST"
ACCOUNT_REQUEST_PREFIX = "REQ#"
EXPORT_SK = "EXPORT"
MAX_ACCOUNT_REQUESTS = 100
REQUEST_SK = "REQUEST"


class StaleRequestError(ConflictError):
    """The request changed since it was read (another process moved it first)."""

    code = "request_changed"


class DuplicateSourceError(StaleRequestError):
    """A request was already made from this source (`request_id` names it): nothing was written."""

    def __init__(self, request_id: str) -> None:
        super().__init__("a request was already made from this source")
        self.request_id = request_id


class InvalidLinkError(DomainError):
    """A verification or download link that is unknown, used or expired (never says which)."""

    status = 400
    code = "invalid_link"


def request_pk(request_id: str) -> str:
    return f"REQ#{request_id}"


def token_pk(token_hash: str) -> str:
    return f"TOKEN#{token_hash}"


def source_pk(request: PrivacyRequest, key: str) -> str | None:
    """The key of a request's source marker: a keyed hash of its channel and source reference (no personal data in
    keys); None when it has no source reference."""
    if not request.source_ref:
        return None
    return "SOURCE#" + keyed_hash(f"{request.channel.value}\x00{request.source_ref}", key, "request-source")


def queue_key(queue: str) -> str:
    return f"WORK#{queue}"


@dataclass(frozen=True)
class WorkItem:
    queue: str
    request_id: str
    at: int


@dataclass(frozen=True)
class Token:
    token_hash: str
    purpose: str  # "VERIFY" | "DOWNLOAD"
    request_id: str
    expires_at: int


class RequestRepository(Protocol):
    def add(self, request: PrivacyRequest, entry: AuditEntry, *, tokens: Sequence[Token] = ...,
            work: Sequence[WorkItem] = ..., new_key: KeyRecord | None = None) -> None:
        """Store a new request (one transaction, behind its subject's guards: SubjectSuppressedError for an erased
        subject, whatever a process cached; KeyRaceLost when `new_key`, the key `request.sealed` was made with, lost
        to another writer's).  StaleRequestError when the request id exists; DuplicateSourceError (naming the
        first request) when a live request was already made from the same channel and `source_ref`: the source
        marker is written in the same transaction, so of two concurrent adds of one source exactly one succeeds."""
        ...

    def get(self, request_id: str, *, now: int) -> PrivacyRequest | None: ...

    def for_subject(self, subject: str, *, now: int) -> list[PrivacyRequest]: ...

    def for_account(self, customer_id: str, *, now: int) -> list[PrivacyRequest]:
        """The requests an account made (newest first, at most MAX_ACCOUNT_REQUESTS)."""
        ...

    def save(self, before: PrivacyRequest, after: PrivacyRequest, entry: AuditEntry, *, now: int,
             add_work: Sequence[WorkItem] = ..., done_work: Sequence[str] = ..., consume: Token | None = None,
             tokens: Sequence[Token] = ...) -> PrivacyRequest:
        """Persist a transition atomically; returns `after` with its new version.
        Raises StaleRequestError when `before` is not current, InvalidLinkError when `consume` is not valid."""
        ...

    def audit(self, request_id: str, *, now: int) -> list[AuditEntry]: ...

    def index_export(self, request: PrivacyRequest, object_keys: Sequence[str], *, at: int) -> int:
        """Record the objects of an export produced now (category `export`, due when it expires), so that the
        retention run deletes them when due without listing the bucket.  Returns when they expire."""
        ...

    def open_requests(self, *, now: int, due_before: int | None = None, limit: int = 100) -> list[PrivacyRequest]:
        """Open requests, earliest deadline first (through open_index, never a Scan)."""
        ...

    def due_work(self, queue: str, *, until: int, now: int, limit: int = 25) -> list[WorkItem]: ...

    def schedule_work(self, work: WorkItem) -> None:
        """Put (or move) the request's marker in `work.queue` to `work.at`."""
        ...

    def drop_work(self, request_id: str, queue: str) -> None:
        """Remove a stale work marker (its request is already closed)."""
        ...

    def token(self, token_hash: str, purpose: str, *, now: int) -> Token | None: ...



# -- item builders (shared by both implementations, so that they store the same thing) --------------------------
def request_item(request: PrivacyRequest, policy: RetentionPolicy) -> dict[str, Any]:
    pk = request_pk(request.request_id)
    item: dict[str, Any] = {
        "pk": pk, "sk": REQUEST_SK,
        **subject_link(request.subject, "request", f"{request.received_at:010d}#{request.request_id}"),
        **retention_attributes(policy, Category.PRIVACY_REQUEST, request.received_at, pk, REQUEST_SK),
        "data": request.to_data(), "sealed": dict(request.sealed), "version": request.version,
        "created_at": request.received_at, "updated_at": request.updated_at,
    }
    if request.is_open and request.status is not Status.UNVERIFIED:  # unverified ones expire, they are not due
        item["open_pk"] = OPEN_REQUESTS
        item["open_sk"] = f"{request.due_at:010d}#{request.request_id}"
    return item


def audit_item(request: PrivacyRequest, entry: AuditEntry, policy: RetentionPolicy) -> dict[str, Any]:
    pk, sk = request_pk(request.request_id), f"AUDIT#{request.version:06d}"
    return {
        "pk": pk, "sk": sk,
        **subject_link(request.subject, "request_audit", f"{request.request_id}#{request.version:06d}"),
        **retention_attributes(policy, Category.PRIVACY_REQUEST, request.received_at, pk, sk),
        "data": {"request_id": request.request_id, "at": entry.at, "from_status": entry.from_status,
                 "to_status": entry.to_status, "actor": entry.actor, "reason": entry.reason,
                 "details": entry.details},
        "created_at": entry.at, "updated_at": entry.at,
    }


def account_pk(customer_id: str) -> str:
    return f"ACCT#{customer_id}"


def account_item(request: PrivacyRequest, policy: RetentionPolicy) -> dict[str, Any]:
    """The account's pointer to a request it made: requests belong to the account (the token's `sub`), whatever
    e-mail address the account has today."""
    assert request.customer_id
    pk, sk = account_pk(request.customer_id), f"{ACCOUNT_REQUEST_PREFIX}{request.received_at:010d}#{request.request_id}"
    return {"pk": pk, "sk": sk, "request_id": request.request_id,
            **retention_attributes(policy, Category.PRIVACY_REQUEST, request.received_at, pk, sk, index_due=False),
            "created_at": request.received_at}


def export_item(request: PrivacyRequest, object_keys: Sequence[str], at: int,
                policy: RetentionPolicy) -> dict[str, Any]:
    pk, sk = request_pk(request.request_id), EXPORT_SK
    return {"pk": pk, "sk": sk, **subject_link(request.subject, "export", request.request_id),
            **retention_attributes(policy, Category.EXPORT, at, pk, sk),
            "data": {"request_id": request.request_id, "files": len(object_keys)},
            "s3_objects": [{"key": key} for key in object_keys], "created_at": at, "updated_at": at}


def source_item(request: PrivacyRequest, pk: str, policy: RetentionPolicy) -> dict[str, Any]:
    """The source marker: the request's id, kept (and deleted) as long as the request."""
    return {"pk": pk, "sk": REQUEST_SK, "request_id": request.request_id,
            **retention_attributes(policy, Category.PRIVACY_REQUEST, request.received_at, pk, REQUEST_SK),
            "created_at": request.received_at}


def work_item(work: WorkItem, policy: RetentionPolicy) -> dict[str, Any]:
    return {"pk": request_pk(work.request_id), "sk": queue_key(work.queue), "open_pk": queue_key(work.queue),
            "open_sk": f"{work.at:010d}#{work.request_id}", "request_id": work.request_id, "at": work.at,
            "expires_at": policy.expires_at(Category.PRIVACY_REQUEST, work.at)}


def token_item(token: Token) -> dict[str, Any]:
    return {"pk": token_pk(token.token_hash), "sk": token.purpose, "request_id": token.request_id,
            "category": Category.VERIFICATION_TOKEN.value, "expires_at": token.expires_at}


def request_from_item(item: dict[str, Any]) -> PrivacyRequest:
    subject = str(item["subject_pk"]).removeprefix("SUBJ#")
    return PrivacyRequest.from_data(subject, item["data"], version=int(item.get("version", 0)),
                                    sealed=dict(item.get("sealed") or {}))


def audit_from_item(item: dict[str, Any]) -> AuditEntry:
    data = item["data"]
    return AuditEntry(at=int(data["at"]), from_status=data.get("from_status"), to_status=str(data["to_status"]),
                      actor=str(data["actor"]), reason=str(data["reason"]), details=dict(data.get("details") or {}))


def _work_from_item(item: dict[str, Any]) -> WorkItem:
    return WorkItem(str(item["sk"]).removeprefix("WORK#"), str(item["request_id"]), int(item["at"]))


class DynamoRequestRepository:
    def __init__(self, table: DynamoTable, policy: RetentionPolicy, sealed: SealedWrites, source_key: str) -> None:
        self.table = table
        self.policy = policy
        self.sealed = sealed
        self.source_key = source_key  # keys the hashes of source references (source_pk)

    def add(self, request: PrivacyRequest, entry: AuditEntry, *, tokens: Sequence[Token] = (),
            work: Sequence[WorkItem] = (), new_key: KeyRecord | None = None) -> None:
        t = self.table
        item = request_item(request, self.policy)
        operations = [
            t.tx_put(item, condition="attribute_not_exists(pk)"),
            t.tx_put(audit_item(request, entry, self.policy)),
            *(t.tx_put(token_item(token)) for token in tokens),
            *(t.tx_put(work_item(w, self.policy)) for w in work),
            *(t.tx_put(account_item(request, self.policy)) for _ in ([1] if request.customer_id else [])),
        ]
        source = source_pk(request, self.source_key)
        if source is not None:  # last: its failure names the first request (old_on_failure)
            operations.append(t.tx_put(source_item(request, source, self.policy),
                                       condition="attribute_not_exists(pk) OR expires_at <= :now",
                                       values={":now": request.updated_at}, old_on_failure=True))
        readable_until = int(item["expires_at"]) if request.sealed else 0
        failure = self.sealed.run_guarded(request.subject, new_key, readable_until, operations, now=request.updated_at)
        if failure is None:
            return
        first = failure.item(len(operations) - 1) if source is not None else None
        if first is not None and failure.failed(len(operations) - 1):
            raise DuplicateSourceError(str(first["request_id"]))
        raise StaleRequestError("request already exists")

    def get(self, request_id: str, *, now: int) -> PrivacyRequest | None:
        item = self.table.get(request_pk(request_id), REQUEST_SK, now=now)
        return request_from_item(item) if item else None

    def for_subject(self, subject: str, *, now: int) -> list[PrivacyRequest]:
        items = self.table.query_all(
            index="subject_index", key_condition="subject_pk = :p AND begins_with(subject_sk, :k)",
            values={":p": subject_pk(subject), ":k": "REQUEST#"}, now=now, forward=False)
        return [request_from_item(item) for item in items]

    def for_account(self, customer_id: str, *, now: int) -> list[PrivacyRequest]:
        page = self.table.query_page(key_condition="pk = :p AND begins_with(sk, :r)",
                                     values={":p": account_pk(customer_id), ":r": ACCOUNT_REQUEST_PREFIX}, now=now,
                                     forward=False, limit=MAX_ACCOUNT_REQUESTS, consistent=True)
        keys = [(request_pk(str(item["request_id"])), REQUEST_SK) for item in page.items]
        found = self.table.batch_get(keys, now=now)
        return [request_from_item(found[key]) for key in keys if key in found]

    def save(self, before: PrivacyRequest, after: PrivacyRequest, entry: AuditEntry, *, now: int,
             add_work: Sequence[WorkItem] = (), done_work: Sequence[str] = (),
             consume: Token | None = None, tokens: Sequence[Token] = ()) -> PrivacyRequest:
        t = self.table
        stored = replace(after, version=before.version + 1)
        operations = [
            t.tx_put(request_item(stored, self.policy), condition="version = :v", values={":v": before.version}),
            t.tx_put(audit_item(stored, entry, self.policy), condition="attribute_not_exists(pk)"),
            *(t.tx_put(work_item(w, self.policy)) for w in add_work),
            *(t.tx_delete(request_pk(before.request_id), queue_key(q)) for q in done_work),
            *(t.tx_put(token_item(token)) for token in tokens),
        ]
        if consume is not None:
            operations.append(t.tx_delete(token_pk(consume.token_hash), consume.purpose,
                                          condition="attribute_exists(pk) AND expires_at > :now",
                                          values={":now": now}))
        try:
            t.transact(operations)
        except TransactionFailed as failure:
            if consume is not None and failure.failed(len(operations) - 1):
                raise InvalidLinkError("this link is invalid, used or expired") from None
            raise StaleRequestError("the request changed meanwhile; try again") from None
        return stored

    def index_export(self, request: PrivacyRequest, object_keys: Sequence[str], *, at: int) -> int:
        item = export_item(request, object_keys, at, self.policy)
        self.table.put(item)
        return int(item["expires_at"])

    def audit(self, request_id: str, *, now: int) -> list[AuditEntry]:
        items = self.table.query_all(key_condition="pk = :p AND begins_with(sk, :a)",
                                     values={":p": request_pk(request_id), ":a": "AUDIT#"}, now=now,
                                     consistent=True)
        return [audit_from_item(item) for item in items]

    def open_requests(self, *, now: int, due_before: int | None = None, limit: int = 100) -> list[PrivacyRequest]:
        condition, values = "open_pk = :o", {":o": OPEN_REQUESTS}
        if due_before is not None:
            condition += " AND open_sk < :d"
            values[":d"] = f"{due_before:010d}~"
        found: list[PrivacyRequest] = []
        for item in self.table.query_all(index="open_index", key_condition=condition, values=values, now=now,
                                         limit=min(limit, 100)):
            found.append(request_from_item(item))
            if len(found) >= limit:
                break
        return found

    def due_work(self, queue: str, *, until: int, now: int, limit: int = 25) -> list[WorkItem]:
        page = self.table.query_page(index="open_index", key_condition="open_pk = :q AND open_sk < :u",
                                     values={":q": queue_key(queue), ":u": f"{until:010d}~"}, now=now, limit=limit)
        return [_work_from_item(item) for item in page.items]

    def schedule_work(self, work: WorkItem) -> None:
        self.table.put(work_item(work, self.policy))

    def drop_work(self, request_id: str, queue: str) -> None:
        self.table.delete(request_pk(request_id), queue_key(queue))

    def token(self, token_hash: str, purpose: str, *, now: int) -> Token | None:
        item = self.table.get(token_pk(token_hash), purpose, now=now)
        if item is None:
            return None
        return Token(token_hash, purpose, str(item["request_id"]), int(item["expires_at"]))



