"""requirements.txt (Chalice packaging) lists exactly pyproject's pinned runtime dependencies."""

import tomllib

from tests.conftest import ROOT


def _normalise(requirement: str) -> str:
    return requirement.strip().lower().replace("_", "-")


def test_requirements_txt_matches_pyproject() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    lines = [line for line in (ROOT / "requirements.txt").read_text().splitlines()
             if line.strip() and not line.startswith("#")]
    assert sorted(map(_normalise, lines)) == sorted(map(_normalise, pyproject))


def test_runtime_dependencies_are_pinned() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    for requirement in pyproject["dependencies"] + pyproject["optional-dependencies"]["dev"]:
        assert "==" in requirement, requirement
