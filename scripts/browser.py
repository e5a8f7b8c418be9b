"""The test browser: Debian's Chromium driven by Playwright, and axe-core for accessibility checks.

    python -m scripts.browser install   installs what is missing: the `chromium` Debian package (apt-get, as root)
                                        and axe-core from the npm registry into .browser/ (pinned below)
    python -m scripts.browser check     exit 0 when both are there, 1 (saying what is missing) otherwise

No tool downloads a browser of its own: Playwright launches /usr/bin/chromium (`executable_path`).  `make test`
runs `install` first, so a fresh machine (CI included) gets both; as a non-root developer without Chromium, install
it once with `sudo apt-get install chromium` (the browser tests say so and are skipped outside CI).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
AXE_VERSION = "4.14.1"
AXE_DIR = ROOT / ".browser"
AXE_SCRIPT = AXE_DIR / "node_modules" / "axe-core" / "axe.min.js"
# Flags for a headless Chromium as root on a closed network (shared/TOOLCHAIN.md): without the background-networking
# ones its connection attempts are refused by the hundreds.
CHROMIUM_ARGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage")


def missing() -> list[str]:
    found = []
    if not CHROMIUM.exists():
        found.append(f"Chromium ({CHROMIUM}): apt-get install chromium")
    if not AXE_SCRIPT.exists():
        found.append(f"axe-core {AXE_VERSION} ({AXE_SCRIPT}): python -m scripts.browser install")
    return found


def _run(*command: str) -> None:
    print("+", " ".join(command), file=sys.stderr)
    subprocess.run(command, check=True)


def install() -> int:
    if not CHROMIUM.exists():
        if hasattr(os, "geteuid") and os.geteuid() == 0 and shutil.which("apt-get"):
            env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
            subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
            subprocess.run(["apt-get", "install", "-y", "-qq", "chromium"], check=True, env=env)
        else:
            print("Chromium is missing: run `sudo apt-get install chromium` once (the browser tests are skipped "
                  "until then, outside CI).", file=sys.stderr)
    if not AXE_SCRIPT.exists() and shutil.which("npm"):
        AXE_DIR.mkdir(exist_ok=True)
        _run("npm", "install", "--silent", "--no-audit", "--no-fund", "--prefix", str(AXE_DIR),
             f"axe-core@{AXE_VERSION}")
    return 0


def main(argv: list[str]) -> int:
    if argv[:1] == ["install"]:
        return install()
    if argv[:1] == ["check"]:
        gaps = missing()
        for gap in gaps:
            print("missing:", gap, file=sys.stderr)
        return 1 if gaps else 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
