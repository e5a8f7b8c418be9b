"""Pure rules of privacy requests: regimes, deadlines, extensions and every state transition."""

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.domain import privacy_requests as rules
from chalicelib.domain.privacy_requests import Channel, Regime, RequestType, Status

DAY = 86_400


def epoch(text: str) -> int:
    return int(datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp())


def request(status: Status = Status.PENDING, regime: Regime = Regime.GDPR, received: str = "2026-01-31T10:00:00",
            **changes: object) -> rules.PrivacyRequest:
    base = rules.new_request(request_id="r1", subject="s1", request_type=RequestType.ACCESS, channel=Channel.WEB,
                             regime=regime, received_at=epoch(received), needs_verification=False)
    from dataclasses import replace

    return replace(base, status=status, **changes)


@pytest.mark.parametrize(("country", "state", "expected"), [
    ("DE", "", Regime.GDPR), ("ee", None, Regime.GDPR), ("NO", None, Regime.GDPR), ("GB", None, Regime.UK_GDPR),
    ("US", "CA", Regime.CCPA), ("US", "California", Regime.CCPA), ("US", "NY", Regime.STRICTEST),
    ("CH", None, Regime.STRICTEST), (None, None, Regime.STRICTEST), ("", "CA", Regime.STRICTEST),
])
def test_regime_from_billing_address(country: str | None, state: str | None, expected: Regime) -> None:
    assert rules.regime_for(country, state) is expected


def test_gdpr_one_calendar_month_clamped_to_month_end() -> None:
    assert rules.due_at(Regime.GDPR, epoch("2026-01-31T10:00:00")) == epoch("2026-02-28T10:00:00")
    assert rules.due_at(Regime.GDPR, epoch("2028-01-31T10:00:00")) == epoch("2028-02-29T10:00:00")
    assert rules.due_at(Regime.GDPR, epoch("2026-11-23T12:00:00")) == epoch("2026-12-23T12:00:00")
    assert rules.due_at(Regime.GDPR, epoch("2026-12-15T00:00:00")) == epoch("2027-01-15T00:00:00")


def test_gdpr_extension_is_two_further_months() -> None:
    assert rules.due_at(Regime.GDPR, epoch("2026-11-30T12:00:00"), extended=True) == epoch("2027-02-28T12:00:00")


def test_ccpa_45_days_and_45_more() -> None:
    received = epoch("2026-11-23T12:00:00")
    assert rules.due_at(Regime.CCPA, received) == received + 45 * DAY
    assert rules.due_at(Regime.CCPA, received, extended=True) == received + 90 * DAY


def test_strictest_takes_the_earlier_deadline_of_both() -> None:
    received = epoch("2026-11-23T12:00:00")
    assert rules.due_at(Regime.STRICTEST, received) == epoch("2026-12-23T12:00:00")  # a month < 45 days
    assert rules.due_at(Regime.STRICTEST, received, extended=True) == received + 90 * DAY  # 90 days < 3 months


@given(st.integers(min_value=946_684_800, max_value=4_102_444_800), st.sampled_from(list(Regime)))
def test_deadlines_are_never_earlier_than_28_days_nor_later_than_the_law(received: int, regime: Regime) -> None:
    due = rules.due_at(regime, received)
    extended = rules.due_at(regime, received, extended=True)
    assert received + 28 * DAY <= due <= received + 45 * DAY
    assert due < extended <= received + 92 * DAY


def test_new_request_states_and_due_date() -> None:
    unverified = rules.new_request(request_id="r", subject="s", request_type=RequestType.DELETION,
                                   channel=Channel.WEB, regime=Regime.CCPA, received_at=1000,
                                   needs_verification=True)
    assert unverified.status is Status.UNVERIFIED and unverified.verified_at is None
    assert unverified.due_at == 1000 + 45 * DAY
    verified = rules.new_request(request_id="r", subject="s", request_type=RequestType.ACCESS,
                                 channel=Channel.ACCOUNT, regime=Regime.GDPR, received_at=1000,
                                 needs_verification=False)
    assert verified.status is Status.PENDING and verified.verified_at == 1000


ALLOWED = [(a, b) for a, targets in rules.TRANSITIONS.items() for b in sorted(targets)]  # the same order everywhere
FORBIDDEN = [(a, b) for a in Status for b in Status if b not in rules.TRANSITIONS[a]]


