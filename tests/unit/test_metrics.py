"""One metric naming style: PascalCase, whether the name is written out or built from an outcome."""

import re
from pathlib import Path

import pytest

from chalicelib.observability import metric_name

ROOT = Path(__file__).resolve().parents[2]
PASCAL = re.compile(r"^[A-Z][A-Za-z0-9]*$")


@pytest.mark.parametrize(("parts", "name"), [
    (("woocommerce", "order", "accepted"), "WooCommerceOrderAccepted"),
    (("paypal", "dispute", "duplicate"), "PayPalDisputeDuplicate"),
    (("Mail", "ignored_auto_submitted"), "MailIgnoredAutoSubmitted"),
    (("Retention", "objects_deleted"), "RetentionObjectsDeleted"),
    (("PrivacyIntake", "rate_limited"), "PrivacyIntakeRateLimited"),
])
def test_names_built_from_outcomes_are_pascal_case(parts: tuple[str, ...], name: str) -> None:
    assert metric_name(*parts) == name and PASCAL.match(name)


def test_every_metric_named_in_the_code_is_pascal_case() -> None:
    literals = [name for path in (ROOT / "chalicelib").rglob("*.py")
                for name in re.findall(r"(?<![.\w])count\(\s*\"([^\"]+)\"", path.read_text())]
    assert len(literals) > 15
    assert [name for name in literals if not PASCAL.match(name)] == []
    built_inline = re.compile(r"(?<![.\w])count\(\s*f\"")
    assert not [path for path in (ROOT / "chalicelib").rglob("*.py") if built_inline.search(path.read_text())]
