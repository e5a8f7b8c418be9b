"""docs/ARCHITECTURE.md stays true: its retention table is the one the default policy file gives."""


from tests.conftest import ROOT
from tests.helpers import retention


def test_architecture_shows_the_retention_table_the_policy_command_writes() -> None:
    from chalicelib.policy.__main__ import retention_table

    text = (ROOT / "docs" / "ARCHITECTURE.md").read_text()
    table = retention_table("policies/jetcards.toml")
    assert table in text, "docs/ARCHITECTURE.md: run `python -m chalicelib.policy table` and paste its table"
    for rule in retention().rules():
        assert f"| `{rule.category.value}` | {rule.days} days" in table


def test_architecture_names_the_indexes_of_the_template() -> None:
    import json

    template = json.loads((ROOT / "infra" / "template.json").read_text())
    indexes = template["Resources"]["PrivacyTable"]["Properties"]["GlobalSecondaryIndexes"]
    text = (ROOT / "docs" / "ARCHITECTURE.md").read_text()
    for index in indexes:
        assert index["IndexName"] in text


def test_the_layer_table_matches_the_import_contract_and_the_packages() -> None:
    import re
    import tomllib

    text = (ROOT / "docs" / "ARCHITECTURE.md").read_text()
    documented = re.findall(r"^\| \d \| `(chalicelib\.[a-z_]+)` \|", text, flags=re.MULTILINE)
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"]
    layers = next(contract["layers"] for contract in config if contract["type"] == "layers")
    contracted = [name.strip() for layer in layers for name in layer.split("|")]
    assert documented == contracted
    packages = [f"chalicelib.{path.name}" for path in (ROOT / "chalicelib").iterdir()
                if (path / "__init__.py").exists()]
    assert sorted(documented) == sorted([*packages, "chalicelib.container"])  # every package has its layer


def test_no_test_module_imports_another() -> None:
    """Shared helpers live in tests/fakes/ and tests/helpers.py; a test module imports no other test module."""
    import re

    offenders = []
    for path in sorted((ROOT / "tests").rglob("test_*.py")):
        for line in path.read_text().splitlines():
            if re.match(r"^\s*(from|import) tests\.(unit|integration|functional|contract|e2e|emulator)\.test_", line):
                offenders.append(f"{path.relative_to(ROOT)}: {line.strip()}")
    assert offenders == []
