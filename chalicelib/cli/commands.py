"""Operator command line for privacy requests (needs AWS credentials, or the local emulator).

    python -m chalicelib.cli list [--limit N] [--json]    open requests by due date, with days left
    python -m chalicelib.cli show REQUEST_ID [--json]     one request with its audit trail
    python -m chalicelib.cli extend REQUEST_ID --reason TEXT
    python -m chalicelib.cli complete REQUEST_ID --note TEXT   (correction requests)
    python -m chalicelib.cli deny REQUEST_ID --reason TEXT
    python -m chalicelib.cli cancel REQUEST_ID --reason TEXT
    python -m chalicelib.cli run [--dry-run]              the scheduled request work, once
    python -m chalicelib.cli processors list [--json]     processors not yet final (erasures reaching them)
    python -m chalicelib.cli processors done REQUEST_ID PROCESSOR --note TEXT [--failed]
    python -m chalicelib.cli submit --channel letter|phone|in_person|agent --type TYPE --email ADDR --evidence TEXT
    python -m chalicelib.cli guardian confirm REQUEST_ID --note TEXT   (a child's request proceeds)
    python -m chalicelib.cli mail list|show ID|answer ID --text TEXT   mail for a person (chalicelib/cli/mail.py)

`--help` on the group and on every command says what each argument means.

Exit codes (for scripts):
    0  success
    1  the request cannot be handled: it does not exist, cannot be cancelled, is already extended, ...
       (stderr: `error: <message>`)
    2  usage error: unknown command or option, missing argument, unknown stage (click's own)
    3  the backend cannot be reached or is not configured (storage unavailable, invalid settings)
    4  unexpected failure, a bug (traceback on stderr)

Against `make serve`: `--stage local` loads the local stage's settings from .chalice/config.json and, unless
AWS_ENDPOINT_URL is set, points at the running emulator: the `moto` URL in .serve/stack.json (written by `make serve`;
$SERVE_STACK names another file) when that file exists, else http://127.0.0.1:$MOTO_PORT (default 5000).  The
operator's name for the audit trail comes from --operator (default: $USER).

`list` sizes its table to the terminal (`shutil.get_terminal_size()`, so $COLUMNS too), cutting long values with "…";
when the width is unknown (output piped) nothing is cut.  `--json` on `list` and `show` prints JSON instead.  Output
never contains personal data: request ids, types, statuses, dates and the operators' notes.  The service's JSON logs
go to stderr, so stdout is only the command's result.

The CLI calls `chalicelib.services.privacy_requests` only (never repositories or storage); it is not imported by the
Lambda handlers.
"""

from __future__ import annotations

import contextlib
import getpass
import json
import os
import sys
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TextIO

import click

from chalicelib.cli.mail import mail
from chalicelib.cli.stages import stage_environment
from chalicelib.cli.terminal import table, terminal_width
from chalicelib.domain.clock import iso
from chalicelib.domain.privacy_requests import days_left
from chalicelib.errors import DomainError, StorageUnavailableError
from chalicelib.settings import ConfigurationError

if TYPE_CHECKING:
    from chalicelib.domain.privacy_requests import PrivacyRequest
    from chalicelib.services.ports import RightsPorts

PROG = "python -m chalicelib.cli"

OK, DOMAIN_ERROR, USAGE_ERROR, BACKEND_ERROR, UNEXPECTED = 0, 1, 2, 3, 4

EXIT_CODES = """\b
Exit codes:
  0  success
  1  the request cannot be handled (does not exist, cannot be cancelled, ...):
     stderr says `error: <message>`
  2  usage error (unknown command or option, missing argument, unknown stage)
  3  the backend cannot be reached or is not configured
  4  unexpected failure, a bug (traceback on stderr)"""

# -- settings and container ----------------------------------------------------------------------------------------


