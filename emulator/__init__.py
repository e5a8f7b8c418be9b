"""The local AWS emulator: moto, with the fixes in `emulator.moto_dynamodb` (see docs/local-stack.md).

Never deployed (not part of chalicelib).  `emulator.install()` patches moto in the current process;
`python -m emulator.server -H 127.0.0.1 -p PORT` runs moto server with the patch installed.
"""

from emulator.moto_dynamodb import install, installed, uninstall

__all__ = ["install", "installed", "uninstall"]
