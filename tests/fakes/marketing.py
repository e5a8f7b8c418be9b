"""In-memory twin(s) of `chalicelib.storage.marketing`: tests only."""

from __future__ import annotations

from chalicelib.domain.retention import Category, RetentionPolicy
from chalicelib.errors import ConflictError, SubjectSuppressedError
from chalicelib.storage.marketing import MarketingChoice, MarketingState, _newer_or_same


class InMemoryMarketingRepository:
    """The in-memory twin (service tests); the contract tests run against it and against DynamoDB."""

    def __init__(self, policy: RetentionPolicy, suppressed: set[str] | None = None) -> None:
        self.policy = policy
        self.suppressed = suppressed if suppressed is not None else set()
        self.events: dict[str, list[MarketingChoice]] = {}
        self.states: dict[str, MarketingState] = {}

    def _expiry(self, at: int) -> int:
        return self.policy.expires_at(Category.MARKETING_PREFERENCE, at)

    def record(self, choice: MarketingChoice) -> None:
        if choice.subject in self.suppressed:
            raise SubjectSuppressedError("subject was erased")
        events = self.events.setdefault(choice.subject, [])
        if any(e.event_id == choice.event_id and e.at == choice.at for e in events):
            raise ConflictError("duplicate marketing event id")
        events.append(choice)
        events.sort(key=lambda e: (e.at, e.event_id))
        state = self.states.get(choice.subject)
        if state is not None and self._expiry(state.updated_at) <= choice.at:
            state = None
        if _newer_or_same(state, choice.at):
            self.states[choice.subject] = MarketingState(choice.email_marketing, choice.source, choice.at,
                                                         choice.event_id)

    def current(self, subject: str, *, now: int) -> MarketingState | None:
        state = self.states.get(subject)
        return state if state is not None and self._expiry(state.updated_at) > now else None

    def history(self, subject: str, *, now: int) -> list[MarketingChoice]:
        return [e for e in self.events.get(subject, []) if self._expiry(e.at) > now]

