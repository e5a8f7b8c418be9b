"""In-memory twin(s) of `chalicelib.storage.consent`: tests only."""

from __future__ import annotations

from chalicelib.domain.consent import ConsentEvent, ConsentState
from chalicelib.domain.retention import Category, RetentionPolicy
from chalicelib.errors import ConflictError, SubjectSuppressedError


class InMemoryConsentRepository:
    """The in-memory twin (service and property tests); the contract tests run against it and against DynamoDB."""

    def __init__(self, policy: RetentionPolicy, suppressed: set[str] | None = None) -> None:
        self.policy = policy
        self.suppressed = suppressed if suppressed is not None else set()
        self.entries: dict[str, list[ConsentEvent]] = {}
        self.states: dict[str, ConsentState] = {}
        self.links: dict[str, dict[str, int]] = {}

    def _live(self, category: Category, at: int, now: int) -> bool:
        return self.policy.expires_at(category, at) > now

    def append(self, event: ConsentEvent) -> None:
        if event.subject is not None and event.subject in self.suppressed:
            raise SubjectSuppressedError("subject was erased")
        entries = self.entries.setdefault(event.holder, [])
        if any(e.consent_id == event.consent_id and e.recorded_at == event.recorded_at for e in entries):
            raise ConflictError("duplicate consent id")
        entries.append(event)
        entries.sort(key=lambda e: (e.recorded_at, e.consent_id))
        state = self.states.get(event.holder)
        if state is None or state.recorded_at <= event.recorded_at:
            self.states[event.holder] = ConsentState.of(event)
        if event.subject is not None:
            self.links.setdefault(event.subject, {})[event.holder] = event.recorded_at

    def current(self, holder: str, *, now: int) -> ConsentState | None:
        state = self.states.get(holder)
        return state if state is not None and self._live(Category.CONSENT_STATE, state.recorded_at, now) else None

    def ledger(self, holder: str, *, now: int) -> list[ConsentEvent]:
        return [e for e in self.entries.get(holder, []) if self._live(Category.CONSENT_LEDGER, e.recorded_at, now)]

    def linked_holders(self, subject: str, *, now: int) -> list[str]:
        links = self.links.get(subject, {})
        return sorted(h for h, at in links.items() if self._live(Category.CONSENT_LEDGER, at, now))

