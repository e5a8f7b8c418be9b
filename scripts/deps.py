"""Print requirements from pyproject.toml, one per line (used by the Makefile).

    python scripts/deps.py           the runtime dependencies ([project].dependencies)
    python scripts/deps.py --serve   + what the local stack's emulator needs (`make serve`, `make mail`, `make tick`)
    python scripts/deps.py --dev     + every dev dependency (`make test`, `make bench`, ...)

The emulator is moto server.  The dev list pins `moto[server]`, whose extra pulls in what every moto service might
use (cfn-lint and sympy, docker, graphql-core, openapi-spec-validator, aws-xray-sdk, ...).  `--serve` asks for the
same moto version with only the extras of the services the stack uses plus Flask and flask-cors (what moto server
itself imports), so a first `make serve` installs about half as much.
"""

import re
import sys
import tomllib
from pathlib import Path

SERVE_MOTO_EXTRAS = "dynamodb,s3,sqs,sns,ses,kms"  # the stack's services (infra/template.json)
SERVE_EXTRA = ("flask", "flask-cors")  # moto server's own imports (moto[server] adds them)

project = tomllib.loads(Path(__file__).resolve().parent.parent.joinpath("pyproject.toml").read_text())["project"]
dev = list(project["optional-dependencies"]["dev"])
wanted = list(project["dependencies"])
if "--dev" in sys.argv:
    wanted += dev
elif "--serve" in sys.argv:
    pins = [match for spec in dev if (match := re.fullmatch(r"moto(\[[^\]]*\])?\s*(.*)", spec.strip()))]
    if not pins:
        sys.exit("scripts/deps.py: no moto requirement in [project.optional-dependencies].dev")
    wanted += [f"moto[{SERVE_MOTO_EXTRAS}]{pins[0].group(2)}", *SERVE_EXTRA]
print("\n".join(wanted))
