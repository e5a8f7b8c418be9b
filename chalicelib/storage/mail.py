"""Storage for privacy@ mail: exactly-once receipts, per-sender daily quotas and the kept correspondence.

Items:
- receipt     `INMAIL#<SES message id>` / `RECEIPT` (category webhook_receipt): state `processing` (claimed, with a
              lease) -> `replying` (request created; the composed reply is kept sealed with the sender's key until
              it is sent) -> `done`, plus the outcome and the request id.  Claimed with a conditional write, so a
              message is handled once however often it is seen (SNS retries, the scheduled pickup, concurrent
              runs); a claim whose lease ran out (a crashed attempt) is taken over and resumed where it stopped.
- quota       `MAILRATE#<subject>` / `<yyyymmdd>` (category rate_limit): answered messages per sender per day.
- correspondence `SUBJ#<subject>` / `CORR#<epoch>#<message id>#<in|out>`: the subject-item convention (kind and
              category `correspondence`, sender/subject/body sealed with the subject's key), so it appears in the
              subject's export and goes at erasure.  Written only if the subject is not suppressed.
- message     `INMAILID#<keyed hash of (Message-ID, sender)>` / `MESSAGE` (category webhook_receipt): which SES
              message id answers an RFC 5322 message.  An MTA retry delivers the same message under a new SES id;
              the first SES id to claim the hash answers it, every other copy is a duplicate.  No personal data:
              the key is an HMAC, the value an SES id.
- queue entry `MAILQ#<SES message id>` / `ENTRY` (category correspondence): mail for a person (not a request, or
              unclear), due in one month, listed by due date through open_index (`OPEN#MAILQUEUE`) while open.
              Non-personal: ids, dates, the kind and language, who answered and when; the message itself stays
              sealed correspondence of its subject.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal, Protocol

from chalicelib.domain.retention import Category, RetentionPolicy
from chalicelib.errors import SubjectSuppressedError
from chalicelib.storage.subject_items import retention_attributes, subject_link
from chalicelib.storage.subject_keys import DynamoSubjectKeyRepository, subject_pk
from chalicelib.storage.table import ConditionFailed, DynamoTable, TransactionFailed

State = Literal["processing", "replying", "done"]
RECEIPT_SK = "RECEIPT"
MESSAGE_SK = "MESSAGE"
QUEUE_SK = "ENTRY"
OPEN_QUEUE = "OPEN#MAILQUEUE"


@dataclass(frozen=True)
class QueueEntry:
    """Mail for a person (non-personal: ids, dates, kind and language)."""

    entry_id: str  # the SES message id of the message
    subject: str
    received_at: int
    due_at: int
    kind: str  # other | unclear
    language: str
    status: str = "open"  # open | answering (an operator is sending the answer) | answered
    reason: str | None = None
    answered_at: int | None = None
    answered_by: str | None = None
    reply_message_id: str | None = None

    def to_data(self) -> dict[str, Any]:
        return {"entry_id": self.entry_id, "subject": self.subject, "received_at": self.received_at,
                "due_at": self.due_at, "kind": self.kind, "language": self.language, "status": self.status,
                "reason": self.reason, "answered_at": self.answered_at, "answered_by": self.answered_by,
                "reply_message_id": self.reply_message_id}

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> QueueEntry:
        def opt_int(name: str) -> int | None:
            return int(data[name]) if data.get(name) is not None else None

        return cls(str(data["entry_id"]), str(data["subject"]), int(data["received_at"]), int(data["due_at"]),
                   str(data["kind"]), str(data["language"]), str(data.get("status", "open")), data.get("reason"),
                   opt_int("answered_at"), data.get("answered_by"), data.get("reply_message_id"))


@dataclass(frozen=True)
class Claim:
    claimed: bool
    state: str | None = None  # claimed: the state to resume from (processing | replying); else the state found
    outcome: str | None = None
    fields: dict[str, Any] = field(default_factory=dict)  # what an earlier attempt stored (e.g. the sealed reply)


@dataclass(frozen=True)
class Correspondence:
    subject: str
    message_id: str
    at: int
    direction: Literal["in", "out"]
    data: dict[str, Any]
    sealed: dict[str, str]


@dataclass
class ReceiptView:
    message_id: str
    state: str
    outcome: str | None = None
    request_id: str | None = None
    fields: dict[str, Any] = field(default_factory=dict)


def receipt_pk(message_id: str) -> str:
    return f"INMAIL#{message_id}"


def day_of(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, tz=UTC).strftime("%Y%m%d")


class MailStore(Protocol):
    def claim(self, message_id: str, token: str, *, now: int, lease_seconds: int) -> Claim: ...

    def advance(self, message_id: str, token: str, *, from_state: State, to_state: State, now: int,
                fields: dict[str, Any] | None = None, remove: tuple[str, ...] = ()) -> bool:
        """Move a claimed receipt on (only by its claimant, only from `from_state`), setting `fields` and removing
        the attributes named in `remove`."""
        ...

    def release(self, message_id: str, token: str) -> None:
        """Give a `processing` claim up at once (a retry may take it)."""
        ...

    def receipt(self, message_id: str, *, now: int) -> ReceiptView | None: ...

    def take_quota(self, subject: str, *, now: int, limit: int) -> bool:
        """Count one answered message for the sender today; False (and nothing counted) beyond `limit`."""
        ...

    def keep(self, record: Correspondence) -> None:
        """Store correspondence once (idempotent); SubjectSuppressedError for an erased subject."""
        ...

    def correspondence(self, subject: str, *, now: int) -> list[Correspondence]: ...

    def claim_message(self, key: str, message_id: str, *, now: int) -> str:
        """Record that SES message `message_id` answers the message of `key` (a keyed hash), unless another SES
        message id did first; returns the SES message id that answers it."""
        ...

    def enqueue(self, entry: QueueEntry) -> None:
        """Put mail for a person in the queue once (idempotent)."""
        ...

    def queue(self, *, now: int, due_before: int | None = None, limit: int = 200) -> list[QueueEntry]:
        """Open entries, earliest due first (only those due before `due_before` when given)."""
        ...

    def queue_entry(self, entry_id: str, *, now: int) -> QueueEntry | None: ...

    def claim_entry(self, entry_id: str, token: str, *, now: int, lease_seconds: int) -> bool:
        """Take an open entry to answer it (`answering`, with a lease); False when it is not open (answered, or
        being answered under a lease that has not run out)."""
        ...

    def release_entry(self, entry_id: str, token: str) -> None:
        """Give a claimed entry back (`open`): the answer was not sent."""
        ...

    def close_entry(self, entry_id: str, token: str, *, at: int, by: str, reply_message_id: str | None) -> bool:
        """Mark the entry claimed with `token` answered (False when the claim was lost)."""
        ...


def correspondence_keys(record: Correspondence) -> tuple[str, str, str]:
    ident = f"{record.at:010d}#{record.message_id}#{record.direction}"
    return subject_pk(record.subject), f"CORR#{ident}", ident


class DynamoMailStore:
    def __init__(self, table: DynamoTable, policy: RetentionPolicy, keys: DynamoSubjectKeyRepository) -> None:
        self.table = table
        self.policy = policy
        self.keys = keys

    def claim(self, message_id: str, token: str, *, now: int, lease_seconds: int) -> Claim:
        pk = receipt_pk(message_id)
        retention = retention_attributes(self.policy, Category.WEBHOOK_RECEIPT, now, pk, RECEIPT_SK)
        try:
            item = self.table.update(
                pk, RECEIPT_SK,
                expression=("SET #c = :token, #l = :until, #s = if_not_exists(#s, :p), updated_at = :now, "
                            "created_at = if_not_exists(created_at, :now), #e = if_not_exists(#e, :exp), "
                            "#k = :cat, due_pk = if_not_exists(due_pk, :dpk), due_sk = if_not_exists(due_sk, :dsk)"),
                condition="attribute_not_exists(pk) OR (#s IN (:p, :r) AND #l < :now)",
                names={"#c": "claim", "#l": "lease_until", "#s": "state", "#e": "expires_at", "#k": "category"},
                values={":token": token, ":until": now + lease_seconds, ":p": "processing", ":r": "replying",
                        ":now": now, ":exp": retention["expires_at"], ":cat": retention["category"],
                        ":dpk": retention["due_pk"], ":dsk": retention["due_sk"]},
                return_new=True,
            )
        except ConditionFailed:
            found = self.receipt(message_id, now=now)
            return Claim(False, found.state if found else None, found.outcome if found else None)
        item = item or {}
        return Claim(True, str(item.get("state", "processing")), item.get("outcome"),
                     {k: v for k, v in item.items() if k not in ("pk", "sk")})

    def advance(self, message_id: str, token: str, *, from_state: State, to_state: State, now: int,
                fields: dict[str, Any] | None = None, remove: tuple[str, ...] = ()) -> bool:
        extra = {k: v for k, v in (fields or {}).items() if v is not None}
        sets = ["#s = :to", "updated_at = :now"] + [f"#f{i} = :f{i}" for i in range(len(extra))]
        names = {"#s": "state", "#c": "claim", **{f"#f{i}": name for i, name in enumerate(extra)},
                 **{f"#r{i}": name for i, name in enumerate(remove)}}
        expression = "SET " + ", ".join(sets)
        if remove:
            expression += " REMOVE " + ", ".join(f"#r{i}" for i in range(len(remove)))
        values = {":to": to_state, ":from": from_state, ":token": token, ":now": now,
                  **{f":f{i}": value for i, value in enumerate(extra.values())}}
        try:
            self.table.update(receipt_pk(message_id), RECEIPT_SK, expression=expression,
                              condition="#s = :from AND #c = :token", names=names, values=values)
            return True
        except ConditionFailed:
            return False

    def release(self, message_id: str, token: str) -> None:
        with contextlib.suppress(ConditionFailed):
            self.table.update(receipt_pk(message_id), RECEIPT_SK, expression="SET #l = :zero",
                              condition="#s IN (:p, :r) AND #c = :token",
                              names={"#s": "state", "#c": "claim", "#l": "lease_until"},
                              values={":zero": 0, ":p": "processing", ":r": "replying", ":token": token})

    def receipt(self, message_id: str, *, now: int) -> ReceiptView | None:
        item = self.table.get(receipt_pk(message_id), RECEIPT_SK, now=now)
        if item is None:
            return None
        return ReceiptView(message_id, str(item["state"]), item.get("outcome"), item.get("request_id"),
                           {k: v for k, v in item.items() if k not in ("pk", "sk")})

    def take_quota(self, subject: str, *, now: int, limit: int) -> bool:
        expires = self.policy.expires_at(Category.RATE_LIMIT, now)
        try:
            self.table.update(
                f"MAILRATE#{subject}", day_of(now),
                expression="ADD #n :one SET #e = if_not_exists(#e, :exp), #k = :cat",
                condition="attribute_not_exists(#n) OR #n < :limit",
                names={"#n": "answered", "#e": "expires_at", "#k": "category"},
                values={":one": 1, ":exp": expires, ":limit": limit, ":cat": Category.RATE_LIMIT.value},
            )
            return True
        except ConditionFailed:
            return False

    def keep(self, record: Correspondence) -> None:
        pk, sk, ident = correspondence_keys(record)
        item = {"pk": pk, "sk": sk, **subject_link(record.subject, "correspondence", ident),
                "data": record.data, "sealed": record.sealed, "created_at": record.at, "updated_at": record.at,
                **retention_attributes(self.policy, Category.CORRESPONDENCE, record.at, pk, sk)}
        try:
            self.table.transact([
                self.table.tx_put(item, condition="attribute_not_exists(pk)"),
                self.keys.tx_not_suppressed(record.subject, record.at),
            ])
        except TransactionFailed as failed:
            if failed.failed(1):
                raise SubjectSuppressedError("subject was erased") from None
            if failed.failed(0):
                return  # already kept (a retry)
            raise

    def correspondence(self, subject: str, *, now: int) -> list[Correspondence]:
        items = self.table.query_all(key_condition="pk = :pk AND begins_with(sk, :c)",
                                     values={":pk": subject_pk(subject), ":c": "CORR#"}, now=now, consistent=True)
        return [Correspondence(subject, str(i["data"]["message_id"]), int(i["created_at"]), i["data"]["direction"],
                               dict(i["data"]), dict(i.get("sealed", {}))) for i in items]

    # -- the same message under another SES id, and the queue of mail for a person ----------------------------------
    def claim_message(self, key: str, message_id: str, *, now: int) -> str:
        pk = f"INMAILID#{key}"
        item = {"pk": pk, "sk": MESSAGE_SK, "message_id": message_id, "created_at": now,
                **retention_attributes(self.policy, Category.WEBHOOK_RECEIPT, now, pk, MESSAGE_SK)}
        try:
            self.table.put(item, condition="attribute_not_exists(pk) OR message_id = :m", values={":m": message_id})
            return message_id
        except ConditionFailed:
            found = self.table.get(pk, MESSAGE_SK, now=now)
            return str(found["message_id"]) if found else message_id

    def enqueue(self, entry: QueueEntry) -> None:
        pk = f"MAILQ#{entry.entry_id}"
        item = {"pk": pk, "sk": QUEUE_SK, "data": entry.to_data(), "open_pk": OPEN_QUEUE,
                "open_sk": f"{entry.due_at:010d}#{entry.entry_id}", "created_at": entry.received_at,
                "updated_at": entry.received_at,
                **retention_attributes(self.policy, Category.CORRESPONDENCE, entry.received_at, pk, QUEUE_SK)}
        with contextlib.suppress(ConditionFailed):
            self.table.put(item, condition="attribute_not_exists(pk)")

    def queue(self, *, now: int, due_before: int | None = None, limit: int = 200) -> list[QueueEntry]:
        condition, values = "open_pk = :o", {":o": OPEN_QUEUE}
        if due_before is not None:
            condition += " AND open_sk < :d"
            values[":d"] = f"{due_before:010d}"
        found: list[QueueEntry] = []
        for item in self.table.query_all(index="open_index", key_condition=condition, values=values, now=now):
            if str(item.get("pk", "")).startswith("MAILQ#"):
                found.append(QueueEntry.from_data(dict(item["data"])))
            if len(found) >= limit:
                break
        return found

    def queue_entry(self, entry_id: str, *, now: int) -> QueueEntry | None:
        item = self.table.get(f"MAILQ#{entry_id}", QUEUE_SK, now=now)
        return QueueEntry.from_data(dict(item["data"])) if item else None

    def claim_entry(self, entry_id: str, token: str, *, now: int, lease_seconds: int) -> bool:
        try:
            self.table.update(
                f"MAILQ#{entry_id}", QUEUE_SK,
                expression="SET #d.#s = :answering, #d.#c = :token, #d.#l = :until, updated_at = :now",
                condition="attribute_exists(pk) AND (#d.#s = :open OR (#d.#s = :answering AND #d.#l < :now))",
                names={"#d": "data", "#s": "status", "#c": "claim", "#l": "lease_until"},
                values={":answering": "answering", ":open": "open", ":token": token, ":until": now + lease_seconds,
                        ":now": now})
            return True
        except ConditionFailed:
            return False

    def release_entry(self, entry_id: str, token: str) -> None:
        with contextlib.suppress(ConditionFailed):
            self.table.update(f"MAILQ#{entry_id}", QUEUE_SK, expression="SET #d.#s = :open REMOVE #d.#c, #d.#l",
                              condition="#d.#s = :answering AND #d.#c = :token",
                              names={"#d": "data", "#s": "status", "#c": "claim", "#l": "lease_until"},
                              values={":open": "open", ":answering": "answering", ":token": token})

    def close_entry(self, entry_id: str, token: str, *, at: int, by: str, reply_message_id: str | None) -> bool:
        try:
            self.table.update(
                f"MAILQ#{entry_id}", QUEUE_SK,
                expression=("SET #d.#s = :answered, #d.answered_at = :at, #d.answered_by = :by, "
                            "#d.reply_message_id = :reply, updated_at = :at REMOVE open_pk, open_sk, #d.#c, #d.#l"),
                condition="#d.#s = :answering AND #d.#c = :token",
                names={"#d": "data", "#s": "status", "#c": "claim", "#l": "lease_until"},
                values={":answered": "answered", ":answering": "answering", ":token": token, ":at": at, ":by": by,
                        ":reply": reply_message_id})
            return True
        except ConditionFailed:
            return False
