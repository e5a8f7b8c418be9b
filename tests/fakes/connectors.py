"""A connector twin for the propagation tests: answers what it is told to, records whom it was asked to erase.
(The real connectors are tested against fake GA4 and Botpress servers on 127.0.0.1.)"""

from __future__ import annotations

from chalicelib.adapters.processors import Connector, ConnectorResult, ErasureTarget, Outcome

CONFIRMED_AT = "2026-12-02T12:00:00.000Z"


class ScriptedConnector:
    def __init__(self, name: str, *outcomes: str) -> None:
        self.name = name
        self.script = list(outcomes)  # each: an Outcome value, or "raise"; then acknowledged forever
        self.calls: list[ErasureTarget] = []

    def erase(self, target: ErasureTarget) -> ConnectorResult:
        self.calls.append(target)
        step = self.script.pop(0) if self.script else Outcome.ACKNOWLEDGED.value
        if step == "raise":
            raise RuntimeError("connector bug")
        outcome = Outcome(step)
        return ConnectorResult(outcome, f"scripted {outcome.value}",
                               CONFIRMED_AT if outcome is Outcome.ACKNOWLEDGED else None)


class Connectors:
    def __init__(self, *connectors: Connector) -> None:
        self.by_name = {connector.name: connector for connector in connectors}

    def get(self, name: str) -> Connector | None:
        return self.by_name.get(name)
