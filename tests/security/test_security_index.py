"""docs/security.md stays true: every `tests/...py::test_name` it names exists (a renamed or deleted test fails)."""

import re

from tests.conftest import ROOT


def test_every_test_the_index_names_exists() -> None:
    text = (ROOT / "docs" / "security.md").read_text()
    named = 0
    for cell in re.findall(r"`(tests/[^`]+?\.py)(::[^`]+)?`((?:, `::[^`]+`)*)", text):
        path, first, more = cell
        source = (ROOT / path).read_text()
        for name in [first, *re.findall(r"`(::[^`]+)`", more)]:
            if name:
                assert f"def {name[2:]}(" in source, f"docs/security.md: {path}{name} does not exist"
                named += 1
    for path in re.findall(r"`(tests/[a-z_/]+\.py)", text):
        assert (ROOT / path).exists(), path
    assert named >= 25