@pytest.mark.parametrize(("start", "to"), ALLOWED)
def test_every_allowed_transition_is_recorded(start: Status, to: Status) -> None:
    before = request(start)
    at = before.received_at + 8 * DAY
    after, entry = rules.transition(before, to, at=at, actor="operator:x", reason="because",
                                    execute_after=at + DAY if to is Status.SCHEDULED else None)
    assert after.status is to and after.updated_at == at
    assert (entry.from_status, entry.to_status, entry.actor, entry.reason, entry.at) == (
        start.value, to.value, "operator:x", "because", at)
    assert (after.closed_at == at) == (to in rules.TERMINAL)


@pytest.mark.parametrize(("start", "to"), FORBIDDEN)
def test_every_other_transition_is_refused(start: Status, to: Status) -> None:
    with pytest.raises(rules.InvalidTransitionError):
        rules.transition(request(start), to, at=request(start).received_at + 8 * DAY, actor="a", reason="r",
                         execute_after=1)


def test_terminal_states_have_no_way_out() -> None:
    assert all(not rules.TRANSITIONS[status] for status in rules.TERMINAL)


def test_unverified_expires_only_after_seven_days() -> None:
    before = request(Status.UNVERIFIED)
    with pytest.raises(rules.InvalidTransitionError):
        rules.transition(before, Status.EXPIRED, at=before.received_at + 7 * DAY - 1, actor="s", reason="r")
    after, _ = rules.transition(before, Status.EXPIRED, at=before.received_at + 7 * DAY, actor="s", reason="r")
    assert after.status is Status.EXPIRED


def test_verification_sets_verified_at() -> None:
    before = request(Status.UNVERIFIED)
    after, _ = rules.transition(before, Status.PENDING, at=before.received_at + 60, actor="s", reason="r")
    assert after.verified_at == before.received_at + 60


def test_scheduling_requires_execute_after() -> None:
    with pytest.raises(rules.InvalidTransitionError):
        rules.transition(request(Status.PENDING), Status.SCHEDULED, at=1, actor="s", reason="r")


@pytest.mark.parametrize(("regime", "expected_days"), [(Regime.CCPA, 90), (Regime.STRICTEST, 90)])
def test_extension_once_with_reason(regime: Regime, expected_days: int) -> None:
    before = request(regime=regime, received="2026-11-23T12:00:00")
    after, entry = rules.extend(before, reason=" complex request ", at=before.received_at + DAY, actor="op")
    assert after.extended and after.extension_reason == "complex request"
    assert after.due_at == before.received_at + expected_days * DAY
    assert not after.extension_notice_sent
    assert entry.details == {"previous_due_at": before.due_at, "due_at": after.due_at}
    with pytest.raises(rules.ExtensionError):
        rules.extend(after, reason="again", at=after.received_at + 2 * DAY, actor="op")


def test_gdpr_extension_moves_due_to_three_months() -> None:
    before = request(regime=Regime.GDPR, received="2026-11-23T12:00:00")
    after, _ = rules.extend(before, reason="many requests", at=before.received_at, actor="op")
    assert after.due_at == epoch("2027-02-23T12:00:00")


@pytest.mark.parametrize("status", sorted(rules.TERMINAL))
def test_closed_requests_cannot_be_extended(status: Status) -> None:
    with pytest.raises(rules.ExtensionError):
        rules.extend(request(status), reason="x", at=1, actor="op")


def test_extension_needs_a_reason() -> None:
    with pytest.raises(rules.ExtensionError):
        rules.extend(request(), reason="  ", at=1, actor="op")


def test_days_left_and_overdue() -> None:
    open_request = request()
    assert rules.days_left(open_request.due_at, open_request.due_at - 3 * DAY) == 3
    assert rules.days_left(open_request.due_at, open_request.due_at + 1) == -1
    assert open_request.overdue(open_request.due_at + 1) and not open_request.overdue(open_request.due_at)
    assert not request(Status.COMPLETED).overdue(open_request.due_at + DAY)


def test_stored_form_round_trips() -> None:
    original = request(extended=True, extension_reason="why", result={"export": {"records": 3}},
                       sealed={"email": "v1.x"})
    data = original.to_data()
    assert "email" not in str(data)
    again = rules.PrivacyRequest.from_data("s1", data, version=original.version, sealed={"email": "v1.x"})
    assert again == original


