"""Operator channels (issue 13): `submit` records a request received by letter, telephone, in person or from an
authorised agent; `guardian confirm` lets a request about a child's data proceed once the parent's or guardian's
authority was checked.  Attached to the group in `chalicelib.cli.commands`.

Bad input (an unknown or not offered type, a channel the store's policy does not accept, an agent request without
its authorisation, a note too long, a future date) is a usage error: exit code 2, the message on stderr, nothing
stored and nothing sent.
"""

from __future__ import annotations

from datetime import datetime

import click

from chalicelib.cli.commands import EXIT_CODES, OK, Session, _actor
from chalicelib.domain.clock import iso
from chalicelib.errors import InvalidInputError

CHANNELS = ["letter", "phone", "in_person", "agent"]
LANGUAGES = ["en", "de", "et"]  # the languages mail is written in (chalicelib.mail.texts)


def _bad(error: InvalidInputError) -> click.BadParameter:
    name = (error.field or "").replace("_", "-")
    return click.BadParameter(error.message, param_hint=f"--{name}" if name else None)


@click.command(epilog=EXIT_CODES)
@click.option("--channel", required=True, type=click.Choice(CHANNELS),
              help="How the request was received.  Only the channels of the store's policy (rights.channels) are "
                   "accepted; another is refused (exit 2).")
@click.option("--type", "request_type", required=True, metavar="TYPE",
              help="The request type: access, deletion, correction, opt_out, restriction or objection (only those "
                   "the store's policy offers).")
@click.option("--email", required=True, metavar="ADDR",
              help="The person's e-mail address: it identifies their data; the confirmation is mailed there.")
@click.option("--evidence", required=True, metavar="TEXT",
              help="A short NOTE of how identity was checked, e.g. 'signed letter, name and order number match'. "
                   "Sealed under the person's key; at most 1000 characters.  Never copy an ID document, its "
                   "number or an image into it.")
@click.option("--received-at", "received_on", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              metavar="YYYY-MM-DD",
              help="The day it was received (UTC; default: today).  The deadline counts from it; a future date is "
                   "refused.")
@click.option("--source-ref", metavar="REF",
              help="The channel's own reference (e.g. the letter's number): a second submission with it records "
                   "nothing and mails nothing.")
@click.option("--agent-name", metavar="NAME", help="The authorised agent's name (--channel agent; sealed).")
@click.option("--authorisation", metavar="TEXT",
              help="Reference or description of the person's signed permission for the agent (required with "
                   "--channel agent, CCPA regulations § 7063; sealed; a note, not a copy of the document).")
@click.option("--child", is_flag=True,
              help="About a child's data (a parent's or guardian's request): due within 3 days; a deletion waits "
                   "for `guardian confirm`.")
@click.option("--language", type=click.Choice(LANGUAGES), default=None,
              help="The person's language: the confirmation and every later mail to them are written in it (when "
                   "the store's policy lists it; default: the store's first language, rights.languages).")
@click.pass_obj
def submit(session: Session, channel: str, request_type: str, email: str, evidence: str,
           received_on: datetime | None, source_ref: str | None, agent_name: str | None, authorisation: str | None,
           child: bool, language: str | None) -> int:
    """Record a request received by letter, telephone, in person or from an authorised agent.

    The operator checked the person's identity, so the request is verified at once; its deadline is the regime's,
    counted from the day received.  The person is mailed a confirmation (what, how, the deadline).
    """
    from chalicelib.services.privacy_requests.operator_channels import submit_operator_request

    container, now, actor = _actor(session)
    try:
        done = submit_operator_request(
            container, channel=channel, request_type=request_type, email=email, evidence=evidence, actor=actor,
            now=now, received_on=received_on.date() if received_on else None, source_ref=source_ref,
            agent_name=agent_name, authorisation=authorisation, child=child, language=language)
    except InvalidInputError as error:
        raise _bad(error) from None
    submitted = done.submitted
    if submitted.existing:
        session.echo(f"{submitted.request_id} already recorded from this source reference: nothing new stored, "
                     "no mail sent")
        return OK
    session.echo(f"{submitted.request_id} recorded: {request_type} via {channel}, {submitted.status}, due "
                 f"{iso(submitted.due_at)} ({submitted.regime.value}); confirmation {done.confirmation}")
    return OK


@click.group(epilog=EXIT_CODES)
def guardian() -> None:
    """Requests about a child's data: confirm the parent's or guardian's authority."""


@guardian.command(name="confirm", epilog=EXIT_CODES)
@click.argument("request_id")
@click.option("--note", required=True, metavar="TEXT",
              help="How the authority was checked (sealed under the person's key; at most 1000 characters; "
                   "never a copy of a document).")
@click.pass_obj
def guardian_confirm(session: Session, request_id: str, note: str) -> int:
    """Confirm that a parent's or guardian's authority was checked; the request then proceeds (a deletion is
    scheduled and the child's data erased).  `deny` refuses it instead.

    REQUEST_ID is the request's id, as `list` prints it (marked CHILD).
    """
    from chalicelib.services.privacy_requests.guardian import confirm_guardian

    container, now, actor = _actor(session)
    try:
        request = confirm_guardian(container, request_id=request_id, note=note, actor=actor, now=now)
    except InvalidInputError as error:
        raise _bad(error) from None
    session.echo(f"{request.request_id} guardian confirmed: {request.status.value}")
    return OK


def register(group: click.Group) -> None:
    """Attach `submit` and `guardian` to the operator's command group."""
    group.add_command(submit)
    group.add_command(guardian)
