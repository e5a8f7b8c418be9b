"""Privacy requests as pure rules: types, channels, states and their transitions, legal regimes and deadlines.

States:

    unverified --verify--> pending --schedule--> scheduled --start--> in_progress --complete--> completed
        |                     |  \\--start----------------------------^     |  \\--deny--> denied
        +--expire--> expired  +--cancel/deny                               +--(resume: in_progress again)
                              scheduled --cancel--> cancelled

`scheduled` is a deletion waiting for the end of its grace period (cancellable).  Terminal states: completed,
denied, cancelled, expired.  Every transition is recorded in the request's audit trail.

Regimes (decided by the billing country, among the regimes the store serves; see `regime_for`):
- GDPR (EEA billing country) and UK GDPR (UK): one calendar month; extendable once by two further months
  (Art. 12(3) of each).
- CCPA (billing country US, state CA): 45 days; extendable once by 45 days (Cal. Civ. Code § 1798.130(a)(2)).
- anything else, unknown, or a regime the store does not serve: the store's `otherwise` (by default the stricter
  of the two on each date: the earlier deadline).

Request types and the rights of the store's policy they exercise (`RIGHTS`): a type is offered when the store
offers any of its rights.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Collection

from chalicelib.domain.retention import DAY

UNVERIFIED_LIFETIME = 7 * DAY
TOKEN_LIFETIME = DAY
# A request about a child's data is acted on at once (seed 002 §10: "please contact us immediately"): it is due
# within three days, whatever the regime's own deadline, and sorts first in the operator's list.
CHILD_DEADLINE = 3 * DAY


class RequestType(StrEnum):
    ACCESS = "access"
    DELETION = "deletion"
    CORRECTION = "correction"
    OPT_OUT = "opt_out"
    RESTRICTION = "restriction"  # GDPR Art. 18: kept, not used
    OBJECTION = "objection"  # GDPR Art. 21: analytics/profiling/advertising purposes withdrawn server-side


class Channel(StrEnum):
    ACCOUNT = "account"
    WEB = "web"
    EMAIL = "email"
    LETTER = "letter"  # recorded by the operator (`cli submit --channel letter`)
    PHONE = "phone"
    IN_PERSON = "in_person"
    AGENT = "agent"  # an authorised agent (CCPA § 7063): the authorisation is recorded with the request
    STORE = "store"  # the store itself (a `customer.deleted` webhook: the account was deleted)


class Status(StrEnum):
    UNVERIFIED = "unverified"
    PENDING = "pending"
    SCHEDULED = "scheduled"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    DENIED = "denied"
    CANCELLED = "cancelled"
    EXPIRED = "expired"


class Regime(StrEnum):
    GDPR = "gdpr"
    UK_GDPR = "uk_gdpr"
    CCPA = "ccpa"
    STRICTEST = "strictest"


ALL_REGIMES = frozenset({Regime.GDPR, Regime.UK_GDPR, Regime.CCPA})

# The rights (names of the store policy's `rights.offered`) each request type exercises.
RIGHTS: dict[RequestType, frozenset[str]] = {
    RequestType.ACCESS: frozenset({"access", "know", "portability"}),
    RequestType.DELETION: frozenset({"erasure", "delete"}),
    RequestType.CORRECTION: frozenset({"rectification"}),
    RequestType.OPT_OUT: frozenset({"opt_out", "marketing_objection"}),
    RequestType.RESTRICTION: frozenset({"restriction"}),
    RequestType.OBJECTION: frozenset({"objection"}),
}


# The rights a store may offer that no request to the store carries out (they need nothing from us but fairness).
INFORMATIONAL_RIGHTS: dict[str, str] = {
    "complaint": "lodged with a supervisory authority directly; no request to us is needed",
    "non_discrimination": "applies to every request: using a right never changes prices or service",
}


def request_type_for(right: str) -> RequestType | None:
    """The request type that carries out a right (None for an informational right or an unknown name)."""
    return next((kind for kind in RequestType if right in RIGHTS[kind]), None)


def offered_types(offered: Collection[str]) -> tuple[RequestType, ...]:
    """The request types a store offers (in the enum's order): those of which it offers at least one right."""
    return tuple(kind for kind in RequestType if RIGHTS[kind] & set(offered))


TERMINAL = frozenset({Status.COMPLETED, Status.DENIED, Status.CANCELLED, Status.EXPIRED})

TRANSITIONS: dict[Status, frozenset[Status]] = {
    Status.UNVERIFIED: frozenset({Status.PENDING, Status.EXPIRED, Status.CANCELLED}),
    Status.PENDING: frozenset({Status.SCHEDULED, Status.IN_PROGRESS, Status.COMPLETED, Status.DENIED,
                               Status.CANCELLED}),
    Status.SCHEDULED: frozenset({Status.IN_PROGRESS, Status.CANCELLED}),
    Status.IN_PROGRESS: frozenset({Status.IN_PROGRESS, Status.COMPLETED, Status.DENIED}),
    Status.COMPLETED: frozenset(),
    Status.DENIED: frozenset(),
    Status.CANCELLED: frozenset(),
    Status.EXPIRED: frozenset(),
}

EEA = frozenset({
    "AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE", "IT", "LV", "LT", "LU",
    "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE",  # EU 27
    "IS", "LI", "NO",  # EEA
})
UK = frozenset({"GB", "UK", "GG", "JE", "IM"})


class InvalidTransitionError(ValueError):
    """The request cannot move from its state to the one asked for."""


class ExtensionError(ValueError):
    """The request cannot be extended (already extended, closed, or no reason given)."""


def regime_for(country: str | None, state: str | None = None, *, served: Collection[str] = ALL_REGIMES,
               otherwise: str = Regime.STRICTEST) -> Regime:
    """The regime of a billing address: EEA -> GDPR, UK -> UK GDPR, US + California -> CCPA, when the store
    serves that regime (`served`); anything else is `otherwise` (strictest, gdpr or ccpa)."""
    code = (country or "").strip().upper()
    found: Regime | None = None
    if code in EEA:
        found = Regime.GDPR
    elif code in UK:
        found = Regime.UK_GDPR
    elif code == "US" and (state or "").strip().upper() in ("CA", "CALIFORNIA"):
        found = Regime.CCPA
    return found if found is not None and found.value in served else Regime(otherwise)


def add_months(epoch: int, months: int) -> int:
    """The same time `months` calendar months later; the last day of the month when that day does not exist
    (31 January + 1 month = 28/29 February)."""
    moment = datetime.fromtimestamp(epoch, tz=UTC)
    index = moment.month - 1 + months
    year, month = moment.year + index // 12, index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return int(moment.replace(year=year, month=month, day=day).timestamp())


def _gdpr(received_at: int, extended: bool) -> int:
    return add_months(received_at, 3 if extended else 1)


def _ccpa(received_at: int, extended: bool) -> int:
    return received_at + (90 if extended else 45) * DAY


def due_at(regime: Regime, received_at: int, *, extended: bool = False) -> int:
    if regime in (Regime.GDPR, Regime.UK_GDPR):
        return _gdpr(received_at, extended)
    if regime is Regime.CCPA:
        return _ccpa(received_at, extended)
    return min(_gdpr(received_at, extended), _ccpa(received_at, extended))


def days_left(due: int, now: int) -> int:
    """Whole days until the deadline (negative when overdue; 0 on the last day)."""
    return (due - now) // DAY


@dataclass(frozen=True)
class AuditEntry:
    at: int
    from_status: str | None
    to_status: str
    actor: str
    reason: str
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class PrivacyRequest:
    request_id: str
    subject: str
    type: RequestType
    channel: Channel
    status: Status
    regime: Regime
    received_at: int
    due_at: int
    updated_at: int
    version: int = 0
    customer_id: str | None = None
    verified_at: int | None = None
    execute_after: int | None = None
    closed_at: int | None = None
    extended: bool = False
    extension_reason: str | None = None
    extension_notice_sent: bool = False
    source_ref: str | None = None
    result: dict[str, Any] = field(default_factory=dict)
    sealed: dict[str, str] = field(default_factory=dict)  # {"email": token}: the requester's address
    policy_version: str | None = None  # the store policy's version it was made under (None: made before that)
    child: bool = False  # about a child's data (a parent's or guardian's request): high priority, short deadline
    params: dict[str, Any] = field(default_factory=dict)  # non-personal parameters (purposes, field names, ...)

    @property
    def is_open(self) -> bool:
        return self.status not in TERMINAL

    def overdue(self, now: int) -> bool:
        return self.is_open and now > self.due_at

    def to_data(self) -> dict[str, Any]:
        """The plain, non-personal part as stored (and exported)."""
        return {
            "request_id": self.request_id, "type": self.type.value, "channel": self.channel.value,
            "status": self.status.value, "regime": self.regime.value, "received_at": self.received_at,
            "due_at": self.due_at, "updated_at": self.updated_at, "customer_id": self.customer_id,
            "verified_at": self.verified_at, "execute_after": self.execute_after, "closed_at": self.closed_at,
            "extended": self.extended, "extension_reason": self.extension_reason,
            "extension_notice_sent": self.extension_notice_sent, "source_ref": self.source_ref,
            "result": self.result, "policy_version": self.policy_version, "child": self.child,
            "params": self.params,
        }

    @classmethod
    def from_data(cls, subject: str, data: dict[str, Any], *, version: int, sealed: dict[str, str]) -> PrivacyRequest:
        def opt_int(name: str) -> int | None:
            value = data.get(name)
            return int(value) if value is not None else None

        return cls(
            request_id=str(data["request_id"]), subject=subject, type=RequestType(data["type"]),
            channel=Channel(data["channel"]), status=Status(data["status"]), regime=Regime(data["regime"]),
            received_at=int(data["received_at"]), due_at=int(data["due_at"]), updated_at=int(data["updated_at"]),
            version=version, customer_id=data.get("customer_id"), verified_at=opt_int("verified_at"),
            execute_after=opt_int("execute_after"), closed_at=opt_int("closed_at"),
            extended=bool(data.get("extended", False)), extension_reason=data.get("extension_reason"),
            extension_notice_sent=bool(data.get("extension_notice_sent", False)),
            source_ref=data.get("source_ref"), result=dict(data.get("result") or {}), sealed=dict(sealed),
            policy_version=str(data["policy_version"]) if data.get("policy_version") is not None else None,
            child=bool(data.get("child", False)), params=dict(data.get("params") or {}),
        )


def new_request(*, request_id: str, subject: str, request_type: RequestType, channel: Channel, regime: Regime,
                received_at: int, needs_verification: bool, customer_id: str | None = None,
                source_ref: str | None = None, sealed: dict[str, str] | None = None,
                policy_version: str | None = None, child: bool = False,
                params: dict[str, Any] | None = None) -> PrivacyRequest:
    return PrivacyRequest(
        request_id=request_id, subject=subject, type=request_type, channel=channel,
        status=Status.UNVERIFIED if needs_verification else Status.PENDING, regime=regime,
        received_at=received_at,
        due_at=min(due_at(regime, received_at), received_at + CHILD_DEADLINE) if child else due_at(regime, received_at),
        updated_at=received_at,
        customer_id=customer_id, verified_at=None if needs_verification else received_at, source_ref=source_ref,
        sealed=dict(sealed or {}), policy_version=policy_version, child=child, params=dict(params or {}),
    )


def transition(request: PrivacyRequest, to: Status, *, at: int, actor: str, reason: str,
               details: dict[str, Any] | None = None, **changes: Any) -> tuple[PrivacyRequest, AuditEntry]:
    """The request in its new state and the audit entry recording the move (raises InvalidTransitionError)."""
    if to not in TRANSITIONS[request.status]:
        raise InvalidTransitionError(f"cannot move a {request.status.value} request to {to.value}")
    if to is Status.EXPIRED and at < request.received_at + UNVERIFIED_LIFETIME:
        raise InvalidTransitionError("an unverified request expires only after 7 days")
    if to is Status.PENDING and request.status is Status.UNVERIFIED:
        changes.setdefault("verified_at", at)
    if to is Status.SCHEDULED and changes.get("execute_after") is None:
        raise InvalidTransitionError("a scheduled deletion needs execute_after")
    if to in TERMINAL:
        changes["closed_at"] = at
    updated = replace(request, status=to, updated_at=at, **changes)
    entry = AuditEntry(at=at, from_status=request.status.value, to_status=to.value, actor=actor, reason=reason,
                       details=dict(details or {}))
    return updated, entry


def extend(request: PrivacyRequest, *, reason: str, at: int, actor: str) -> tuple[PrivacyRequest, AuditEntry]:
    """The one extension the law allows, with its reason; the subject must then be told (notice pending)."""
    if not request.is_open:
        raise ExtensionError(f"a {request.status.value} request cannot be extended")
    if request.extended:
        raise ExtensionError("the request was already extended once")
    if not reason.strip():
        raise ExtensionError("an extension needs a reason")
    new_due = due_at(request.regime, request.received_at, extended=True)
    updated = replace(request, extended=True, extension_reason=reason.strip(), due_at=new_due, updated_at=at,
                      extension_notice_sent=False)
    entry = AuditEntry(at=at, from_status=request.status.value, to_status=request.status.value, actor=actor,
                       reason="deadline extended: " + reason.strip(),
                       details={"previous_due_at": request.due_at, "due_at": new_due})
    return updated, entry


def note(request: PrivacyRequest, *, at: int, actor: str, reason: str, details: dict[str, Any] | None = None,
         **changes: Any) -> tuple[PrivacyRequest, AuditEntry]:
    """An audit entry that does not move the request (what happens after it closed: a processor's confirmation),
    with the changes to its result."""
    updated = replace(request, updated_at=max(at, request.updated_at), **changes)
    entry = AuditEntry(at=at, from_status=request.status.value, to_status=request.status.value, actor=actor,
                       reason=reason, details=dict(details or {}))
    return updated, entry


def created_entry(request: PrivacyRequest, *, actor: str) -> AuditEntry:
    return AuditEntry(at=request.received_at, from_status=None, to_status=request.status.value, actor=actor,
                      reason=f"{request.type.value} request received via {request.channel.value}",
                      details={"due_at": request.due_at, "regime": request.regime.value,
                               "policy_version": request.policy_version})
