"""`python -m chalicelib.cli`."""

from chalicelib.cli.commands import main

raise SystemExit(main())
