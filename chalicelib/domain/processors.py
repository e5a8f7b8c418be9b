"""Tracking an erasure at each processor that received the subject's data: the rules, without I/O.

    pending --first attempt--> sent ---------------------------> acknowledged
       |  \\                     \\--(reply, operator)----------/
       |   \\--(connector confirms: API answer, nothing held)--> acknowledged
       |--(transient failure: retry with backoff, at most MAX_ATTEMPTS)--> pending
       \\--(permanent failure, last attempt failed, operator)--> failed

`acknowledged` and `failed` are final.  Every change is a `TrackingEvent` (status, time, a detail without personal
data) kept in the state's `history`, and mirrored into the request's audit by the use case.  A processor that is
neither final nor answered by `due_at` is overdue: it goes into the operator's digest.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

PENDING, SENT, ACKNOWLEDGED, FAILED = "pending", "sent", "acknowledged", "failed"
FINAL = frozenset({ACKNOWLEDGED, FAILED})
STATUSES = (PENDING, SENT, ACKNOWLEDGED, FAILED)

MAX_ATTEMPTS = 8  # connector calls per processor; after the eighth transient failure the processor is `failed`
FIRST_BACKOFF = 900  # 15 minutes (the scheduled job's period), doubling ...
MAX_BACKOFF = 86_400  # ... up to a day: eight attempts span about three days
DUE_SECONDS = 30 * 86_400  # a processor is asked to confirm within a month (GDPR Art. 28(3)(e), Art. 19)
MAX_HISTORY = 20  # kept events per processor (the first and the latest ones; the audit has them all)

CONNECTORS = ("ga4", "botpress")  # the `api:<name>` erasure channels this backend has a connector for

# What a processor is told through: a connector of the policy's `api:<name>`, a batched e-mail, or an operator task.
API, EMAIL, MANUAL, SELF = "api", "email", "manual", "self"


def channel_kind(channel: str, recipient_kind: str) -> str:
    """The kind of propagation for a policy `erasure` channel; a hosting recipient's copies are this backend's
    storage, which the erasure itself handled (`self`)."""
    if channel.startswith("api:"):
        return API
    if channel.startswith("email:"):
        return EMAIL
    return SELF if recipient_kind == "hosting" else MANUAL


def backoff(attempts: int) -> int:
    """Seconds before the next attempt after `attempts` failed ones (1 -> 15 min, 2 -> 30 min, ... capped at a day)."""
    return int(min(FIRST_BACKOFF * 2 ** max(0, attempts - 1), MAX_BACKOFF))


@dataclass(frozen=True)
class TrackingEvent:
    status: str
    at: int
    detail: str

    def to_data(self) -> dict[str, Any]:
        return {"status": self.status, "at": self.at, "detail": self.detail}


@dataclass(frozen=True)
class ProcessorState:
    key: str  # the recipient's key in the store's policy
    name: str
    kind: str  # api | email | manual | self
    channel: str  # the policy's erasure channel (api:ga4, email:privacy@vendor.example, manual)
    status: str = PENDING
    attempts: int = 0
    next_at: int = 0  # when the next attempt is due (0: none is planned)
    due_at: int = 0
    reference: str | None = None  # the processor's reference or confirmation time; our batch reference (e-mail)
    history: tuple[TrackingEvent, ...] = field(default_factory=tuple)

    @property
    def final(self) -> bool:
        return self.status in FINAL

    def overdue(self, now: int) -> bool:
        return not self.final and self.due_at < now

    def due(self, now: int) -> bool:
        """Whether this run should act on it: an attempt is planned and its time has come."""
        return not self.final and 0 < self.next_at <= now

    def moved(self, status: str, *, at: int, detail: str, reference: str | None = None,
              next_at: int | None = None, attempted: bool = False) -> ProcessorState:
        history = (*self.history, TrackingEvent(status, at, detail))
        if len(history) > MAX_HISTORY:
            history = (history[0], *history[-(MAX_HISTORY - 1):])
        return replace(self, status=status, history=history, attempts=self.attempts + (1 if attempted else 0),
                       reference=reference if reference is not None else self.reference,
                       next_at=0 if status in FINAL else (self.next_at if next_at is None else next_at))

    def after_attempt(self, outcome: str, *, at: int, detail: str, reference: str | None = None) -> ProcessorState:
        """The state after one connector call answered `outcome` (acknowledged | sent | retry | failed)."""
        if outcome == "retry":
            if self.attempts + 1 >= MAX_ATTEMPTS:
                return self.moved(FAILED, at=at, detail=f"{detail}; gave up after {MAX_ATTEMPTS} attempts",
                                  attempted=True)
            return self.moved(self.status, at=at, detail=f"{detail}; retry {self.attempts + 1}",
                              next_at=at + backoff(self.attempts + 1), attempted=True)
        if outcome == SENT:
            return self.moved(SENT, at=at, detail=detail, reference=reference, next_at=0, attempted=True)
        if outcome in FINAL:
            return self.moved(outcome, at=at, detail=detail, reference=reference, attempted=True)
        raise ValueError(f"unknown outcome {outcome!r}")

    def to_data(self) -> dict[str, Any]:
        return {"key": self.key, "name": self.name, "kind": self.kind, "channel": self.channel,
                "status": self.status, "attempts": self.attempts, "next_at": self.next_at, "due_at": self.due_at,
                "reference": self.reference, "history": [event.to_data() for event in self.history]}

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> ProcessorState:
        return cls(key=str(data["key"]), name=str(data["name"]), kind=str(data["kind"]),
                   channel=str(data["channel"]), status=str(data.get("status", PENDING)),
                   attempts=int(data.get("attempts", 0)), next_at=int(data.get("next_at", 0)),
                   due_at=int(data.get("due_at", 0)), reference=data.get("reference"),
                   history=tuple(TrackingEvent(str(e["status"]), int(e["at"]), str(e["detail"]))
                                 for e in data.get("history", [])))


def start(key: str, name: str, channel: str, recipient_kind: str, *, at: int) -> ProcessorState:
    """A processor to tell, as the erasure leaves it: due now (api, e-mail), an operator task (manual), or done by
    the erasure itself (self: the hosting recipient holds this backend's storage)."""
    kind = channel_kind(channel, recipient_kind)
    state = ProcessorState(key=key, name=name, kind=kind, channel=channel, due_at=at + DUE_SECONDS)
    if kind == SELF:
        return state.moved(ACKNOWLEDGED, at=at, detail="this backend's storage: erased, anonymised or crypto-shredded "
                                                       "by this erasure")
    if kind == MANUAL:
        return state.moved(PENDING, at=at, detail="operator task: cli processors done", next_at=0)
    return state.moved(PENDING, at=at, detail="queued", next_at=at)


def all_final(states: dict[str, ProcessorState]) -> bool:
    return all(state.final for state in states.values())
