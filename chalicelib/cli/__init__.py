"""The operator command line (click): `python -m chalicelib.cli --help`.  See `commands` for what it does."""

from chalicelib.cli.commands import cli, main
from chalicelib.cli.stages import stage_environment
from chalicelib.cli.terminal import table

__all__ = ["cli", "main", "stage_environment", "table"]
