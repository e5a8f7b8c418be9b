"""Pure consent rules: actions, GPC, Google Consent Mode v2, re-consent, proof context."""

import pytest

from chalicelib.domain.consent import (
    SIGNALS,
    Choices,
    ChoicesError,
    ChoicesMismatchError,
    ConsentScheme,
    ProofContext,
    apply_signals,
    choices_for_action,
    holder_for_account,
    holder_for_visitor,
    ip_prefix,
    reconsent_after,
    reconsent_reason,
    user_agent_family,
    viewer_country,
    viewer_ip,
)
from chalicelib.domain.retention import DAY
from chalicelib.services.record_consent import consent_scheme
from tests.helpers import POLICIES, store_policy

NOW = 1_795_435_200
SCHEME = consent_scheme(store_policy("jetcards"))  # preferences, analytics, marketing
ALL = SCHEME.all(True)
NONE = SCHEME.all(False)


def C(preferences: bool, analytics: bool, marketing: bool) -> Choices:
    return Choices(preferences=preferences, analytics=analytics, marketing=marketing)


def consent_mode(choices: Choices) -> dict[str, str]:
    return dict(SCHEME.consent_mode(choices))


# -- actions ------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("action", "expected"), [("accept_all", ALL), ("reject_all", NONE), ("withdraw", NONE)])
def test_fixed_actions_imply_their_choices(action: str, expected: Choices) -> None:
    assert choices_for_action(action, None, SCHEME) == expected  # type: ignore[arg-type]
    assert choices_for_action(action, expected, SCHEME) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize(("action", "asked"), [("accept_all", C(True, False, True)),
                                               ("reject_all", C(False, True, False)),
                                               ("withdraw", C(False, False, True))])
def test_choices_contradicting_the_action_are_refused(action: str, asked: Choices) -> None:
    with pytest.raises(ChoicesMismatchError):
        choices_for_action(action, asked, SCHEME)  # type: ignore[arg-type]


def test_custom_needs_choices_and_keeps_them() -> None:
    with pytest.raises(ChoicesMismatchError):
        choices_for_action("custom", None, SCHEME)
    assert choices_for_action("custom", C(True, False, True), SCHEME) == C(True, False, True)


def test_essential_is_always_on() -> None:
    assert NONE.as_dict()["essential"] is True


# -- GPC ------------------------------------------------------------------------------------------------------------
def test_gpc_forces_marketing_off_and_says_why() -> None:
    effective = apply_signals(ALL, gpc=True, scheme=SCHEME)
    assert effective.choices == C(True, True, False)
    assert effective.overrides == {"marketing": "gpc"}


def test_gpc_without_marketing_asked_changes_nothing() -> None:
    assert apply_signals(C(True, True, False), gpc=True, scheme=SCHEME).overrides == {}


def test_without_gpc_the_choices_stand() -> None:
    effective = apply_signals(ALL, gpc=False, scheme=SCHEME)
    assert effective.choices == ALL and effective.overrides == {}


# -- Consent Mode v2 --------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("choices", "expected"),
    [
        (ALL, {"ad_storage": "granted", "analytics_storage": "granted", "ad_user_data": "granted",
               "ad_personalization": "granted"}),
        (NONE, {"ad_storage": "denied", "analytics_storage": "denied", "ad_user_data": "denied",
                "ad_personalization": "denied"}),
        (C(True, True, False), {"ad_storage": "denied", "analytics_storage": "granted",
                                "ad_user_data": "denied", "ad_personalization": "denied"}),
        (C(False, False, True), {"ad_storage": "granted", "analytics_storage": "denied",
                                 "ad_user_data": "granted", "ad_personalization": "granted"}),
    ],
)
def test_consent_mode_v2_mapping(choices: Choices, expected: dict[str, str]) -> None:
    signals = consent_mode(choices)
    assert {k: v for k, v in signals.items() if k in expected} == expected
    preferences = "granted" if choices.granted("preferences") else "denied"
    assert signals["functionality_storage"] == signals["personalization_storage"] == preferences
    assert signals["security_storage"] == "granted"  # essential's: always
    assert list(signals) == list(SIGNALS)


