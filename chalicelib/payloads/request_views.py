"""The public view of a privacy request: what the account's privacy center, the operator and the export show of
it (no personal data: ids, type, status, dates, regime, the policy version it was made under).  The output model
beside the input models of the same routes."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

from chalicelib.domain.clock import iso
from chalicelib.domain.privacy_requests import PrivacyRequest, days_left


class RequestView(BaseModel):
    model_config = ConfigDict(frozen=True)

    request_id: str
    type: str
    channel: str
    status: str
    received_at: str
    due_at: str
    regime: str
    extended: bool
    extension_reason: str | None = None
    execute_after: str | None = None
    closed_at: str | None = None
    days_left: int | None = None
    policy_version: str | None = None  # the store policy's version the request was made under
    restriction: dict[str, Any] | None = None  # a restriction request: active or lifted, since, lifted_at
    processors: dict[str, str] | None = None  # restriction/objection/erasure: each processor's status

    @classmethod
    def of(cls, request: PrivacyRequest, *, now: int) -> RequestView:
        return cls(
            request_id=request.request_id, type=request.type.value, channel=request.channel.value,
            status=request.status.value, received_at=iso(request.received_at), due_at=iso(request.due_at),
            regime=request.regime.value, extended=request.extended,
            extension_reason=request.extension_reason if request.extended else None,
            execute_after=iso(request.execute_after) if request.execute_after else None,
            closed_at=iso(request.closed_at) if request.closed_at else None,
            days_left=days_left(request.due_at, now) if request.is_open else None,
            policy_version=request.policy_version,
            restriction=_restriction(request.result.get("restriction")),
            processors=_processors(request.result))

    def as_json(self) -> dict[str, Any]:
        """The view as answered (absent fields left out)."""
        return self.model_dump(exclude_none=True)


def describe(request: PrivacyRequest, *, now: int) -> dict[str, Any]:
    return RequestView.of(request, now=now).as_json()


def _restriction(state: Any) -> dict[str, Any] | None:
    if not isinstance(state, dict):
        return None
    view = {"status": state.get("status"), "since": iso(int(state["since"])) if state.get("since") else None,
            "lifted_at": iso(int(state["lifted_at"])) if state.get("lifted_at") else None}
    return {key: value for key, value in view.items() if value is not None}


def _processors(result: dict[str, Any]) -> dict[str, str] | None:
    found = result.get("processors") or (result.get("receipt") or {}).get("processors")
    if isinstance(found, dict):
        return {str(key): str(state.get("status")) for key, state in found.items() if isinstance(state, dict)}
    if isinstance(found, list):
        return {str(state.get("key")): str(state.get("status")) for state in found if isinstance(state, dict)}
    return None
