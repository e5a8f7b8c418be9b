"""`python -m chalicelib.cli marketing ...`: the store's mailing tool (marketing senders).

    marketing api-key          a new API key for the mailing tool, and the hash to configure
    marketing check EMAIL      what `POST /marketing/permission` answers for an address (yes / no)

Attached to the CLI's group in `chalicelib/cli/commands.py`.  Output never carries an address: `check` prints yes or
no only.
"""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

import click

from chalicelib.domain.email_address import InvalidEmailError, parse_email
from chalicelib.errors import InvalidInputError

KEY_BYTES = 32


@click.group()
def marketing() -> None:
    """The store's mailing tool: its API key and the permission it is answered."""


@marketing.command(name="api-key")
@click.pass_obj
def api_key(session: Any) -> int:
    """Print a new API key for the mailing tool and its SHA-256, the value of MARKETING_API_KEY_SHA256.

    Give the key to the mailing tool (it sends `Authorization: Bearer <key>`) and store only the hash in the
    secrets (append it with a comma to rotate: both keys work until the old hash is removed).  Nothing is stored.
    """
    key = secrets.token_urlsafe(KEY_BYTES)
    session.echo(f"key:    {key}")
    session.echo(f"sha256: {hashlib.sha256(key.encode()).hexdigest()}")
    return 0


@marketing.command(name="check")
@click.argument("email")
@click.pass_obj
def check(session: Any, email: str) -> int:
    """Print whether the mailing tool may e-mail EMAIL: yes only with a current opt-in and no erasure.

    EMAIL is the address to check; it is not printed or logged.
    """
    from chalicelib.services.marketing_senders import may_email

    try:
        address = parse_email(email)
    except InvalidEmailError:
        raise InvalidInputError("not one e-mail address", field="email") from None
    session.echo("yes" if may_email(session.container(), address) else "no")
    return 0
