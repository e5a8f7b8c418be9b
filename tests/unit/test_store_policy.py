"""The store's policy file: the three published policies load, every kind of mistake is refused with its place,
a fourth store works by writing a fourth file, and the command line checks and prints."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chalicelib.domain.retention import DAY, STORE_CATEGORIES, Category
from chalicelib.policy import PolicyError, load_policy, parse_policy, retention_policy
from tests.conftest import ROOT
from tests.helpers import POLICIES, store_policy

JETCARDS = (ROOT / "policies" / "jetcards.toml").read_text()


def edited(text: str, old: str, new: str) -> str:
    assert old in text, old
    return text.replace(old, new, 1)


def problems(text: str) -> list[tuple[str, str]]:
    with pytest.raises(PolicyError) as caught:
        parse_policy(text, "test.toml")
    return caught.value.problems


def places(text: str) -> list[str]:
    return [place for place, _ in problems(text)]


@pytest.mark.parametrize("name", POLICIES)
def test_each_published_policy_loads_with_every_store_category(name: str) -> None:
    policy = store_policy(name)
    assert {Category(c) for c in policy.categories} >= STORE_CATEGORIES
    assert "essential" in policy.cookies
    retention = retention_policy(policy)
    assert retention.rule(Category.SUBJECT_KEY).days >= max(
        retention.rule(c).days for c in (Category.ORDER, Category.CORRESPONDENCE))


@pytest.mark.parametrize("name", POLICIES)
def test_every_entry_cites_its_source_or_says_the_policy_is_silent(name: str) -> None:
    data = tomllib.loads((ROOT / "policies" / f"{name}.toml").read_text())

    def walk(value: Any, place: str) -> None:
        if isinstance(value, dict):
            leaves = {k for k, v in value.items() if not isinstance(v, dict | list)}
            if leaves - {"schema"} and place.count(".") <= 2 and not place.startswith("controller.contacts") \
                    and "values" not in place:
                assert value.get("cites"), f"{name}: {place} has no `cites`"
            for key, inner in value.items():
                if key != "cookies" or not isinstance(inner, list):
                    walk(inner, f"{place}.{key}" if place else key)

    walk(data, "")


def test_the_three_stores_differ_where_their_policies_do() -> None:
    jetcards, jetkrate, jetrack = (store_policy(name) for name in POLICIES)
    assert jetcards.controller.legal_name == "JETCLOUDSOLUTIONS OÜ"
    assert jetrack.ip_addresses.store == "none" and jetcards.ip_addresses.store == "truncated"
    assert "ccpa" in jetrack.regimes.served and "ccpa" not in jetcards.regimes.served
    assert "letter" in jetcards.rights.channels and "letter" not in jetrack.rights.channels
    assert "botpress" in jetkrate.recipients and "support" in jetkrate.cookies
    assert set(jetrack.cookies) == {"essential", "preferences"}
    assert jetrack.hosting.country == "US" and jetrack.hosting.safeguard == "sccs"


def test_retention_that_varies_by_plan_takes_the_attribute_the_storefront_sends() -> None:
    analytics = retention_policy(store_policy("jetrack")).rule(Category.ANALYTICS)
    assert analytics.by_attribute == "plan"
    assert analytics.days_for({"plan": "free"}) == 183
    assert analytics.days_for({"plan": "growth"}) == 730
    assert analytics.days_for({"plan": "unknown-plan"}) == 183  # the category's own retention
    assert analytics.days_for(None) == 183
    assert analytics.expires_at(1000, {"plan": "business"}) == 1000 + 1095 * DAY


# -- bad input: each refused at load with its place -------------------------------------------------------------
@pytest.mark.parametrize(("old", "new", "place", "message"), [
    ('retention = "6 months"\nat_expiry = "delete"\nceiling = "6 months"',
     'retention = "400 days"\nat_expiry = "delete"\nceiling = "6 months"',
     "categories.analytics.retention", "400 days exceeds the promised ceiling of 183"),
    ('[categories.correspondence]', '[categories.corespondence]', "categories.corespondence",
     "unknown data category"),
    ('retention = "7 years"', 'retention = "2555"', "categories.order.retention", "unit"),
    ('retention = "7 years"', 'retention = 2555', "categories.order.retention", "a bare number has none"),
    ('legal_name = "JETCLOUDSOLUTIONS OÜ"\n', '', "controller.legal_name", "missing"),
    ('trading_name = "JETCARDS"', 'trading_name = "JETCARDS"\ntradeing_name = "x"', "controller.tradeing_name",
     "unknown key"),
    ('country = "LU"', 'country = "US"', "recipients.paypal.safeguard", "needs a safeguard"),
    ('country = "LU"', 'country = "BR"\nsafeguard = "adequacy"', "recipients.paypal.safeguard",
     "no EU adequacy decision"),
    ('country = "LU"', 'country = "JP"\nsafeguard = "dpf"', "recipients.paypal.safeguard", "US only"),
    ('name = "wordpress_logged_in_*"', 'name = "privacy_consent"', "cookies.essential.cookies[2].name",
     "duplicate cookie name 'privacy_consent'"),
    ('duration = "2 days"', 'duration = "2"', "cookies.essential.cookies[1].duration", "unit"),
    ('data_categories = ["order", "payment", "dispute"]', 'data_categories = ["order", "payments"]',
     "recipients.paypal.data_categories[1]", "unknown data category 'payments'"),
    ('erasure = "manual"\npayment_methods', 'erasure = "fax"\npayment_methods', "recipients.paypal.erasure",
     "api:<connector>, email:<address> or manual"),
    ('erasure = "manual"\npayment_methods', 'erasure = "email:not an address"\npayment_methods',
     "recipients.paypal.erasure", ""),
    ('erasure = "manual"\npayment_methods', 'erasure = "api:paypal"\npayment_methods',
     "recipients.paypal.erasure", "no such connector"),
    ('privacy = "privacy@jetcs.co"', 'privacy = "privacy@jetcs.co\\r\\nBcc: x@y.example"',
     "controller.contacts.privacy", ""),
    ('postal = true', 'postal = false', "rights.channels", "letters are accepted"),
    ('consent_mode = ["analytics_storage"]', 'consent_mode = ["ad_storage"]', "cookies.marketing.consent_mode",
     "ad_storage is already granted by analytics"),
    ('consent_mode = ["analytics_storage"]', 'consent_mode = ["analytics_cookies"]',
     "cookies.analytics.consent_mode[0]", ""),
    ('country = "EE"', 'country = "Estonia"', "controller.country", "ISO 3166"),
    ('served = ["gdpr", "uk_gdpr"]', 'served = ["gdpr", "ccpa"]', "rights.offered", "CCPA is served"),
    ('schema = 1', 'schema = 2', "schema", ""),
    ('[cookies.marketing]', '[cookies.advertising]', "cookies.advertising", ""),
    ('payment_methods = ["ppcp-gateway", "paypal", "ppec_paypal", "ppcp-card-button-gateway"]\n', '',
     "recipients.paypal.payment_methods", "payment methods"),
])
def test_a_mistake_is_refused_with_its_place(old: str, new: str, place: str, message: str) -> None:
    found = problems(edited(JETCARDS, old, new))
    assert any(where == place and message in what for where, what in found), found


def test_a_missing_category_is_named() -> None:
    start = JETCARDS.index("[categories.dispute]")
    end = JETCARDS.index("[categories.anonymised_record]")
    assert places(JETCARDS[:start] + JETCARDS[end:]) == ["categories.dispute"]


def test_a_host_outside_the_eea_needs_a_safeguard_when_gdpr_is_served() -> None:
    text = (ROOT / "policies" / "jetrack.toml").read_text()
    assert "hosting.safeguard" in places(edited(text, 'country = "US"\nsafeguard = "sccs"\ncites = "\'9.',
                                                 'country = "US"\ncites = "\'9.'))


def test_every_problem_is_reported_at_once_and_nothing_is_half_loaded() -> None:
    text = edited(edited(JETCARDS, 'retention = "7 years"', 'retention = "7"'), 'country = "LU"', 'country = "US"')
    found = places(text)
    assert "categories.order.retention" in found
    # pydantic refuses the file before the cross-checks run: the field errors come first, all of them
    assert len(found) >= 1


def test_not_toml_or_not_a_file_is_refused(tmp_path: Path) -> None:
    assert "not valid TOML" in problems("schema = = 1")[0][1]
    with pytest.raises(PolicyError, match="cannot read"):
        load_policy(tmp_path / "absent.toml")
    (tmp_path / "latin1.toml").write_bytes("schema = 1 # \xe9".encode("latin-1"))
    with pytest.raises(PolicyError, match="not UTF-8"):
        load_policy(tmp_path / "latin1.toml")


# -- a fourth store ----------------------------------------------------------------------------------------------
def fourth_store() -> str:
    text = JETCARDS
    for old, new in [
        ('legal_name = "JETCLOUDSOLUTIONS OÜ"', 'legal_name = "Vierter Laden GmbH"'),
        ('trading_name = "JETCARDS"', 'trading_name = "Laden4"\nregistry_code = "HRB 123456"'),
        ('address = "Männimäe/1, Pudisoo küla, Kuusalu vald, Harju maakond, 74626, Estonia"',
         'address = "Hauptstraße 1, 10115 Berlin"'),
        ('country = "EE"', 'country = "DE"'),
        ('privacy = "privacy@jetcs.co"', 'privacy = "datenschutz@laden4.example"\ndpo = "dpo@laden4.example"'),
        ('version = "2026-05"', 'version = "L4-2027-01"'),
        ('retention = "7 years"\nat_expiry = "anonymise"\ncites = "\'Details of transactions',
         'retention = "10 years"\nat_expiry = "anonymise"\ncites = "\'Details of transactions'),
    ]:
        text = edited(text, old, new)
    return text


def test_a_fourth_store_works_from_its_own_file_without_code_changes(tmp_path: Path) -> None:
    file = tmp_path / "laden4.toml"
    file.write_text(fourth_store(), encoding="utf-8")
    policy = load_policy(file)
    assert policy.controller.display_name == "Vierter Laden GmbH (Laden4)"
    assert policy.controller.contacts.dpo == "dpo@laden4.example"
    retention = retention_policy(policy)
    assert retention.rule(Category.ORDER).days == 3650
    assert retention.rule(Category.SUBJECT_KEY).days == 3650  # the key outlives the longest sealed category


# -- command line ------------------------------------------------------------------------------------------------
def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "chalicelib.policy", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=60, check=False)


def test_check_prints_a_summary_or_every_error(tmp_path: Path) -> None:
    ok = run_cli("check", "policies/jetrack.toml")
    assert ok.returncode == 0, ok.stderr
    assert "Jetrack" in ok.stdout and "IP addresses: none" in ok.stdout
    bad = tmp_path / "bad.toml"
    bad.write_text(edited(JETCARDS, 'retention = "6 months"\nat_expiry = "delete"\nceiling = "6 months"',
                          'retention = "400 days"\nat_expiry = "delete"\nceiling = "6 months"'))
    refused = run_cli("check", str(bad))
    assert refused.returncode == 1
    assert "categories.analytics.retention: 400 days exceeds the promised ceiling of 183" in refused.stderr
    assert "Traceback" not in refused.stderr


def test_table_writes_markdown_rows_for_every_category() -> None:
    out = run_cli("table", "policies/jetkrate.toml")
    assert out.returncode == 0, out.stderr
    rows = [line for line in out.stdout.splitlines() if re.match(r"^\| `", line)]
    assert len(rows) == len(Category)


# -- hostile files: any value in any place is a PolicyError with a place, never another exception ----------------
_VALUE_LINES = [index for index, line in enumerate(JETCARDS.splitlines())
                if re.match(r"^[a-z_]+ = ", line) and not line.startswith("schema")]
_HOSTILE = [
    "1e400", "nan", "inf", "-0", "9" * 30, "true", "[]", "{}", '""', '"   "', '"\\u0000"', '"\\u202e x"',
    '"' + "x" * 5000 + '"', '"1 fortnight"', '"-5 days"', '"99999 years"', "[[1, 2], [3]]", '{ a = { b = 1 } }',
    "1979-05-27T07:32:00Z", '"ä" ', "'''multi\nline'''", '"\\r\\nBcc: x@y.example"', "[\"a\", 1]",
]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(line=st.sampled_from(_VALUE_LINES), value=st.one_of(st.sampled_from(_HOSTILE), st.text(max_size=40).map(
    lambda text: '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"')))
def test_a_hostile_value_anywhere_is_refused_with_a_place_or_loads(line: int, value: str) -> None:
    lines = JETCARDS.splitlines()
    key = lines[line].split(" = ", 1)[0]
    lines[line] = f"{key} = {value}"
    try:
        policy = parse_policy("\n".join(lines), "hostile.toml")
    except PolicyError as error:
        assert error.problems and all(isinstance(place, str) and message for place, message in error.problems)
        return
    retention_policy(policy)  # what loads is usable


@settings(max_examples=60, deadline=None)
@given(depth=st.integers(min_value=1, max_value=200))
def test_deep_or_huge_structures_are_refused(depth: int) -> None:
    nested = "[" * depth + "1" + "]" * depth
    with pytest.raises(PolicyError):
        parse_policy(JETCARDS.replace('served = ["gdpr", "uk_gdpr"]', f"served = {nested}", 1), "deep.toml")
