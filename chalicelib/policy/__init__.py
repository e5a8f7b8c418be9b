"""The store's policy: one TOML file (setting `STORE_POLICY`, a path relative to the project root) that holds every
promise the backend keeps for that store.  `load_policy` reads it with `tomllib`, validates it with the models of
`chalicelib.policy.model` and refuses it, with every problem and its place in the file, when anything is wrong.

`python -m chalicelib.policy check FILE` and `python -m chalicelib.policy table [FILE]` are its command line.
"""

from __future__ import annotations

import tomllib
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import ValidationError

if TYPE_CHECKING:
    from chalicelib.domain.retention import RetentionOverride, RetentionPolicy, RetentionRule
    from chalicelib.policy.model import StorePolicy
    from chalicelib.settings import Settings

ROOT = Path(__file__).resolve().parents[2]  # the project root (in Lambda: the package root, /var/task)


class PolicyError(ValueError):
    """The policy file cannot be used; `problems` lists (place, message) pairs, each printed on its own line."""

    def __init__(self, source: str, problems: list[tuple[str, str]]) -> None:
        self.source = source
        self.problems = problems
        lines = "\n".join(f"  {place}: {message}" if place else f"  {message}" for place, message in problems)
        super().__init__(f"invalid store policy {source}:\n{lines}")


def resolve(path: str | Path) -> Path:
    candidate = Path(path)
    return candidate if candidate.is_absolute() else ROOT / candidate


def _place(location: tuple[int | str, ...]) -> str:
    place = ""
    for part in location:
        if isinstance(part, int):
            place += f"[{part}]"
        elif part.startswith(("function-", "literal[")) or part == "[key]":  # pydantic's step names
            continue
        else:
            place += ("." if place else "") + part
    return place


def _message(error: dict[str, object]) -> str:
    kind, message = error["type"], str(error["msg"]).removeprefix("Value error, ")
    if kind == "extra_forbidden":
        return "unknown key (a typo? every key of the file is listed in docs/store-policy.md)"
    if kind == "missing":
        return "missing"
    return message


def parse_policy(text: str, source: str = "<policy>") -> StorePolicy:
    """A validated policy from TOML text; raises PolicyError with every problem."""
    from chalicelib.policy.model import StorePolicy, cross_check

    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise PolicyError(source, [("", f"not valid TOML: {error}")]) from None
    try:
        policy = StorePolicy.model_validate(data)
    except ValidationError as error:
        raise PolicyError(source, [(_place(item["loc"]), _message(dict(item))) for item in error.errors()]) from None
    problems = cross_check(policy)
    if problems:
        raise PolicyError(source, problems)
    return policy


def load_policy(path: str | Path) -> StorePolicy:
    file = resolve(path)
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as error:
        raise PolicyError(str(path), [("", f"cannot read the file: {error.strerror}")]) from None
    except UnicodeDecodeError:
        raise PolicyError(str(path), [("", "the file is not UTF-8")]) from None
    return parse_policy(text, str(path))


@lru_cache(maxsize=8)
def cached_policy(path: str) -> StorePolicy:
    """One parse per process and file (cold start): the policy does not change while a process lives."""
    return load_policy(path)


def check_configuration(settings: Settings) -> None:
    """The store's policy and the stage's retention overrides, checked at start (the app, `make serve`): raises
    ConfigurationError with every problem, so nothing starts on a half-valid policy."""
    from chalicelib.settings import ConfigurationError

    try:
        policy = cached_policy(settings.store_policy)
    except PolicyError as error:
        raise ConfigurationError(f"invalid configuration: STORE_POLICY: {error}") from None
    try:
        retention_policy(policy, settings.retention_overrides)
    except ValueError as error:
        raise ConfigurationError(f"invalid configuration: RETENTION_OVERRIDES: {error}") from None


def retention_rules(policy: StorePolicy) -> list[RetentionRule]:
    from chalicelib.domain.retention import Category, RetentionRule

    rules = []
    for name, category in policy.categories.items():
        varies = category.varies_by
        rules.append(RetentionRule(
            Category(name), category.retention, category.at_expiry, category.legal_basis, category.what,
            max_days=category.ceiling, by_attribute=varies.attribute if varies else None,
            days_by_value=tuple(varies.values.items()) if varies else ()))
    return rules


def retention_policy(policy: StorePolicy,
                     overrides: dict[str, RetentionOverride] | None = None) -> RetentionPolicy:
    from chalicelib.domain.retention import build_policy

    return build_policy(retention_rules(policy), overrides)
