"""`python -m emulator.server [-H HOST] [-p PORT]`: moto server with `emulator.moto_dynamodb` installed first.

Same arguments and behaviour as `moto_server` / `python -m moto.server` (it calls `moto.server.main`), so every
request it serves goes through the patched DynamoDB (one lock, undo-log transactions, ClientRequestToken).
"""

from __future__ import annotations

import sys

from emulator.moto_dynamodb import install


def main(argv: list[str] | None = None) -> None:
    install()
    from moto.server import main as moto_main

    moto_main(argv if argv is not None else sys.argv[1:])


if __name__ == "__main__":
    main()