def test_a_signal_no_category_lists_is_denied() -> None:
    scheme = ConsentScheme(("analytics",), (("analytics_storage", "analytics"),))
    signals = scheme.consent_mode(Choices(analytics=True))
    assert signals["analytics_storage"] == "granted"
    assert {v for k, v in signals.items() if k != "analytics_storage"} == {"denied"}


# -- the store's categories -------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("name", "categories"), [("jetcards", ("preferences", "analytics", "marketing")),
                                                  ("jetkrate", ("preferences", "analytics", "marketing", "support")),
                                                  ("jetrack", ("preferences",))])
def test_the_optional_categories_are_the_policys_but_essential(name: str, categories: tuple[str, ...]) -> None:
    scheme = consent_scheme(store_policy(name))
    assert scheme.categories == categories
    assert scheme.all(True).as_dict() == {"essential": True, **dict.fromkeys(categories, True)}


@pytest.mark.parametrize("name", POLICIES)
def test_each_signal_follows_the_category_the_policy_lists_it_under(name: str) -> None:
    policy = store_policy(name)
    scheme = consent_scheme(policy)
    listed = {signal: category for category, section in policy.cookies.items() for signal in section.consent_mode}
    for category in scheme.categories:
        signals = scheme.consent_mode(Choices({**scheme.all(False), category: True}))
        assert {s for s, grant in signals.items() if grant == "granted"} == {
            s for s, c in listed.items() if c in (category, "essential")}
    assert scheme.defaults() == {s: ("granted" if s == "security_storage" else "denied") for s in SIGNALS}


@pytest.mark.parametrize(("name", "gpc_off"), [("jetcards", {"marketing"}), ("jetkrate", {"marketing"}),
                                               ("jetrack", set())])
def test_gpc_turns_off_marketing_and_advertising_categories(name: str, gpc_off: set[str]) -> None:
    scheme = consent_scheme(store_policy(name))
    assert scheme.gpc_off == gpc_off
    effective = apply_signals(scheme.all(True), gpc=True, scheme=scheme)
    assert effective.overrides == dict.fromkeys(gpc_off, "gpc")
    assert {c for c in scheme.categories if not effective.choices.granted(c)} == gpc_off


def test_a_category_gating_an_advertising_recipient_is_turned_off_by_gpc() -> None:
    policy = store_policy("jetkrate")
    botpress = policy.recipients["botpress"].model_copy(update={"kind": "advertising"})
    changed = policy.model_copy(update={"recipients": {**policy.recipients, "botpress": botpress}})
    assert consent_scheme(changed).gpc_off == {"marketing", "support"}


@pytest.mark.parametrize(("asked", "place"), [
    ({"preferences": True, "analytics": True}, "choices.marketing"),
    ({"preferences": True, "analytics": True, "marketing": True, "support": True}, "choices.support"),
    ({"preferences": True, "analytics": True, "marketing": "yes"}, "choices.marketing"),
    ({"essential": False, "preferences": True, "analytics": True, "marketing": True}, "choices.essential"),
    ({"Not A Name": True, "preferences": True, "analytics": True, "marketing": True}, "choices"),
])
def test_choices_name_exactly_the_stores_categories(asked: dict[str, object], place: str) -> None:
    with pytest.raises(ChoicesError) as error:
        choices_for_action("custom", asked, SCHEME)
    assert error.value.field == place


def test_choices_are_an_immutable_mapping() -> None:
    choices = C(True, False, True)
    assert dict(choices) == {"preferences": True, "analytics": False, "marketing": True}
    assert choices == C(True, False, True) and hash(choices) == hash(C(True, False, True))
    with pytest.raises(TypeError):
        choices["analytics"] = True  # type: ignore[index]
    with pytest.raises(ValueError, match="essential"):
        Choices(essential=False)
    assert Choices.from_dict({"essential": True, "analytics": True}) == Choices(analytics=True)


