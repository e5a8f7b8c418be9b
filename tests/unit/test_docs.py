"""docs/ARCHITECTURE.md stays true: its retention table matches the policy in code."""

from chalicelib.domain.retention import DEFAULT_RULES
from tests.conftest import ROOT


def test_architecture_lists_every_category_with_its_retention() -> None:
    text = (ROOT / "docs" / "ARCHITECTURE.md").read_text()
    for rule in DEFAULT_RULES:
        row = f"| `{rule.category.value}` | {rule.days} days | {rule.action} |"
        assert row in text, f"docs/ARCHITECTURE.md lacks or misstates: {row}"


def test_architecture_names_the_indexes_of_the_template() -> None:
    import json

    template = json.loads((ROOT / "infra" / "template.json").read_text())
    indexes = template["Resources"]["PrivacyTable"]["Properties"]["GlobalSecondaryIndexes"]
    text = (ROOT / "docs" / "ARCHITECTURE.md").read_text()
    for index in indexes:
        assert index["IndexName"] in text
