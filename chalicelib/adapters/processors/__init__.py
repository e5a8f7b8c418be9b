"""Connectors: how an erasure (and a restriction or objection) reaches a processor that holds the subject's data.

One connector per `api:<name>` erasure channel of the store's policy (`[recipients.*].erasure`), plus the `email`
connector (a batched request to the processor's privacy address) and `manual` (an operator task).  A connector is
called by the propagation use case (services/processor_propagation.py) with what identifies the person at that
processor, and answers with one `ConnectorResult`; it never raises for the remote side's failures (a raised
exception is treated as `retry`).  Every call is idempotent: a retry after a timeout deletes nothing twice and
fails on nothing already gone (a 404 on a deletion is `acknowledged`: nothing is held).

`detail` is for the request's audit and the operator: it never carries personal data (no identifier, no e-mail, no
remote body), only statuses, counts and the processor's own reference or timestamp.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol


class Outcome(StrEnum):
    ACKNOWLEDGED = "acknowledged"  # the processor confirmed the deletion (or holds nothing)
    SENT = "sent"  # handed over; the processor's confirmation comes later (e-mail reply, operator)
    RETRY = "retry"  # transient: timeout, connection refused, 429, 5xx; tried again with backoff
    FAILED = "failed"  # permanent: not configured, refused (4xx other than 404/429), after the last retry


@dataclass(frozen=True)
class ErasureTarget:
    """Who to erase at the processor.  Personal data: kept sealed between attempts, never logged."""

    request_id: str  # our reference (REQ id), given to the processor where its API takes one
    email: str | None = None
    customer_id: str | None = None  # the WooCommerce customer id (GA4 `userId` when the store sends it as such)
    client_ids: tuple[str, ...] = ()  # analytics client ids captured with consent


@dataclass(frozen=True)
class ConnectorResult:
    outcome: Outcome
    detail: str  # no personal data (see the module's docstring)
    reference: str | None = None  # the processor's reference or confirmation time, when it gives one


class Connector(Protocol):
    name: str  # the `api:<name>` of the policy

    def erase(self, target: ErasureTarget) -> ConnectorResult: ...


def classify_status(status: int) -> Outcome | None:
    """The common reading of an HTTP status: None when it is a success the connector reads itself."""
    if 200 <= status < 300:
        return None
    if status == 429 or status >= 500:
        return Outcome.RETRY
    return Outcome.FAILED


class Connectors(Protocol):
    """The connectors by their policy name (`api:<name>`); None for a name without one."""

    def get(self, name: str) -> Connector | None: ...


class LazyConnectors:
    """`Connectors` built on first use from factories (a connector reads its secret only when an erasure needs it,
    so the app's cold start and the routes that never erase pay nothing)."""

    def __init__(self, factories: dict[str, Callable[[], Connector]]) -> None:
        self._factories = factories
        self._built: dict[str, Connector] = {}

    def get(self, name: str) -> Connector | None:
        if name not in self._built:
            factory = self._factories.get(name)
            if factory is None:
                return None
            self._built[name] = factory()
        return self._built[name]
