"""Marketing e-mail preference of a subject: the current choice and an append-only trail of proof.

Items (partition `MKT#<subject>`, both follow the subject-item convention, category `marketing_preference`):
- `CURRENT`                       kind `marketing`:       data {email_marketing, source, event_id}, updated_at
- `EVENT#<at, 10 digits>#<id>`    kind `marketing_event`: data {email_marketing, source, event_id},
                                                          sealed {customer_id, proof}

Every choice writes its event and the current item in ONE transaction that also checks that the subject was not
erased (no `SUBJ#<subject>/SUPPRESSED`) and that the subject's data key outlives the sealed fields.  An event that
arrives later than a newer one (clock skew between invocations) is still appended; the current item keeps the newer
choice.  When the choice carries its address's suppression-list hash (`storage/suppression_list.py`), the same
transaction puts the list entry (opt-out) or deletes it (opt-in), so the list follows the current choice.  An event
id is unique per time: a choice recorded again with the same (at, event id) is a duplicate (ConflictError), which
the callers use for idempotency (a checkout's order, a one-click token).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from chalicelib.domain.retention import Category, RetentionPolicy
from chalicelib.errors import ConflictError
from chalicelib.storage.sealed_writes import SealedWrites
from chalicelib.storage.subject_items import retention_attributes, subject_link
from chalicelib.storage.table import DynamoTable

if TYPE_CHECKING:
    from chalicelib.crypto.envelope import SubjectCipher
    from chalicelib.storage.suppression_list import DynamoSuppressionList

CURRENT_SK = "CURRENT"
EVENT_PREFIX = "EVENT#"
KIND_CURRENT = "marketing"
KIND_EVENT = "marketing_event"


@dataclass(frozen=True)
class MarketingChoice:
    """One recorded choice (an opt-in or an opt-out) and its proof."""

    subject: str
    email_marketing: bool
    source: str
    at: int
    event_id: str
    customer_id: str | None = None
    proof: dict[str, Any] | None = field(default=None)
    list_hash: str | None = None  # the address's suppression-list hash, when known (not stored with the choice)


@dataclass(frozen=True)
class MarketingState:
    email_marketing: bool
    source: str
    updated_at: int
    event_id: str


class MarketingRepository(Protocol):
    def record(self, choice: MarketingChoice) -> None:
        """Append the choice and make it current unless a newer one is; SubjectSuppressedError for an erased
        subject (nothing written)."""
        ...

    def current(self, subject: str, *, now: int) -> MarketingState | None: ...

    def history(self, subject: str, *, now: int) -> list[MarketingChoice]:
        """Every live choice of the subject, oldest first."""
        ...


def mkt_pk(subject: str) -> str:
    return f"MKT#{subject}"


def event_sk(at: int, event_id: str) -> str:
    return f"{EVENT_PREFIX}{at:010d}#{event_id}"


def _newer_or_same(state: MarketingState | None, at: int) -> bool:
    return state is None or state.updated_at <= at


class DynamoMarketingRepository:
    def __init__(self, table: DynamoTable, policy: RetentionPolicy, sealed: SealedWrites,
                 suppressions: DynamoSuppressionList | None = None) -> None:
        self.table = table
        self.policy = policy
        self.sealed = sealed
        self.suppressions = suppressions

    def record(self, choice: MarketingChoice) -> None:
        pk, esk = mkt_pk(choice.subject), event_sk(choice.at, choice.event_id)
        data = {"email_marketing": choice.email_marketing, "source": choice.source, "event_id": choice.event_id}
        event_retention = retention_attributes(self.policy, Category.MARKETING_PREFERENCE, choice.at, pk, esk)
        current = {"pk": pk, "sk": CURRENT_SK, **subject_link(choice.subject, KIND_CURRENT, CURRENT_SK),
                   **retention_attributes(self.policy, Category.MARKETING_PREFERENCE, choice.at, pk, CURRENT_SK),
                   "data": data, "created_at": choice.at, "updated_at": choice.at}
        put_current = self.table.tx_put(current, "attribute_not_exists(pk) OR updated_at <= :at", {":at": choice.at})

        def put_event(cipher: SubjectCipher) -> dict[str, Any]:
            sealed: dict[str, str] = {}
            if choice.customer_id is not None:
                sealed["customer_id"] = cipher.seal_json("customer_id", choice.customer_id)
            if choice.proof:
                sealed["proof"] = cipher.seal_json("proof", choice.proof)
            event = {"pk": pk, "sk": esk, **subject_link(choice.subject, KIND_EVENT, esk[len(EVENT_PREFIX):]),
                     **event_retention, "data": data, "sealed": sealed or None, "created_at": choice.at,
                     "updated_at": choice.at}
            return self.table.tx_put(event, "attribute_not_exists(pk)")

        list_ops: list[dict[str, Any]] = []
        if choice.list_hash and self.suppressions is not None:
            list_ops.append(self.suppressions.tx_remove(choice.list_hash) if choice.email_marketing else
                            self.suppressions.tx_put(choice.list_hash, at=choice.at,
                                                     expires_at=current["expires_at"]))
        until, now = event_retention["expires_at"], choice.at
        failure = self.sealed.transact(choice.subject, until, lambda c: [put_event(c), put_current, *list_ops],
                                       now=now)
        if failure is None:
            return
        if failure.failed(0):
            raise ConflictError("duplicate marketing event id")
        # A newer choice is current already: keep it, but never lose this event's proof.
        if self.sealed.transact(choice.subject, until, lambda c: [put_event(c)], now=now) is not None:
            raise ConflictError("duplicate marketing event id")

    def current(self, subject: str, *, now: int) -> MarketingState | None:
        item = self.table.get(mkt_pk(subject), CURRENT_SK, now=now)
        if item is None:
            return None
        data = item["data"]
        return MarketingState(bool(data["email_marketing"]), str(data["source"]), int(item["updated_at"]),
                              str(data["event_id"]))

    def history(self, subject: str, *, now: int) -> list[MarketingChoice]:
        items = self.table.query_all(key_condition="pk = :pk AND begins_with(sk, :e)",
                                     values={":pk": mkt_pk(subject), ":e": EVENT_PREFIX}, now=now, consistent=True)
        choices = []
        cipher = None
        for item in items:
            sealed = item.get("sealed") or {}
            opened: dict[str, Any] = {}
            if sealed:
                cipher = cipher or self.sealed.vault.cipher_for_reading(subject)
                opened = {name: cipher.open_json(name, token) for name, token in sealed.items()}
            data = item["data"]
            choices.append(MarketingChoice(subject, bool(data["email_marketing"]), str(data["source"]),
                                           int(item["created_at"]), str(data["event_id"]),
                                           opened.get("customer_id"), opened.get("proof")))
        return choices

