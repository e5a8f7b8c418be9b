"""Cold start: `import app` leaves out what only some invocations need (measured by `python -m bench coldstart`):
the mail texts and MIME composition load with the first mail, the webhook payload models with the first delivery."""

from __future__ import annotations

import subprocess
import sys

import pytest

LOADED_LATER = ("chalicelib.mail.templates", "chalicelib.mail.notice_texts", "chalicelib.mail.texts",
                "chalicelib.mail.compose", "chalicelib.mail.replies", "chalicelib.payloads.woocommerce",
                "email.headerregistry")


@pytest.mark.parametrize("module", LOADED_LATER)
def test_importing_the_app_does_not_load(module: str) -> None:
    code = f"import sys, app; assert {module!r} not in sys.modules, 'imported at start'"
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