# -- re-consent -------------------------------------------------------------------------------------------------------
RULES = {"current_policy_version": "2026-05", "validity_days": 365}


def test_no_consent_needs_reconsent() -> None:
    assert reconsent_reason(None, None, now=NOW, **RULES) == "no_consent"  # type: ignore[arg-type]


def test_a_changed_policy_needs_reconsent() -> None:
    assert reconsent_reason(NOW, "2025-01", now=NOW, **RULES) == "policy_changed"  # type: ignore[arg-type]
    assert reconsent_after(NOW, "2025-01", **RULES) == NOW  # type: ignore[arg-type]


def test_consent_holds_for_the_validity_period_then_expires() -> None:
    assert reconsent_reason(NOW, "2026-05", now=NOW + 365 * DAY - 1, **RULES) is None  # type: ignore[arg-type]
    assert reconsent_reason(NOW, "2026-05", now=NOW + 365 * DAY, **RULES) == "expired"  # type: ignore[arg-type]
    assert reconsent_after(NOW, "2026-05", **RULES) == NOW + 365 * DAY  # type: ignore[arg-type]


# -- proof context ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("address", "expected"),
    [("203.0.113.77", "203.0.113.0"), ("2001:db8:abcd:12:1:2:3:4", "2001:db8:abcd::"),
     ("::ffff:198.51.100.9", "198.51.100.0"), ("not-an-ip", None), (None, None)],
)
def test_ip_is_truncated_to_v4_24_and_v6_48(address: str | None, expected: str | None) -> None:
    assert ip_prefix(address) == expected


@pytest.mark.parametrize(
    ("ua", "family"),
    [
        ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 "
         "Safari/537.36", "Chrome"),
        ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 "
         "Safari/537.36 Edg/131.0.0.0", "Edge"),
        ("Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0", "Firefox"),
        ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
         "Version/17.5 Mobile/15E148 Safari/604.1", "Safari"),
        ("Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", "Bot"),
        ("curl/8.5.0", "curl"),
        ("something else", "Other"),
        ("", None),
        (None, None),
    ],
)
def test_user_agent_family_only(ua: str | None, family: str | None) -> None:
    assert user_agent_family(ua) == family


@pytest.mark.parametrize(("value", "expected"), [("ee", "EE"), (" DE ", "DE"), ("XYZ", None), ("1A", None),
                                                 (None, None)])
def test_viewer_country(value: str | None, expected: str | None) -> None:
    assert viewer_country(value) == expected


def test_viewer_ip_prefers_cloudfront_viewer_address() -> None:
    assert viewer_ip("198.51.100.10:46532", "10.0.0.1") == "198.51.100.10"
    assert viewer_ip("2001:db8::7:443", "10.0.0.1") == "2001:db8::7"
    assert viewer_ip(None, "10.0.0.1") == "10.0.0.1"
    assert viewer_ip("garbage", "10.0.0.1") == "10.0.0.1"


def test_proof_context_from_request_keeps_only_what_proof_needs() -> None:
    context = ProofContext.from_request(gpc_header=" 1 ", country_header="ee", viewer_address="198.51.100.10:1",
                                        source_ip="10.0.0.1", user_agent="Mozilla/5.0 Firefox/133.0")
    assert context == ProofContext(gpc=True, country="EE", ip_prefix="198.51.100.0", user_agent_family="Firefox")
    assert context.proof() == {"country": "EE", "ip_prefix": "198.51.100.0", "user_agent_family": "Firefox"}
    assert not ProofContext.from_request(gpc_header="0", country_header=None, viewer_address=None, source_ip=None,
                                         user_agent=None).gpc


def test_visitor_ids_are_keyed_hashes_never_the_cookie_value() -> None:
    holder = holder_for_visitor("v-cookie-123456", "pepper-one-0123456789")
    assert "v-cookie-123456" not in holder and holder.startswith("V.")
    assert holder == holder_for_visitor("v-cookie-123456", "pepper-one-0123456789")
    assert holder != holder_for_visitor("v-cookie-123456", "pepper-two-0123456789")
    assert holder_for_account("abc") == "A.abc"
