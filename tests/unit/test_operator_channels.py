"""The pure parts of the operator channels (issue 13): operator-typed notes, the received date, the export's
"how" of each channel, the confirmation mail."""

from __future__ import annotations

import unicodedata
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.domain import privacy_requests as rules
from chalicelib.domain.privacy_requests import Channel, Regime, RequestType
from chalicelib.domain.retention import DAY
from chalicelib.errors import InvalidInputError
from chalicelib.mail import templates
from chalicelib.policy import ROOT, parse_policy
from chalicelib.services.export_information import _channels
from chalicelib.services.privacy_requests.operator_channels import MAX_NOTE, check_text, received_at

NOW = 1_795_435_200  # 2026-11-23T12:00:00Z
TODAY = datetime.fromtimestamp(NOW, tz=UTC).date()


@given(st.text(max_size=MAX_NOTE + 50))
def test_a_note_is_accepted_stripped_or_refused_with_the_field_named(text: str) -> None:
    try:
        kept = check_text(text, "evidence")
    except InvalidInputError as error:
        assert error.field == "evidence"
        return
    assert kept == text.strip() and kept and len(kept) <= MAX_NOTE
    assert not [ch for ch in kept if unicodedata.category(ch) in ("Cc", "Cs", "Co", "Cn") and ch not in "\n\t"]


@pytest.mark.parametrize("text", ["\x00x", "a\x1bb", "x\ud800", "\u200b" * 2000, "y" * (MAX_NOTE + 1), " \n\t "])
def test_hostile_notes_are_refused(text: str) -> None:
    with pytest.raises(InvalidInputError):
        check_text(text, "evidence")


@given(st.integers(min_value=-400, max_value=5))
def test_the_received_day_counts_from_its_start_today_from_now_never_from_the_future(days_ago: int) -> None:
    day = TODAY - timedelta(days=days_ago)
    if days_ago < 0 or days_ago > 365:
        with pytest.raises(InvalidInputError) as raised:
            received_at(day, now=NOW)
        assert raised.value.field == "received_at"
        return
    at = received_at(day, now=NOW)
    assert at == (NOW if days_ago == 0 else NOW - NOW % DAY - days_ago * DAY)
    assert received_at(None, now=NOW) == NOW and at <= NOW


def test_received_at_takes_a_date() -> None:
    assert received_at(date(2026, 11, 16), now=NOW) == NOW - NOW % DAY - 7 * DAY


def test_the_export_says_how_to_use_every_channel_a_policy_lists() -> None:
    text = (ROOT / "policies" / "jetcards.toml").read_text(encoding="utf-8").replace(
        'channels = ["account", "web", "email", "letter"]',
        'channels = ["account", "web", "email", "letter", "phone", "in_person", "agent"]', 1)
    how = {entry["channel"]: entry["how"] for entry in _channels(parse_policy(text, "<test>"))}
    assert list(how) == ["account", "web", "email", "letter", "phone", "in_person", "agent"]
    assert how["in_person"].startswith("in person at JETCLOUDSOLUTIONS") and "§ 7063" in how["agent"]


@pytest.mark.parametrize(("regime", "child", "expected"), [
    (Regime.GDPR, False, "(one month, GDPR Art. 12(3))"),
    (Regime.CCPA, False, "(45 days, CCPA, Cal. Civ. Code § 1798.130(a)(2))"),
    (Regime.STRICTEST, True, "26 November 2026 (a request about a child's data is acted on at once)"),
])
def test_the_confirmation_states_what_how_when_and_the_deadline_of_the_regime(regime: Regime, child: bool,
                                                                            expected: str) -> None:
    request = rules.new_request(request_id="r1", subject="s", request_type=RequestType.ACCESS, channel=Channel.PHONE,
                                regime=regime, received_at=NOW, needs_verification=False, child=child)
    subject, text = templates.render("confirmation", request=request,
                                     sender=templates.Sender(name="Store", privacy="privacy@store.example"))
    assert subject == "We received your privacy request"
    assert "a copy of your data by telephone on 23 November 2026" in text and "Reference: r1" in text
    assert expected in text and text.endswith("Privacy contact: privacy@store.example\n")
