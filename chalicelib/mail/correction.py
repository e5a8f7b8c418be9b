"""The mail that answers a correction request (GDPR Art. 16): which fields were corrected, and which are left to a
person, by their NAMES only (the subject knows the values they asked for; mail is not the place to repeat them)."""

from __future__ import annotations

from chalicelib.mail.templates import Sender

LABELS = {"first_name": "first name", "last_name": "last name", "email": "e-mail address", "company": "company",
          "address_1": "address line 1", "address_2": "address line 2", "city": "city", "postcode": "postcode",
          "state": "state or county", "country": "country", "phone": "phone"}


def field_label(name: str) -> str:
    """"billing.city" -> "billing address: city"."""
    group, _, part = name.rpartition(".")
    label = LABELS.get(part, part)
    return f"{group} address: {label}" if group else label


def correction_answer(*, request_id: str, corrected: list[str], left: list[str], sender: Sender) -> tuple[str, str]:
    """(subject, text) of the answer to a correction request."""
    lines = [f"We have handled your correction request {request_id}.", ""]
    if corrected:
        lines.append("Corrected:")
        lines += [f"  - {field_label(name)}" for name in corrected]
        lines.append("")
    if left:
        lines.append("Left to a member of our privacy team, who will complete them and tell you:")
        lines += [f"  - {item}" for item in left]
        lines.append("")
    if not left:
        lines.append("Nothing further is needed from you.")
    subject = "Your data has been corrected" if not left else "Your correction request: what is done, what follows"
    return subject, "\n".join(lines) + "\n" + sender.signature()
