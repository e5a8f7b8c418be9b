"""`python -m chalicelib.cli mail ...`: the queue of privacy@ mail for a person (not a request, or unclear).

    mail list [--json]                      open messages, earliest due first (ids, kind, language, dates only)
    mail show ID                            one message, opened for the operator (sender, subject, text)
    mail answer ID (--text TEXT | --file PATH)
                                            reply in the message's thread; closes the entry (who, when)

`list` prints nothing personal; `show` prints the message itself, for the operator's eyes (never logged).  Exit codes
as for every command: 1 when the entry does not exist, was already answered or can no longer be read.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, TextIO

import click

from chalicelib.domain.clock import iso
from chalicelib.domain.privacy_requests import days_left

if TYPE_CHECKING:
    from chalicelib.cli.commands import Session
    from chalicelib.services.ports import MailPorts

EPILOG = "Exit codes: 0 success, 1 no such entry / already answered, 2 usage, 3 backend, 4 a bug."


def _ports(session: Session) -> MailPorts:
    container: Any = session.container()  # the composition root satisfies every area's ports
    return container  # type: ignore[no-any-return]


@click.group(epilog=EPILOG)
def mail() -> None:
    """Mail for a person: privacy@ messages that are not a request (or whose intent is unclear), due in a month."""


@mail.command(name="list", epilog=EPILOG)
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list instead of the table.")
@click.pass_obj
def mail_list(session: Session, as_json: bool) -> int:
    """Open messages, earliest due first, with days left (nothing personal is printed)."""
    from chalicelib.services.mail_queue import open_entries

    ports = _ports(session)
    now = ports.now()
    rows = [{"id": entry.entry_id, "kind": entry.kind, "language": entry.language,
             "received_at": iso(entry.received_at), "due_at": iso(entry.due_at),
             "days_left": days_left(entry.due_at, now), "overdue": now > entry.due_at}
            for entry in open_entries(ports, now=now)]
    if as_json:
        session.echo(json.dumps(rows, indent=2, sort_keys=True))
        return 0
    if not rows:
        session.echo("no message is waiting for a person")
        return 0
    session.echo(f"{'ID':<44} {'KIND':<8} {'LANG':<4} {'RECEIVED':<20} {'DUE':<20} DAYS LEFT")
    for row in rows:
        session.echo(f"{row['id']:<44} {row['kind']:<8} {row['language']:<4} {row['received_at']:<20} "
                     f"{row['due_at']:<20} {row['days_left']:>4}{' OVERDUE' if row['overdue'] else ''}")
    return 0


@mail.command(name="show", epilog=EPILOG)
@click.argument("entry_id", metavar="ID")
@click.pass_obj
def mail_show(session: Session, entry_id: str) -> int:
    """Read one message (decrypted for the operator).  ID is the id `mail list` prints."""
    from chalicelib.services.mail_queue import read_message

    ports = _ports(session)
    message = read_message(ports, entry_id, now=ports.now())
    entry = message.entry
    sender = f"{message.from_name} <{message.from_address}>" if message.from_name else message.from_address
    for key, value in (("id", entry.entry_id), ("kind", entry.kind), ("language", entry.language),
                       ("status", entry.status), ("received", iso(entry.received_at)), ("due", iso(entry.due_at)),
                       ("answered", f"{iso(entry.answered_at)} by {entry.answered_by}" if entry.answered_at else "-"),
                       ("from", sender), ("subject", message.subject_line)):
        session.echo(f"{key:>9}: {value}")
    session.echo("")
    session.echo(message.body)
    return 0


@mail.command(name="answer", epilog=EPILOG)
@click.argument("entry_id", metavar="ID")
@click.option("--text", metavar="TEXT", help="The answer's text.")
@click.option("--file", "from_file", type=click.File("r", encoding="utf-8"), metavar="PATH",
              help="Read the answer's text from this file (- for stdin).")
@click.pass_obj
def mail_answer(session: Session, entry_id: str, text: str | None, from_file: TextIO | None) -> int:
    """Reply to a message in its thread (signed by the controller) and close its entry.

    ID is the id `mail list` prints; give the text with --text or --file.
    """
    from chalicelib.services.mail_queue import answer

    if (text is None) == (from_file is None):
        raise click.UsageError("give the answer with exactly one of --text and --file")
    body = text if text is not None else from_file.read() if from_file else ""
    ports = _ports(session)
    entry = answer(ports, entry_id, text=body, actor=f"operator:{session.operator}", now=ports.now())
    session.echo(f"{entry.entry_id} {entry.status}")
    return 0
