"""Texts of the mails the data-subject-rights feature sends (plain text; no personal data beyond what the
recipient already knows).

No store is named here: mail is signed by the `Sender` the services build from the store's policy (the
controller's display name, its privacy contact and DPO), and every deadline is stated with the legal reference of
the request's regime (`deadline_text`).  A mail to a data subject is written in the language its request remembers
(`language`; the texts of each language in `notice_texts`); mail to processors and to the operator is English."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from chalicelib.domain.clock import iso
from chalicelib.domain.privacy_requests import Regime, days_left
from chalicelib.mail.notice_texts import NoticeTexts, day_in, moment_in, notice_texts
from chalicelib.mail.texts import Texts, date_in, language_for, retention_in, texts


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
    kept_days: int | None = None  # the same from its parts, written in each mail's language (kept_by_law_in)
    kept_basis: str | None = None  # the policy's legal basis, in the policy's own words

    def kept_by_law_in(self, language: str) -> str | None:
        """What the law obliges the store to keep, in `language` (the legal basis stays in the policy's words)."""
        if self.kept_days is None or self.kept_basis is None:
            return self.kept_by_law
        return texts(language).kept_records.format(period=retention_in(language, self.kept_days),
                                                   basis=self.kept_basis)

    def signature(self, language: str = "en") -> str:
        return self.signed_in(texts(language))

    def signed_in(self, words: Texts) -> str:
        """The signature's lines in the language of `words`: the team, the privacy contact, the DPO if any."""
        lines = ["", "-- ", words.team.format(name=self.name) + (f", {self.site}" if self.site else ""),
                 words.contact.format(privacy=self.privacy)]
        if self.dpo:
            lines.append(words.dpo.format(dpo=self.dpo))
        return "\n".join(lines) + "\n"

    def language(self, wanted: str | None) -> str:
        """The language mail to a subject is written in: `wanted` when the store answers in it, else its default."""
        return language_for(wanted, self.languages)


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


def _signed(text: str, sender: Sender | None, language: str = "en") -> str:
    return text + sender.signature(language) if sender else text


def _deadline(words: NoticeTexts, language: str, regime: Regime, due_at: int, *, extended: bool = False) -> str:
    """A deadline in the mail's language: the date and the regime's period with its legal reference."""
    period = words.extended_periods[regime] if extended else texts(language).periods[regime]
    return words.deadline.format(date=date_in(language, due_at), period=period)


def _export_ready(*, request: Any, download_url: str, sender: Sender | None = None, language: str = "en",
                  **_: Any) -> tuple[str, str]:
    words = notice_texts(language)
    until = moment_in(language, request.result["export"]["expires_at"])
    return words.export_subject, _signed(words.export_ready.format(ref=request.request_id, until=until,
                                                                   url=download_url), sender, language)


def _extension(*, request: Any, sender: Sender | None = None, language: str = "en", **_: Any) -> tuple[str, str]:
    words = notice_texts(language)
    deadline = _deadline(words, language, request.regime, request.due_at, extended=True)
    return words.extension_subject, _signed(words.extension.format(
        ref=request.request_id, reason=request.extension_reason, deadline=deadline), sender, language)


def _receipt(*, receipt: dict[str, Any], request_id: str, language: str = "en", **_: Any) -> tuple[str, str]:
    words = notice_texts(language)
    lines = [words.receipt_intro.format(ref=request_id), "", words.deleted_heading]
    for kind, number in sorted(receipt.get("deleted", {}).items()):
        lines.append(words.deleted_line.format(count=number, kind=_kind(words, kind)))
    if receipt.get("exports_deleted"):
        lines.append(words.exports_line.format(count=receipt["exports_deleted"]))
    lines += ["", words.kept_heading]
    kept = receipt.get("kept", {})
    if not kept:
        lines.append(words.kept_nothing)
    for kind, info in sorted(kept.items()):
        lines.append(words.kept_line.format(count=info["count"], kind=_kind(words, kind),
                                            until=day_in(language, int(info["until"])), why=info["why"]))
    lines += ["", words.key_destroyed, "", words.processors_heading]
    lines += _processor_lines(receipt.get("processors", []), words)
    lines += ["", words.write_again
              if any(p["status"] not in _FINAL for p in receipt.get("processors", [])) else ""]
    return words.receipt_subject, "\n".join(lines).rstrip() + "\n"


def _kind(words: NoticeTexts, kind: str) -> str:
    return words.record_kinds.get(kind, kind)


_FINAL = ("acknowledged", "failed")


def _processor_lines(processors: list[dict[str, Any]], words: NoticeTexts) -> list[str]:
    if not processors:
        return [words.processors_none]
    lines = []
    for processor in processors:
        role = words.roles.get(str(processor["role"]), str(processor["role"]).replace("_", " "))
        state = words.states.get(str(processor["status"]), str(processor["status"]))
        lines.append(words.processor_line.format(name=processor["name"], role=role, state=state))
    return lines


def _receipt_update(*, request_id: str, processors: list[dict[str, Any]], language: str = "en",
                    **_: Any) -> tuple[str, str]:
    words = notice_texts(language)
    lines = [words.update_intro.format(ref=request_id), ""]
    lines += _processor_lines(processors, words)
    lines += ["", words.update_outro]
    return words.update_subject, "\n".join(lines) + "\n"


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


def _confirmation(*, request: Any, sender: Sender | None = None, language: str = "en", **_: Any) -> tuple[str, str]:
    """What was received, how, and by when it is answered (a request recorded by the operator: letter, phone, in
    person, an authorised agent)."""
    words = notice_texts(language)
    deadline = (words.child_deadline.format(date=date_in(language, request.due_at)) if request.child
                else _deadline(words, language, request.regime, request.due_at))
    return words.confirmation_subject, _signed(words.confirmation.format(
        what=words.types.get(request.type.value, words.any_type),
        how=words.channels.get(request.channel.value, words.any_channel),
        received=date_in(language, request.received_at), ref=request.request_id, deadline=deadline),
        sender, language)


_TEMPLATES: dict[str, Callable[..., tuple[str, str]]] = {
    "confirmation": _confirmation,
    "export_ready": _export_ready, "extension": _extension,
    "receipt": _receipt, "digest": _digest, "receipt_update": _receipt_update, "processor_erasure": _processor_erasure,
}


def render(kind: str, **values: Any) -> tuple[str, str]:
    """(subject, text) of a mail; a mail to a data subject in `language` (notice_texts; English by default), the
    mails to processors and to the operator in English."""
    return _TEMPLATES[kind](**values)
