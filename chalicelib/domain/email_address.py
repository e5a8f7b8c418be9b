"""One e-mail address type, used at every door (guest forms, the account token's `email` claim, inbound mail, the
webhooks' billing and payer addresses, outgoing mail).

An address is a single `local@domain` mailbox (RFC 5321 / 5322 addr-spec, as SMTP transports it):

- at most 64 octets before the `@`, at most 253 after it, at most 254 in all (RFC 5321 §4.5.3.1 and its erratum);
- no display name, no angle brackets, no list (`,` `;`), no comment, no quoted local part, no IP-literal domain;
- no control character, no format character (U+202E and the other bidi controls), no whitespace anywhere;
- a dot-atom local part (no leading, trailing or doubled dot) and a domain of at least two labels, each 1-63
  characters of letters, digits and inner hyphens (internationalised labels must encode to IDNA).

Written here, not taken from a library: `email.utils.parseaddr`/`getaddresses` accept display names, lists and
comments by design (they parse headers), and `email-validator` would add a dependency (and DNS look-ups) for the
syntactic check only.  The standard library's header API still builds every outgoing header
(`email.headerregistry.Address`).
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

MAX_LOCAL_OCTETS = 64
MAX_DOMAIN_OCTETS = 253
MAX_ADDRESS_OCTETS = 254

# atext of RFC 5322 §3.2.3 (plus any non-ASCII letter or digit, RFC 6531), dots handled separately.
_LOCAL_CHAR = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]")
_LABEL = re.compile(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$")


class InvalidEmailError(ValueError):
    """Not a single, well-formed e-mail address (the message never repeats the value)."""


def _forbidden_character(text: str) -> bool:
    for char in text:
        category = unicodedata.category(char)
        if category[0] in ("C", "Z"):  # Cc control, Cf format (bidi), Cs surrogate, Co/Cn, Zs/Zl/Zp spaces
            return True
    return False


def _local_ok(local: str) -> bool:
    if not local or local.startswith(".") or local.endswith(".") or ".." in local:
        return False
    return all(char == "." or _LOCAL_CHAR.match(char) or (ord(char) > 127 and char.isalnum()) for char in local)


def _domain_ok(domain: str) -> bool:
    labels = domain.split(".")
    if len(labels) < 2 or labels[-1].isdigit():
        return False
    for label in labels:
        ascii_label = label
        if not label.isascii():
            try:
                ascii_label = label.encode("idna").decode("ascii")
            except UnicodeError:
                return False
        if not _LABEL.match(ascii_label):
            return False
    return True


def parse_email(value: Any) -> str:
    """The address, without surrounding spaces; InvalidEmailError for anything else."""
    if not isinstance(value, str):
        raise InvalidEmailError("not an e-mail address")
    address = value.strip(" ")
    if _forbidden_character(address) or address.count("@") != 1:
        raise InvalidEmailError("not a single e-mail address")
    local, _, domain = address.partition("@")
    if (len(local.encode()) > MAX_LOCAL_OCTETS or len(domain.encode()) > MAX_DOMAIN_OCTETS
            or len(address.encode()) > MAX_ADDRESS_OCTETS):
        raise InvalidEmailError("e-mail address too long")
    if not _local_ok(local) or not _domain_ok(domain):
        raise InvalidEmailError("not a valid e-mail address")
    return address


def is_email(value: Any) -> bool:
    try:
        parse_email(value)
    except InvalidEmailError:
        return False
    return True
