"""Print the project's requirements from pyproject.toml, one per line (used by the Makefile)."""

import sys
import tomllib
from pathlib import Path

project = tomllib.loads(Path(__file__).resolve().parent.parent.joinpath("pyproject.toml").read_text())["project"]
wanted = list(project["dependencies"])
if "--dev" in sys.argv:
    wanted += project["optional-dependencies"]["dev"]
print("\n".join(wanted))
