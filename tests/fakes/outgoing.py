"""Fakes of the outgoing-effect ports that record what was sent or written (tests only)."""

from __future__ import annotations

from dataclasses import dataclass, field

from chalicelib.adapters.mailer import OutgoingMail
from chalicelib.errors import MailDeliveryError


@dataclass
class FakeMailer:
    """Records every mail; `refuse` makes the next that many sends fail as SES would (MailDeliveryError)."""

    sent: list[OutgoingMail] = field(default_factory=list)
    refuse: int = 0

    def send(self, mail: OutgoingMail) -> str:
        if self.refuse:
            self.refuse -= 1
            raise MailDeliveryError("mail not sent: Throttling")
        self.sent.append(mail)
        return f"fake-{len(self.sent)}"

    def to(self, address: str) -> list[OutgoingMail]:
        return [mail for mail in self.sent if mail.to == address]


class _Writer:
    def __init__(self, store: FakeExportsStore, key: str) -> None:
        self.store, self.key, self.parts = store, key, []  # type: ignore[var-annotated]
        self.aborted = False

    def write(self, text: str) -> None:
        self.parts.append(text.encode())

    def close(self) -> int:
        body = b"".join(self.parts)
        self.store.objects[self.key] = body
        return len(body)

    def abort(self) -> None:
        self.aborted = True


@dataclass
class FakeExportsStore:
    objects: dict[str, bytes] = field(default_factory=dict)
    deleted: list[tuple[str | None, str]] = field(default_factory=list)

    def writer(self, key: str, content_type: str) -> _Writer:
        return _Writer(self, key)

    def delete_prefix(self, prefix: str) -> int:
        keys = [key for key in self.objects if key.startswith(prefix)]
        for key in keys:
            del self.objects[key]
        return len(keys)

    def delete(self, key: str, *, bucket: str | None = None) -> None:
        self.deleted.append((bucket, key))
        self.objects.pop(key, None)

    def download_url(self, key: str, *, seconds: int) -> str:
        return f"https://exports.invalid/{key}?X-Amz-Expires={seconds}"
