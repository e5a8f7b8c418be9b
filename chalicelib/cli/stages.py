"""`--stage STAGE`: the stage's settings from .chalice/config.json, and for `local` the running emulator."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import click

from chalicelib.settings import ConfigurationError

ROOT = Path(__file__).resolve().parent.parent.parent
STACK_FILE_ENV = "SERVE_STACK"  # as for `make mail` / `make tick`: another stack.json than .serve/stack.json


def _chalice_config() -> dict[str, Any]:
    path = ROOT / ".chalice" / "config.json"
    try:
        config: dict[str, Any] = json.loads(path.read_text())
    except (OSError, ValueError) as error:
        raise ConfigurationError(f"invalid configuration: cannot read .chalice/config.json ({type(error).__name__})")\
            from None
    return config


def _served_stack(environ: Mapping[str, str]) -> dict[str, Any]:
    """The stack `make serve` wrote (.serve/stack.json, or $SERVE_STACK), or {} when there is none."""
    path = Path(environ.get(STACK_FILE_ENV) or ROOT / ".serve" / "stack.json")
    try:
        state = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return state if isinstance(state, dict) and isinstance(state.get("moto"), str) else {}


def stage_environment(stage: str, environ: Mapping[str, str]) -> dict[str, str]:
    """What `--stage STAGE` adds to `environ`: the stage's settings from .chalice/config.json and, for `local`, the
    emulator's endpoint (.serve/stack.json's `moto`, else 127.0.0.1:$MOTO_PORT) and fake credentials.  A variable
    already in `environ` is never replaced (AWS_ENDPOINT_URL=... points `--stage local` elsewhere)."""
    config = _chalice_config()
    stages = config.get("stages", {})
    if stage not in stages:
        raise click.BadParameter(f"unknown stage {stage!r} (one of: {', '.join(sorted(stages))})",
                                 param_hint="'--stage'")
    env = {str(key): str(value) for key, value in config.get("environment_variables", {}).items()}
    env.update({str(key): str(value) for key, value in stages[stage].get("environment_variables", {}).items()})
    if stage == "local":
        served = _served_stack(environ) if "AWS_ENDPOINT_URL" not in environ else {}
        if served:  # the served API's URL settings (PUBLIC_BASE_URL, ...), as `make mail` uses them
            env.update({str(key): str(value) for key, value in (served.get("settings") or {}).items()})
            env["AWS_ENDPOINT_URL"] = served["moto"]
        else:
            env["AWS_ENDPOINT_URL"] = f"http://127.0.0.1:{environ.get('MOTO_PORT') or '5000'}"
        env.update({"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"})  # the emulator's
    return {key: value for key, value in env.items() if key not in environ}

