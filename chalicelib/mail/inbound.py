"""Inbound MIME parsing with the standard library's `email` package.

`parse_message(raw)` gives a `ParsedMail`: the sender (header From), subject, threading headers, the headers that
mark automatic mail, and the body as plain text (multipart, quoted-printable, base64, any charset the codecs know,
HTML-only bodies converted to text).  `envelope_from_raw(...)` recovers the SES receipt (message id, verdicts) from
the headers SES prepends to the stored MIME, for messages whose notification was lost.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage, Message
from email.utils import getaddresses, parsedate_to_datetime
from html.parser import HTMLParser

from chalicelib.domain.email_address import is_email, parse_email

MAX_BODY_CHARS = 20_000
MAX_SUBJECT_CHARS = 200

_AUTH_RESULT = re.compile(r"\b(spf|dkim|dmarc)=([a-z]+)", re.IGNORECASE)
_SES_SMTP_ID = re.compile(r"with SMTP id ([A-Za-z0-9]+)")
_WS = re.compile(r"\s+")
_AUTOMATED_SENDERS = ("mailer-daemon", "postmaster", "noreply", "no-reply", "donotreply", "do-not-reply", "bounce")


@dataclass(frozen=True)
class Verdicts:
    spam: str = "PASS"
    virus: str = "PASS"
    spf: str = "PASS"
    dkim: str = "PASS"
    dmarc: str = "PASS"

    @property
    def quarantine(self) -> bool:
        """Spam or virus FAIL: never answered."""
        return self.spam.upper() == "FAIL" or self.virus.upper() == "FAIL"

    @property
    def authenticated(self) -> bool:
        """SPF, DKIM and DMARC all passed (otherwise a request always needs link verification)."""
        return all(v.upper() == "PASS" for v in (self.spf, self.dkim, self.dmarc))


@dataclass(frozen=True)
class Envelope:
    """What SES tells about a received message, independent of how we learned it (notification or stored MIME)."""

    message_id: str
    received_at: int
    source: str | None  # the envelope sender (MAIL FROM); "" or "<>" for the null sender; None when unknown
    verdicts: Verdicts
    bucket: str | None = None
    key: str | None = None


@dataclass(frozen=True)
class ParsedMail:
    from_address: str
    from_name: str
    subject: str
    message_id: str
    references: list[str]
    body: str
    return_path: str | None
    auto_submitted: str
    precedence: str
    list_id: bool
    report: bool  # multipart/report (delivery status notification)
    autoreply_headers: bool
    loop_markers: list[str] = field(default_factory=list)

    @property
    def sender_domain(self) -> str:
        return self.from_address.rpartition("@")[2]


def parse_message(raw: bytes) -> ParsedMail:
    message = message_from_bytes(raw, policy=policy.default)
    from_name, from_address = _first_address(message, "From")
    _, return_path = _first_address(message, "Return-Path")
    raw_return_path = _header(message, "Return-Path")
    references = _message_ids(_header(message, "References")) + _message_ids(_header(message, "In-Reply-To"))
    return ParsedMail(
        from_address=from_address,
        from_name=from_name,
        subject=clean_line(_header(message, "Subject"))[:MAX_SUBJECT_CHARS],
        message_id=_first_message_id(_header(message, "Message-ID")),
        references=list(dict.fromkeys(references)),
        body=extract_text(message)[:MAX_BODY_CHARS],
        return_path=None if not raw_return_path.strip() else ("" if raw_return_path.strip() == "<>" else return_path),
        auto_submitted=_header(message, "Auto-Submitted").strip().lower(),
        precedence=_header(message, "Precedence").strip().lower(),
        list_id=bool(_header(message, "List-Id") or _header(message, "List-Unsubscribe")),
        report=message.get_content_type() == "multipart/report",
        autoreply_headers=any(_header(message, name) for name in ("X-Autoreply", "X-Autorespond",
                                                                  "X-Auto-Response-Suppress")),
        loop_markers=[clean_line(v).lower() for v in message.get_all("X-Loop", [])],
    )


def automated_reason(mail: ParsedMail, envelope_source: str | None) -> str | None:
    """Why a message must never be answered (auto-reply, bounce, list mail), or None."""
    if mail.auto_submitted and mail.auto_submitted != "no":
        return "auto_submitted"
    if mail.precedence in ("bulk", "junk", "list"):
        return "precedence"
    if mail.list_id:
        return "list"
    if mail.report:
        return "bounce"
    if mail.autoreply_headers:
        return "auto_reply"
    if mail.return_path == "" or (envelope_source is not None and envelope_source.strip() in ("", "<>")):
        return "null_sender"
    if not mail.from_address:
        return "no_sender"
    local = mail.from_address.partition("@")[0].lower()
    if any(local.startswith(prefix) for prefix in _AUTOMATED_SENDERS):
        return "automated_sender"
    return None


# -- bodies -------------------------------------------------------------------------------------------------------
def extract_text(message: Message) -> str:
    """The message's text: the preferred text/plain part, else text/html converted to text."""
    body: Message | None = None
    if isinstance(message, EmailMessage):
        body = message.get_body(preferencelist=("plain", "html"))
    if body is None:
        body = _first_text_part(message)
    if body is None:
        return ""
    text = decode_part(body)
    if body.get_content_subtype() == "html":
        text = html_to_text(text)
    return normalise_text(text)