@pytest.mark.parametrize(("country", "state", "served", "otherwise", "expected"), [
    ("DE", None, ("gdpr", "uk_gdpr"), "strictest", Regime.GDPR),
    ("GB", None, ("gdpr", "uk_gdpr"), "strictest", Regime.UK_GDPR),
    ("GB", None, ("gdpr",), "strictest", Regime.STRICTEST),  # UK GDPR not served: the otherwise
    ("US", "CA", ("gdpr", "uk_gdpr"), "strictest", Regime.STRICTEST),
    ("US", "CA", ("gdpr", "uk_gdpr", "ccpa"), "strictest", Regime.CCPA),
    ("BR", None, ("gdpr", "ccpa"), "gdpr", Regime.GDPR),
    (None, None, ("gdpr", "ccpa"), "ccpa", Regime.CCPA),
])
def test_regime_only_among_those_the_store_serves(country: str | None, state: str | None, served: tuple[str, ...],
                                                  otherwise: str, expected: Regime) -> None:
    assert rules.regime_for(country, state, served=served, otherwise=otherwise) is expected


def test_uk_gdpr_has_the_deadlines_of_the_gdpr() -> None:
    received = epoch("2026-01-31T10:00:00")
    for extended in (False, True):
        assert (rules.due_at(Regime.UK_GDPR, received, extended=extended)
                == rules.due_at(Regime.GDPR, received, extended=extended))


def test_request_types_offered_follow_the_rights_offered() -> None:
    assert rules.offered_types(["access", "rectification", "erasure", "marketing_objection", "restriction",
                                "objection"]) == tuple(RequestType)
    assert rules.offered_types(["know", "delete", "opt_out"]) == (RequestType.ACCESS, RequestType.DELETION,
                                                                  RequestType.OPT_OUT)
    assert rules.offered_types(["portability", "objection", "complaint"]) == (RequestType.ACCESS,
                                                                              RequestType.OBJECTION)
    assert rules.offered_types(["complaint", "restriction"]) == (RequestType.RESTRICTION,)
    assert rules.offered_types(["complaint", "non_discrimination"]) == ()


def test_request_keeps_its_policy_version_and_old_items_read_without_one() -> None:
    made = rules.new_request(request_id="r", subject="s", request_type=RequestType.ACCESS, channel=Channel.WEB,
                             regime=Regime.UK_GDPR, received_at=1000, needs_verification=True,
                             policy_version="2026-05")
    data = made.to_data()
    assert data["policy_version"] == "2026-05" and data["regime"] == "uk_gdpr"
    assert rules.PrivacyRequest.from_data("s", data, version=0, sealed={}).policy_version == "2026-05"
    assert rules.created_entry(made, actor="a").details["policy_version"] == "2026-05"
    old = {key: value for key, value in data.items() if key != "policy_version"}
    for regime in ("gdpr", "ccpa", "strictest"):  # what items stored before UK GDPR and policy versions hold
        again = rules.PrivacyRequest.from_data("s", {**old, "regime": regime}, version=0, sealed={})
        assert again.policy_version is None and again.regime.value == regime


def test_a_request_about_a_childs_data_is_due_within_three_days_and_keeps_its_flag() -> None:
    received = 1_767_225_600
    made = rules.new_request(request_id="c1", subject="s", request_type=RequestType.DELETION,
                             channel=rules.Channel.EMAIL, regime=Regime.GDPR, received_at=received,
                             needs_verification=False, child=True, params={"guardian": "parent"})
    assert made.due_at == received + rules.CHILD_DEADLINE
    back = rules.PrivacyRequest.from_data("s", made.to_data(), version=1, sealed={})
    assert back.child is True and back.params == {"guardian": "parent"} and back.due_at == made.due_at
    adult = rules.new_request(request_id="a1", subject="s", request_type=RequestType.DELETION,
                              channel=rules.Channel.EMAIL, regime=Regime.GDPR, received_at=received,
                              needs_verification=False)
    assert adult.due_at == rules.due_at(Regime.GDPR, received) and adult.child is False


def test_every_right_a_policy_may_offer_has_a_flow_or_needs_none() -> None:
    from typing import get_args

    from chalicelib.policy.model import Right

    for right in get_args(Right):
        kind = rules.request_type_for(right)
        assert (kind is None) != (right not in rules.INFORMATIONAL_RIGHTS), right
    assert rules.request_type_for("restriction") is RequestType.RESTRICTION
    assert rules.request_type_for("objection") is RequestType.OBJECTION
    assert rules.request_type_for("marketing_objection") is RequestType.OPT_OUT
