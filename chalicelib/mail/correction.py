"""The mail that answers a correction request (GDPR Art. 16): which fields were corrected, and which are left to a
person, by their NAMES only (the subject knows the values they asked for; mail is not the place to repeat them).
Written in the request's language (`notice_texts`: the field labels and the task lines too)."""

from __future__ import annotations

from collections.abc import Sequence

from chalicelib.mail.notice_texts import EN, field_label, notice_texts
from chalicelib.mail.templates import Sender

LABELS = EN.labels

def _labels(names: Sequence[str], language: str) -> str:
    return ", ".join(field_label(name, language) for name in names)


def email_task(language: str = "en") -> str:
    """A change of the e-mail address: always left to a person."""
    return notice_texts(language).task_email


def store_task(outcome: str, fields: Sequence[str], language: str = "en") -> str:
    """The change the store did not take (`outcome` of the relay: no_customer, not_configured, rejected,
    unreachable), for the named fields."""
    return notice_texts(language).task_store[outcome].format(labels=_labels(fields, language))


def order_task(order: int, fields: Sequence[str], language: str = "en") -> str:
    """An order named in the request that cannot be corrected (anonymised, or not held with the subject's data)."""
    return notice_texts(language).task_order.format(order=order, labels=_labels(fields, language))


def correction_answer(*, request_id: str, corrected: list[str], left: list[str], sender: Sender,
                      language: str = "en") -> tuple[str, str]:
    """(subject, text) of the answer to a correction request (`left`: task lines already in the language)."""
    words = notice_texts(language)
    lines = [words.correction_intro.format(ref=request_id), ""]
    if corrected:
        lines.append(words.corrected_heading)
        lines += [f"  - {field_label(name, language)}" for name in corrected]
        lines.append("")
    if left:
        lines.append(words.left_heading)
        lines += [f"  - {item}" for item in left]
        lines.append("")
    if not left:
        lines.append(words.nothing_further)
    subject = words.corrected_subject if not left else words.correction_tasks_subject
    return subject, "\n".join(lines) + "\n" + sender.signature(language)