def _first_text_part(message: Message) -> Message | None:
    for part in message.walk():
        if part.get_content_maintype() == "text" and not part.is_attachment():  # type: ignore[attr-defined]
            return part
    return None


def decode_part(part: Message) -> str:
    """Decode a text part's payload by its declared charset, falling back gracefully on unknown or wrong ones."""
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return str(part.get_payload() or "")
    charset = (part.get_content_charset() or "us-ascii").strip().strip('"').lower()
    try:
        codecs.lookup(charset)
    except LookupError:
        charset = "utf-8"
    if charset in ("us-ascii", "ascii", "iso-8859-1", "latin-1", "latin1"):
        # Mislabelled mail is common: try UTF-8 first, then Windows-1252 (a superset of Latin-1's printables).
        try:
            return payload.decode("utf-8")
        except UnicodeDecodeError:
            return payload.decode("cp1252", errors="replace")
    try:
        return payload.decode(charset)
    except UnicodeDecodeError:
        return payload.decode(charset, errors="replace")


class _TextExtractor(HTMLParser):
    _SKIP = frozenset({"script", "style", "head", "title"})
    _BREAK = frozenset({"br", "p", "div", "li", "tr", "h1", "h2", "h3", "h4", "blockquote", "table"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._SKIP:
            self._skipping += 1
        elif tag in self._BREAK:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._SKIP and self._skipping:
            self._skipping -= 1
        elif tag in self._BREAK:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    parser = _TextExtractor()
    parser.feed(html)
    parser.close()
    return "".join(parser.parts)


def normalise_text(text: str) -> str:
    lines = [_WS.sub(" ", line).strip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    collapsed: list[str] = []
    for line in lines:
        if line or (collapsed and collapsed[-1]):
            collapsed.append(line)
    return "\n".join(collapsed).strip()


def clean_line(value: str) -> str:
    """A header value as one safe line (no CR/LF: header injection), whitespace collapsed."""
    return _WS.sub(" ", value.replace("\r", " ").replace("\n", " ")).strip()


# -- headers ------------------------------------------------------------------------------------------------------
def _header(message: Message, name: str) -> str:
    try:
        value = message.get(name)
    except (ValueError, IndexError, TypeError):  # malformed header the policy cannot parse
        value = None
    return str(value) if value is not None else ""


def _first_address(message: Message, name: str) -> tuple[str, str]:
    value = _header(message, name)
    if not value:
        return "", ""
    for display, address in getaddresses([value]):
        if is_email(address):
            return clean_line(display), parse_email(address).lower()
    return "", ""


def _message_ids(value: str) -> list[str]:
    return re.findall(r"<[^<>\s]+>", value)


def _first_message_id(value: str) -> str:
    found = _message_ids(value)
    return found[0] if found else ""


# -- SES receipt from the stored MIME ---------------------------------------------------------------------------
def envelope_from_raw(raw: bytes, *, key: str, bucket: str, stored_at: int) -> Envelope:
    """Rebuild the receipt of a stored message: SES prepends its verdict headers, and names the object after the
    message id.  The first (topmost) occurrence of each header is SES's own; anything lower could be forged."""
    message = message_from_bytes(raw, policy=policy.compat32, _class=Message)
    message_id = key.rsplit("/", 1)[-1]
    auth = {name.lower(): result.upper() for name, result in _AUTH_RESULT.findall(
        str(message.get("Authentication-Results", "")))}
    verdicts = Verdicts(
        spam=str(message.get("X-SES-Spam-Verdict", "PROCESSING_FAILED")).strip().upper(),
        virus=str(message.get("X-SES-Virus-Verdict", "PROCESSING_FAILED")).strip().upper(),
        spf=_auth_status(auth.get("spf")),
        dkim=_auth_status(auth.get("dkim")),
        dmarc=_auth_status(auth.get("dmarc")),
    )
    received_at = stored_at
    received = str(message.get("Received", ""))
    if ";" in received:
        try:
            received_at = int(parsedate_to_datetime(received.rsplit(";", 1)[1].strip()).timestamp())
        except (TypeError, ValueError, IndexError):
            received_at = stored_at
    return_path = message.get("Return-Path")
    source = None if return_path is None else str(return_path).strip().strip("<>")
    return Envelope(message_id, received_at, source, verdicts, bucket, key)


def _auth_status(result: str | None) -> str:
    if result is None:
        return "GRAY"
    return {"PASS": "PASS", "FAIL": "FAIL", "SOFTFAIL": "FAIL", "NONE": "GRAY"}.get(result, "GRAY")
