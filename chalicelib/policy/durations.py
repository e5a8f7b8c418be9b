"""Durations as a store's policy writes them: "7 years", "6 months", "30 days", "24 hours", "session".

A month is 30.5 days rounded up per month count (6 months = 183 days, the ceiling a "6 months" promise gives), a
year 365 days (7 years = 2 555).  A bare number has no unit and is refused: "400" could be days or months.
"""

from __future__ import annotations

import math
import re

_UNIT_DAYS = {"day": 1.0, "week": 7.0, "month": 30.5, "year": 365.0}
_DURATION = re.compile(r"^\s*(\d{1,5})\s+(hour|day|week|month|year)s?\s*$")


class DurationError(ValueError):
    pass


def parse_days(text: object) -> int:
    """Whole days of a retention period ("24 hours" is 1 day; never 0)."""
    if not isinstance(text, str):
        raise DurationError("a duration is text with a unit, e.g. \"7 years\" or \"30 days\"")
    match = _DURATION.match(text)
    if not match:
        raise DurationError(f"{text!r} is not a duration with a unit (hours, days, weeks, months or years)")
    number, unit = int(match.group(1)), match.group(2)
    if number == 0:
        raise DurationError(f"{text!r}: a retention of zero keeps nothing; say what is kept and for how long")
    if unit == "hour":
        return max(1, math.ceil(number / 24))
    return math.ceil(number * _UNIT_DAYS[unit])


def cookie_seconds(text: object) -> int | None:
    """A cookie's lifetime in seconds; None for a session cookie."""
    if isinstance(text, str) and text.strip() == "session":
        return None
    if isinstance(text, str) and (match := _DURATION.match(text)) and match.group(2) == "hour":
        return int(match.group(1)) * 3600
    return parse_days(text) * 86_400