def _check_stage(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is not None:
        stage_environment(value, os.environ)  # unknown stage: a usage error now, before anything runs
    return value


@dataclass
class Session:
    """What the commands share (click's `ctx.obj`): the streams, the options and the container, built on first use."""

    out: TextIO | None
    err: TextIO | None
    given: RightsPorts | None = None
    stage: str | None = None
    operator: str = "unknown"
    cleanups: list[Callable[[], None]] = field(default_factory=list)  # run when `main` returns

    def container(self) -> RightsPorts:
        if self.out is None:  # stdout is the command's result: the service's JSON logs go to stderr meanwhile
            self._logs_to_stderr()
        if self.given is None:
            if self.stage:
                os.environ.update(stage_environment(self.stage, os.environ))
            from chalicelib.container import get_container

            self.given = get_container()
        return self.given

    def _logs_to_stderr(self) -> None:
        from chalicelib.observability import logger

        handler: Any = logger.registered_handler
        previous = handler.setStream(sys.stderr)
        if previous is not sys.stderr:
            self.cleanups.append(lambda: handler.setStream(previous))

    def echo(self, text: str = "") -> None:
        click.echo(text, file=self.out)

    def error(self, text: str) -> None:
        click.echo(text, file=self.err, err=self.err is None)



def _list_row(request: PrivacyRequest, now: int) -> dict[str, Any]:
    return {"request_id": request.request_id, "type": request.type.value, "status": request.status.value,
            "channel": request.channel.value, "due_at": iso(request.due_at),
            "days_left": days_left(request.due_at, now), "overdue": request.overdue(now),
            "extended": request.extended, "child": request.child}


# -- commands ------------------------------------------------------------------------------------------------------
def _operator(ctx: click.Context, param: click.Parameter, value: str | None) -> str:
    if value:
        return value
    try:
        return getpass.getuser()
    except Exception:  # no user name in some containers
        return "unknown"


@click.group(name=PROG, epilog=EXIT_CODES, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--stage", metavar="STAGE", callback=_check_stage,
              help="Load this stage's settings from .chalice/config.json first (local: the `make serve` emulator).")
@click.option("--operator", metavar="NAME", callback=_operator,
              help="Operator name recorded in the audit trail as operator:NAME (default: $USER).")
@click.pass_obj
def cli(session: Session, stage: str | None, operator: str) -> None:
    """Privacy requests, for the operator: list, inspect and act on data subject requests."""
    session.stage, session.operator = stage, operator


@cli.command(name="list", epilog=EXIT_CODES)
@click.option("--limit", type=click.IntRange(min=1), default=100, show_default=True,
              help="Show at most this many requests.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list instead of the table.")
@click.pass_obj
def list_command(session: Session, limit: int, as_json: bool) -> int:
    """Open requests, earliest due date first, with days left.

    The table fits the terminal (long values are cut with "…"); a flag says OVERDUE or extended.
    """
    from chalicelib.services import privacy_requests as service

    container = session.container()
    now = container.now()
    found = [_list_row(request, now) for request in service.open_requests(container, now=now, limit=limit)]
    found.sort(key=lambda row: not row["child"])  # a child's data first: due within 3 days
    if as_json:
        session.echo(json.dumps(found, indent=2))
        return OK
    if not found:
        session.echo("no open requests")
        return OK
    rows = [[row["request_id"], row["type"], row["status"], row["channel"], row["due_at"],
             f"{row['days_left']:>4}" + (" OVERDUE" if row["overdue"] else " extended" if row["extended"] else "")
             + (" CHILD" if row["child"] else "")]
            for row in found]
    header = ["REQUEST", "TYPE", "STATUS", "CHANNEL", "DUE (UTC)", "DAYS LEFT"]
    for line in table(header, rows, width=terminal_width()):
        session.echo(line)
    return OK


@cli.command(epilog=EXIT_CODES)
@click.argument("request_id")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object (request, receipt, audit) instead.")
@click.pass_obj
def show(session: Session, request_id: str, as_json: bool) -> int:
    """One request with its audit trail.

    REQUEST_ID is the request's id, as `list` prints it.
    """
    from chalicelib.services import privacy_requests as service
    from chalicelib.services.privacy_requests.operator_channels import sealed_details

    container = session.container()
    now = container.now()
    request = service.get_request(container, request_id, now=now)
    view = {**service.describe(request, now=now), **sealed_details(container, request)}  # opened for the operator
    receipt = request.result.get("receipt")
    audit = service.audit_trail(container, request_id, now=now)
    if as_json:
        entries = [{"at": iso(entry.at), "from_status": entry.from_status, "to_status": entry.to_status,
                    "actor": entry.actor, "reason": entry.reason} for entry in audit]
        document = {"request": view, **({"receipt": receipt} if receipt else {}), "audit": entries}
        session.echo(json.dumps(document, indent=2, sort_keys=True))
        return OK
    for key, value in view.items():
        session.echo(f"{key:>16}: {value}")
    if receipt:
        session.echo(f"{'receipt':>16}: {json.dumps(receipt, sort_keys=True)}")
    session.echo("audit:")
    for entry in audit:
        move = f"{entry.from_status or '-'} -> {entry.to_status}"
        session.echo(f"  {iso(entry.at)}  {move:<26} {entry.actor:<22} {entry.reason}")
    return OK


def _actor(session: Session) -> tuple[RightsPorts, int, str]:
    container = session.container()
    return container, container.now(), f"operator:{session.operator}"


@cli.command(epilog=EXIT_CODES)
@click.argument("request_id")
@click.option("--reason", required=True, metavar="TEXT",
              help="Why more time is needed (recorded in the audit trail, told to the subject).")
@click.pass_obj
def extend(session: Session, request_id: str, reason: str) -> int:
    """Extend a request's deadline, once.

    GDPR +2 months, CCPA +45 days; the subject is told by e-mail (or the notice is queued for the scheduled job).

    REQUEST_ID is the request's id, as `list` prints it.
    """
    from chalicelib.services import privacy_requests as service

    container, now, actor = _actor(session)
    request = service.extend_request(container, request_id=request_id, reason=reason, actor=actor, now=now)
    session.echo(f"{request.request_id} extended: due {iso(request.due_at)} "
                 f"(notice {'sent' if request.extension_notice_sent else 'queued'})")
    return OK


@cli.command(epilog=EXIT_CODES)
@click.argument("request_id")
@click.option("--note", required=True, metavar="TEXT",
              help="What was corrected, and where (recorded in the audit trail).")
@click.pass_obj
def complete(session: Session, request_id: str, note: str) -> int:
    """Mark a correction request completed, once the data is corrected.

    REQUEST_ID is the id of a correction request, as `list` prints it.
    """
    from chalicelib.services import privacy_requests as service

    container, now, actor = _actor(session)
    request = service.complete_correction(container, request_id=request_id, note=note, actor=actor, now=now)
    session.echo(f"{request.request_id} {request.status.value}")
    return OK


@cli.command(epilog=EXIT_CODES)
@click.argument("request_id")
@click.option("--reason", required=True, metavar="TEXT",
              help="Why the request is refused, e.g. manifestly unfounded (recorded in the audit trail).")
@click.pass_obj
def deny(session: Session, request_id: str, reason: str) -> int:
    """Deny a request.

    REQUEST_ID is the request's id, as `list` prints it.
    """
    from chalicelib.services import privacy_requests as service

    container, now, actor = _actor(session)
    request = service.deny_request(container, request_id=request_id, reason=reason, actor=actor, now=now)
    session.echo(f"{request.request_id} {request.status.value}")
    return OK


@cli.command(epilog=EXIT_CODES)
@click.argument("request_id")
@click.option("--reason", required=True, metavar="TEXT",
              help="Why it is cancelled, e.g. asked by phone (recorded in the audit trail).")
@click.pass_obj
def cancel(session: Session, request_id: str, reason: str) -> int:
    """Cancel a request that has not started.

    A deletion can be cancelled during its grace period (scheduled), any request before its work starts.

    REQUEST_ID is the request's id, as `list` prints it.
    """
    from chalicelib.services import privacy_requests as service

    container, now, actor = _actor(session)
    request = service.get_request(container, request_id, now=now)
    request = service.cancel(container, request, actor=actor, reason=reason, now=now)
    session.echo(f"{request.request_id} {request.status.value}")
    return OK


@cli.command(epilog=EXIT_CODES)
@click.option("--dry-run", is_flag=True, help="Only count what would be done; change nothing, send nothing.")
@click.pass_obj
def run(session: Session, dry_run: bool) -> int:
    """Run the scheduled request work once; prints its counts (JSON).

    Deletions past their grace period, queued fulfilments, expiry of unverified requests, extension notices and
    the operator's daily digest.
    """
    from chalicelib.services import privacy_requests as service

    container = session.container()
    counts = service.run_scheduled_request_work(container, now=container.now(), dry_run=dry_run)
    session.echo(json.dumps(counts, sort_keys=True))
    return OK


@cli.group(epilog=EXIT_CODES)
def restriction() -> None:
    """Restrictions of processing (GDPR Art. 18) in force: lifting one."""


@restriction.command(name="lift", epilog=EXIT_CODES)
@click.argument("request_id")
@click.option("--reason", required=True, metavar="TEXT",
              help="Why the restriction ends (told to the subject and recorded in the audit trail).")
@click.pass_obj
def restriction_lift(session: Session, request_id: str, reason: str) -> int:
    """Lift the restriction a request put in force, after telling the subject (Art. 18(3)).

    REQUEST_ID is the restriction request's id.  The subject is mailed the reason first; when that mail cannot
    be sent, the restriction stays and the command fails.
    """
    from chalicelib.services.privacy_requests.restriction import lift_restriction

    container, now, actor = _actor(session)
    request = lift_restriction(container, request_id=request_id, reason=reason, actor=actor, now=now)
    session.echo(f"{request.request_id} restriction {request.result['restriction']['status']}")
    return OK


@cli.group(epilog=EXIT_CODES)
def processors() -> None:
    """Erasures reaching the processors: what is still open, and the operator's confirmations."""


@processors.command(name="list", epilog=EXIT_CODES)
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list instead of the table.")
@click.pass_obj
def processors_list(session: Session, as_json: bool) -> int:
    """Every processor not yet final (pending, sent), oldest work first, with its due date.

    A `manual` one is an operator task: do what the receipt's `action` says, then `processors done`.
    """
    from chalicelib.services.privacy_requests.restriction import open_tasks
    from chalicelib.services.processor_propagation import open_processors

    container = session.container()
    now = container.now()
    entries: list[Any] = [*open_processors(container, now=now), *open_tasks(container, now=now)]
    rows = [{"request_id": entry.request_id, "processor": entry.state.key, "name": entry.state.name,
             "kind": entry.state.kind, "status": entry.state.status, "attempts": entry.state.attempts,
             "due_at": iso(entry.state.due_at), "overdue": entry.state.overdue(now),
             "reference": entry.state.reference} for entry in entries]
    if as_json:
        session.echo(json.dumps(rows, indent=2, sort_keys=True))
        return OK
    if not rows:
        session.echo("no processor is waiting")
        return OK
    session.echo(f"{'REQUEST':<34} {'PROCESSOR':<20} {'KIND':<6} {'STATUS':<8} {'DUE':<20} OVERDUE")
    for row in rows:
        session.echo(f"{row['request_id']:<34} {row['processor']:<20} {row['kind']:<6} {row['status']:<8} "
                     f"{row['due_at']:<20} {'yes' if row['overdue'] else ''}")
    return OK


@processors.command(name="done", epilog=EXIT_CODES)
@click.argument("request_id")
@click.argument("processor")
@click.option("--note", required=True, metavar="TEXT",
              help="How the processor confirmed (recorded in the request's audit trail).")
@click.option("--failed", is_flag=True, help="Record that the processor could not be made to erase (final).")
@click.pass_obj
def processors_done(session: Session, request_id: str, processor: str, note: str, failed: bool) -> int:
    """Record a processor's confirmation of an erasure, a restriction or an objection (or its failure).

    REQUEST_ID is the request's id; PROCESSOR the recipient's key in the store's policy, as `processors list`
    prints it.  When it was the last one of an erasure, the subject gets the final update.
    """
    from chalicelib.domain.privacy_requests import RequestType
    from chalicelib.services.privacy_requests import get_request
    from chalicelib.services.privacy_requests.restriction import processor_done
    from chalicelib.services.processor_propagation import acknowledge

    container, now, actor = _actor(session)
    request = get_request(container, request_id, now=now)
    if request.type in (RequestType.RESTRICTION, RequestType.OBJECTION):
        state = processor_done(container, request, processor, detail=note, actor=actor, failed=failed, now=now)
    else:
        state = acknowledge(container, request_id, processor, actor=actor, detail=note, now=now, failed=failed)
    session.echo(f"{request_id} {state.key} {state.status}")
    return OK


from chalicelib.cli import channels  # noqa: E402  (operator channels, issue 13)

channels.register(cli)

from chalicelib.cli.marketing import marketing  # noqa: E402  (the mailing tool's commands)

cli.add_command(marketing)

cli.add_command(mail)  # mail for a person: list|show|answer (chalicelib/cli/mail.py)


# -- entry point ---------------------------------------------------------------------------------------------------
def main(argv: Sequence[str] | None = None, *, container: RightsPorts | None = None,
         out: TextIO | None = None) -> int:
    """Run the CLI; returns the exit code (see the module docstring).  `container` replaces the one built from the
    environment (tests); `out` receives everything printed, help and errors included (stdout and stderr by
    default)."""
    session = Session(out=out, err=out, given=container)
    redirect: contextlib.AbstractContextManager[Any] = (
        contextlib.redirect_stdout(out) if out is not None else contextlib.nullcontext())
    try:
        with redirect:
            return _invoke(session, argv)
    finally:
        for cleanup in reversed(session.cleanups):
            cleanup()


def _invoke(session: Session, argv: Sequence[str] | None) -> int:
    try:
        code = cli.main(args=list(sys.argv[1:] if argv is None else argv), prog_name=PROG, standalone_mode=False,
                        obj=session)
    except click.ClickException as error:  # usage errors: click's own message and exit code (2)
        error.show(file=session.err)
        return error.exit_code
    except click.Abort:
        session.error("Aborted!")
        return 130
    except (StorageUnavailableError, ConfigurationError) as error:
        session.error(f"error: {_message(error)}{_hint(session, error)}")
        return BACKEND_ERROR
    except DomainError as error:
        session.error(f"error: {error.message}")
        return DOMAIN_ERROR
    except Exception as error:
        if _backend_failure(error):
            session.error(f"error: backend unavailable: {type(error).__name__}{_hint(session, error)}")
            return BACKEND_ERROR
        session.error(traceback.format_exc().rstrip())
        session.error(f"error: unexpected {type(error).__name__} (a bug)")
        return UNEXPECTED
    return int(code or OK)


def _message(error: Exception) -> str:
    return error.message if isinstance(error, DomainError) else str(error)


def _backend_failure(error: Exception) -> bool:
    """An AWS call that failed below the storage layer (no credentials, endpoint unreachable, access denied)."""
    from botocore.exceptions import BotoCoreError, ClientError

    return isinstance(error, BotoCoreError | ClientError)


def _hint(session: Session, error: Exception) -> str:
    if isinstance(error, ConfigurationError):
        return "" if session.stage else " (no --stage given: --stage local|dev|prod loads a stage's settings)"
    endpoint = os.environ.get("AWS_ENDPOINT_URL")
    if session.stage == "local" and endpoint:
        return f" (emulator {endpoint}: is `make serve` running?)"
    return ""
