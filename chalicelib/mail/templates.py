"""Texts of the mails the data-subject-rights feature sends (plain text; no personal data beyond what the
recipient already knows).

No store is named here: mail is signed by the `Sender` the services build from the store's policy (the
controller's display name, its privacy contact and DPO), and every deadline is stated with the legal reference of
the request's regime (`deadline_text`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from chalicelib.domain.clock import iso
from chalicelib.domain.privacy_requests import Regime, days_left


@dataclass(frozen=True)
class Sender:
    """Who answers (from the store's policy): the controller's display name, the privacy contact, the DPO when
    there is one, the site, the languages replies are written in, and what the law obliges the store to keep."""

    name: str
    privacy: str
    dpo: str | None = None
    site: str = ""
    languages: tuple[str, ...] = ("en",)
    kept_by_law: str | None = None  # e.g. "orders, kept 7 years: legal obligation (...)"; None: nothing is kept

    def signature(self) -> str:
        lines = ["", "-- ", f"The privacy team of {self.name}" + (f", {self.site}" if self.site else ""),
                 f"Privacy contact: {self.privacy}"]
        if self.dpo:
            lines.append(f"Data protection officer: {self.dpo}")
        return "\n".join(lines) + "\n"


GDPR_REFERENCE = "GDPR Art. 12(3)"
UK_GDPR_REFERENCE = "UK GDPR Art. 12(3)"
CCPA_REFERENCE = "CCPA, Cal. Civ. Code § 1798.130(a)(2)"

# (period, period once extended, legal reference) of each regime
_PERIODS: dict[Regime, tuple[str, str, str]] = {
    Regime.GDPR: ("one month", "one month extended by two further months", GDPR_REFERENCE),
    Regime.UK_GDPR: ("one month", "one month extended by two further months", UK_GDPR_REFERENCE),
    Regime.CCPA: ("45 days", "45 days extended by 45 further days", CCPA_REFERENCE),
}


def date_text(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, tz=UTC).strftime("%d %B %Y")


def period_text(regime: Regime, *, extended: bool = False) -> str:
    """The legal period of a regime with its reference, e.g. "one month, GDPR Art. 12(3)"."""
    if regime is Regime.STRICTEST:
        gdpr, ccpa = _PERIODS[Regime.GDPR], _PERIODS[Regime.CCPA]
        index = 1 if extended else 0
        return f"the earlier of {gdpr[index]} ({gdpr[2]}) and {ccpa[index]} ({ccpa[2]})"
    period, longer, reference = _PERIODS[regime]
    return f"{longer if extended else period}, {reference}"


def deadline_text(regime: Regime, due_at: int, *, extended: bool = False) -> str:
    """The deadline as mail states it: "23 December 2026 (one month, GDPR Art. 12(3))"."""
    return f"{date_text(due_at)} ({period_text(regime, extended=extended)})"


def _signed(text: str, sender: Sender | None) -> str:
    return text + sender.signature() if sender else text

_TYPES = {"access": "a copy of your data", "deletion": "the deletion of your data",
          "correction": "the correction of your data", "opt_out": "an opt-out of marketing",
          "restriction": "the restriction of the processing of your data",
          "objection": "your objection to the processing of your data"}


def _export_ready(*, request: Any, download_url: str, sender: Sender | None = None, **_: Any) -> tuple[str, str]:
    return ("Your data export is ready", _signed(
        f"Your data export for request {request.request_id} is ready.\n\n"
        f"Download it here (the link works until {iso(request.result['export']['expires_at'])}; each visit gives a "
        f"fresh download valid for 15 minutes):\n{download_url}\n\n"
        "The export contains a machine-readable JSON file and a readable HTML page of everything we hold "
        "about you, with the purposes, recipients and retention periods.\n", sender))


def _extension(*, request: Any, sender: Sender | None = None, **_: Any) -> tuple[str, str]:
    return ("We need more time for your privacy request", _signed(
        f"We need more time to complete your request {request.request_id}.\n\n"
        f"Reason: {request.extension_reason}\n"
        f"New deadline: {deadline_text(request.regime, request.due_at, extended=True)}\n\n"
        "The law allows one extension of this kind; we will answer by the new deadline at the latest.\n", sender))


def _receipt(*, receipt: dict[str, Any], request_id: str, **_: Any) -> tuple[str, str]:
    lines = [f"Your data has been erased (request {request_id}).", "", "Deleted:"]
    for kind, number in sorted(receipt.get("deleted", {}).items()):
        lines.append(f"  - {number} {kind} record(s)")
    if receipt.get("exports_deleted"):
        lines.append(f"  - {receipt['exports_deleted']} export file(s)")
    lines += ["", "Kept because the law requires it (anonymised, without your name or contact details):"]
    kept = receipt.get("kept", {})
    if not kept:
        lines.append("  - nothing")
    for kind, info in sorted(kept.items()):
        lines.append(f"  - {info['count']} {kind} record(s) until {iso(info['until'])}: {info['why']}")
    lines += ["", "Your encryption key was destroyed, so no copy of your personal data (backups included) can be "
              "read again.", "", "Other companies that received your data, and where their erasure stands:"]
    lines += _processor_lines(receipt.get("processors", []))
    lines += ["", "We will write to you again once every one of them has confirmed."
              if any(p["status"] not in _FINAL for p in receipt.get("processors", [])) else ""]
    return "Your data has been erased", "\n".join(lines).rstrip() + "\n"


_FINAL = ("acknowledged", "failed")
_STATES = {"pending": "to be told", "sent": "told, waiting for their confirmation",
           "acknowledged": "confirmed", "failed": "could not be confirmed: our privacy team follows it up"}


def _processor_lines(processors: list[dict[str, Any]]) -> list[str]:
    if not processors:
        return ["  - none"]
    lines = []
    for processor in processors:
        role = str(processor["role"]).replace("_", " ")
        state = _STATES.get(str(processor["status"]), str(processor["status"]))
        lines.append(f"  - {processor['name']} ({role}): {state}")
    return lines


def _receipt_update(*, request_id: str, processors: list[dict[str, Any]], **_: Any) -> tuple[str, str]:
    lines = [f"The erasure of your data (request {request_id}) has reached every company that received it:", ""]
    lines += _processor_lines(processors)
    lines += ["", "The address this mail was sent to is now deleted from our systems as well."]
    return "Your data erasure: final update", "\n".join(lines) + "\n"


def _processor_erasure(*, reference: str, processor: str, people: list[tuple[str, str | None, tuple[str, ...]]],
                       sender: Sender | None = None, **_: Any) -> tuple[str, str]:
    """A batched erasure request to a processor's privacy address (GDPR Art. 17(2), 19 and 28(3)(e))."""
    lines = [f"Dear {processor} privacy team,", "",
             f"As our processor, please erase all personal data you hold about the {len(people)} person(s) below, "
             "who asked us to erase their data (GDPR Art. 17), and confirm by replying to this message with the "
             f"reference {reference} in the subject.", ""]
    for request_id, email, customer_ids in people:
        ids = f", customer id {', '.join(customer_ids)}" if customer_ids else ""
        lines.append(f"  - {email or '(no e-mail address)'}{ids} (our request {request_id})")
    lines += ["", f"Reference: {reference}"]
    return f"Erasure request {reference}: {len(people)} person(s)", _signed("\n".join(lines) + "\n", sender)


def _digest(*, requests: list[Any], now: int, processors: list[Any] | None = None, mail: list[Any] | None = None,
            **_: Any) -> tuple[str, str]:
    overdue = sum(1 for request in requests if request.due_at < now)
    lines = [f"{len(requests)} privacy request(s) due within 7 days ({overdue} overdue):", ""]
    for request in requests:
        lines.append(f"  {request.request_id}  {request.type.value:<10} {request.status.value:<11} "
                     f"due {iso(request.due_at)}  ({days_left(request.due_at, now)} days left)")
    late = processors or []
    if late:
        lines += ["", f"{len(late)} processor(s) overdue with the confirmation of an erasure:", ""]
        for entry in late:
            state = entry.state
            lines.append(f"  {entry.request_id}  {state.key:<20} {state.status:<8} {state.kind:<6} "
                         f"due {iso(state.due_at)}")
        lines += ["", "Follow up, then: python -m chalicelib.cli processors done <request id> <processor>"]
    queued = mail or []
    mail_overdue = sum(1 for entry in queued if entry.due_at < now)
    if queued:
        lines += ["", f"{len(queued)} message(s) for a person due within 7 days ({mail_overdue} overdue):", ""]
        for entry in queued:
            lines.append(f"  {entry.entry_id}  {entry.kind:<8} {entry.language:<3} due {iso(entry.due_at)}  "
                         f"({days_left(entry.due_at, now)} days left)")
        lines += ["", "Read and answer: python -m chalicelib.cli mail show <id> / mail answer <id> --text ..."]
    lines += ["", "Details: python -m chalicelib.cli show <request id>"]
    title = f"Privacy requests due: {len(requests)} ({overdue} overdue)"
    if late:
        title += f"; processors overdue: {len(late)}"
    if queued:
        title += f"; mail for a person: {len(queued)} ({mail_overdue} overdue)"
    return title, "\n".join(lines) + "\n"


_CHANNELS = {"letter": "by letter", "phone": "by telephone", "in_person": "in person",
             "agent": "through your authorised agent"}


def _confirmation(*, request: Any, sender: Sender | None = None, **_: Any) -> tuple[str, str]:
    """What was received, how, and by when it is answered (a request recorded by the operator: letter, phone, in
    person, an authorised agent)."""
    deadline = (f"{date_text(request.due_at)} (a request about a child's data is acted on at once)" if request.child
                else deadline_text(request.regime, request.due_at))
    return ("We received your privacy request", _signed(
        f"We received your request for {_TYPES.get(request.type.value, 'your data')} "
        f"{_CHANNELS.get(request.channel.value, 'from you')} on {date_text(request.received_at)}.\n"
        f"Reference: {request.request_id}\n"
        f"We will answer by {deadline} at the latest.\n\n"
        "If you did not make this request, reply to this message.\n", sender))


_TEMPLATES: dict[str, Callable[..., tuple[str, str]]] = {
    "confirmation": _confirmation,
    "export_ready": _export_ready, "extension": _extension,
    "receipt": _receipt, "digest": _digest, "receipt_update": _receipt_update, "processor_erasure": _processor_erasure,
}


def render(kind: str, **values: Any) -> tuple[str, str]:
    """(subject, text) of a mail."""
    return _TEMPLATES[kind](**values)
