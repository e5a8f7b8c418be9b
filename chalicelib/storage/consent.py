"""Consent ledger and current state.

Items (partition `CONSENT#<holder>`; a holder is `V.<keyed hash of the visitor id>` or `A.<subject>`):
- `LEDGER#<at, 10 digits>#<consent id>`  one event, written once (`attribute_not_exists`), never updated;
                                        category `consent_ledger` (3 years).  Anonymous: `data` + plain `proof`
                                        (truncated IP, UA family, country).  Recorded with a bearer token: subject
                                        item (kind `consent_event`) with `sealed` {proof, customer_id}.
- `STATE`                               the last effective event (category `consent_state`); replaced only by an
                                        event at least as recent (`updated_at <= :at`).  For an account holder it
                                        is a subject item too (kind `consent_state`), so erasure removes it.
- `LINK#<subject>`                      visitor -> account link (kind `consent_link`, category `consent_ledger`),
                                        written when a consent is recorded with a valid bearer token.

The ledger entry, the state (and the link) are written in ONE TransactWriteItems: one round trip per event.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol, cast

from chalicelib.domain.consent import (
    Action,
    Choices,
    ConsentEvent,
    ConsentState,
    Source,
    is_account_holder,
)
from chalicelib.domain.retention import Category, RetentionPolicy
from chalicelib.errors import ConflictError
from chalicelib.storage.attributes import Item
from chalicelib.storage.sealed_writes import SealedWrites
from chalicelib.storage.subject_items import retention_attributes, subject_link
from chalicelib.storage.subject_keys import subject_pk
from chalicelib.storage.table import SUBJECT_INDEX, DynamoTable, TransactionFailed

if TYPE_CHECKING:
    from chalicelib.crypto.envelope import SubjectCipher

STATE_SK = "STATE"
LEDGER_PREFIX = "LEDGER#"
LINK_PREFIX = "LINK#"
KIND_EVENT = "consent_event"
KIND_STATE = "consent_state"
KIND_LINK = "consent_link"
MAX_LINKED_HOLDERS = 50


class ConsentRepository(Protocol):
    def append(self, event: ConsentEvent) -> None:
        """Append the event to the ledger and make it current unless a more recent event is; link the holder to
        the event's subject when it has one.  ConflictError for a duplicate consent id, SubjectSuppressedError when
        the subject was erased (nothing is written then)."""
        ...

    def current(self, holder: str, *, now: int) -> ConsentState | None: ...

    def ledger(self, holder: str, *, now: int) -> list[ConsentEvent]:
        """Every live ledger entry of the holder, oldest first."""
        ...

    def linked_holders(self, subject: str, *, now: int) -> list[str]:
        """The holders (visitors, the account itself) linked to a subject."""
        ...


def consent_pk(holder: str) -> str:
    return f"CONSENT#{holder}"


def ledger_sk(at: int, consent_id: str) -> str:
    return f"{LEDGER_PREFIX}{at:010d}#{consent_id}"


def _event_data(event: ConsentEvent) -> dict[str, Any]:
    return {"consent_id": event.consent_id, "recorded_at": event.recorded_at, "action": event.action,
            "asked": event.asked.as_dict(), "effective": event.effective.as_dict(), "overrides": event.overrides,
            "gpc": event.gpc, "policy_version": event.policy_version, "source": event.source,
            "notice_hash": event.notice_hash, "locale": event.locale}


def _state_from(data: dict[str, Any], holder: str) -> ConsentState:
    return ConsentState(holder, str(data["consent_id"]), int(data["recorded_at"]), cast(Action, data["action"]),
                        Choices.from_dict(data["effective"]), dict(data.get("overrides") or {}), bool(data["gpc"]),
                        str(data["policy_version"]), cast(Source, data["source"]))


class DynamoConsentRepository:
    def __init__(self, table: DynamoTable, policy: RetentionPolicy, sealed: SealedWrites) -> None:
        self.table = table
        self.policy = policy
        self.sealed = sealed
        self.vault = sealed.vault

    # -- writes ---------------------------------------------------------------------------------------------------
    def append(self, event: ConsentEvent) -> None:
        pk, sk = consent_pk(event.holder), ledger_sk(event.recorded_at, event.consent_id)
        expires_at = self.policy.expires_at(Category.CONSENT_LEDGER, event.recorded_at)
        put_state = self.table.tx_put(self._state_item(event, pk), "attribute_not_exists(pk) OR updated_at <= :at",
                                      {":at": event.recorded_at})
        links = [self.table.tx_put(self._link_item(event, pk))] if event.subject is not None else []

        def put_ledger(cipher: SubjectCipher | None) -> dict[str, Any]:
            return self.table.tx_put(self._ledger_item(event, pk, sk, cipher), "attribute_not_exists(pk)")

        failure = self._write(event, expires_at, lambda c: [put_ledger(c), put_state, *links])
        if failure is None:
            return
        if failure.failed(0):
            raise ConflictError("duplicate consent id")
        # A more recent event is current already: keep it, but the ledger never loses an entry.
        if self._write(event, expires_at, lambda c: [put_ledger(c), *links]) is not None:
            raise ConflictError("duplicate consent id")

    def _write(self, event: ConsentEvent, expires_at: int,
               build: Callable[[SubjectCipher | None], list[dict[str, Any]]]) -> TransactionFailed | None:
        if event.subject is not None:
            return self.sealed.transact(event.subject, expires_at, build, now=event.recorded_at)
        try:
            self.table.transact(build(None))
            return None
        except TransactionFailed as failure:
            if failure.conflict:
                raise ConflictError("concurrent consent update; retry") from None
            return failure

    def _ledger_item(self, event: ConsentEvent, pk: str, sk: str, cipher: SubjectCipher | None) -> Item:
        item: Item = {"pk": pk, "sk": sk, **retention_attributes(self.policy, Category.CONSENT_LEDGER,
                                                                 event.recorded_at, pk, sk),
                      "data": _event_data(event), "created_at": event.recorded_at, "updated_at": event.recorded_at}
        proof = {"country": event.country, "ip_prefix": event.ip_prefix, "user_agent_family": event.user_agent_family}
        proof = {k: v for k, v in proof.items() if v is not None}
        if event.subject is None or cipher is None:
            item["proof"] = proof or None
            return item
        sealed = {"proof": cipher.seal_json("proof", proof)}
        if event.customer_id is not None:
            sealed["customer_id"] = cipher.seal_json("customer_id", event.customer_id)
        item.update(subject_link(event.subject, KIND_EVENT, f"{event.recorded_at:010d}#{event.consent_id}"))
        item["sealed"] = sealed
        return item

    def _state_item(self, event: ConsentEvent, pk: str) -> Item:
        data = {k: v for k, v in _event_data(event).items() if k not in ("asked", "notice_hash", "locale")}
        item: Item = {"pk": pk, "sk": STATE_SK, **retention_attributes(self.policy, Category.CONSENT_STATE,
                                                                       event.recorded_at, pk, STATE_SK),
                      "data": data, "created_at": event.recorded_at, "updated_at": event.recorded_at}
        if is_account_holder(event.holder) and event.subject is not None:
            item.update(subject_link(event.subject, KIND_STATE, event.holder))
        return item

    def _link_item(self, event: ConsentEvent, pk: str) -> Item:
        assert event.subject is not None
        sk = f"{LINK_PREFIX}{event.subject}"
        return {"pk": pk, "sk": sk, **retention_attributes(self.policy, Category.CONSENT_LEDGER, event.recorded_at,
                                                           pk, sk),
                **subject_link(event.subject, KIND_LINK, event.holder), "data": {"holder": event.holder},
                "created_at": event.recorded_at, "updated_at": event.recorded_at}

    # -- reads ----------------------------------------------------------------------------------------------------
    def current(self, holder: str, *, now: int) -> ConsentState | None:
        item = self.table.get(consent_pk(holder), STATE_SK, now=now)
        return None if item is None else _state_from(item["data"], holder)

    def ledger(self, holder: str, *, now: int) -> list[ConsentEvent]:
        items = self.table.query_all(key_condition="pk = :pk AND begins_with(sk, :l)",
                                     values={":pk": consent_pk(holder), ":l": LEDGER_PREFIX}, now=now,
                                     consistent=True)
        return [self._event_from(item, holder) for item in items]

    def _event_from(self, item: Item, holder: str) -> ConsentEvent:
        data = item["data"]
        proof: dict[str, Any] = dict(item.get("proof") or {})
        customer_id = None
        subject = str(item["subject_pk"]).removeprefix("SUBJ#") if item.get("subject_pk") else None
        if subject is not None and item.get("sealed"):
            cipher = self.vault.cipher_for_reading(subject)
            proof = cipher.open_json("proof", item["sealed"]["proof"])
            if "customer_id" in item["sealed"]:
                customer_id = cipher.open_json("customer_id", item["sealed"]["customer_id"])
        return ConsentEvent(
            holder=holder, consent_id=str(data["consent_id"]), recorded_at=int(data["recorded_at"]),
            action=data["action"], asked=Choices.from_dict(data["asked"]),
            effective=Choices.from_dict(data["effective"]), overrides=dict(data.get("overrides") or {}),
            gpc=bool(data["gpc"]), policy_version=str(data["policy_version"]), source=data["source"],
            notice_hash=data.get("notice_hash"), locale=data.get("locale"), country=proof.get("country"),
            ip_prefix=proof.get("ip_prefix"), user_agent_family=proof.get("user_agent_family"), subject=subject,
            customer_id=customer_id)

    def linked_holders(self, subject: str, *, now: int) -> list[str]:
        page = self.table.query_page(key_condition="subject_pk = :s AND begins_with(subject_sk, :k)",
                                     values={":s": subject_pk(subject), ":k": f"{KIND_LINK.upper()}#"}, now=now,
                                     index=SUBJECT_INDEX, limit=MAX_LINKED_HOLDERS)
        return [str(item["data"]["holder"]) for item in page.items]
