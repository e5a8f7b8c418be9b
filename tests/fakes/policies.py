"""A fourth store, written in the tests: jetcards' policy text with another controller and another recipient, to
show that the export and the erasure receipt follow whatever the file says, without a change of code."""

from __future__ import annotations

import re
from typing import Any

from chalicelib.policy import ROOT

# The seeded subject (tests.fakes.subjects): a profile, PayPal orders (ppcp-gateway), a PayPal payment and dispute,
# consent to analytics but not to marketing cookies, a marketing preference and privacy@ correspondence.
RECEIVED = {
    "jetcards": {"woocommerce", "aws", "paypal"},  # analytics consented, but jetcards names no analytics vendor
    "jetkrate": {"woocommerce", "aws", "paypal", "google_analytics", "yandex_metrica"},
    "jetrack": {"aws", "woocommerce", "paypal"},
}
TRANSFERS = {  # (recipient, country, safeguard) outside the EEA/UK
    "jetcards": set(),
    "jetkrate": {("google_analytics", "US", "dpf"), ("yandex_metrica", "RU", "sccs")},
    "jetrack": {("aws", "US", "sccs"), ("woocommerce", "US", "sccs"), ("paypal", "US", "sccs")},
}

FOURTH_CONTROLLER = {"legal_name": "Beispiel Handel GmbH", "trading_name": "BEISPIEL", "registry_code": "HRB 123456 B",
                     "address": "Musterstraße 1, 10115 Berlin, Germany", "country": "DE",
                     "dpo": "dpo@beispiel.example"}
HELPDESK = """[recipients.helpdesk]
name = "Beispiel Helpdesk Inc."
role = "processor"
kind = "support"
purposes = ["answering your e-mails"]
data_categories = ["correspondence"]
country = "US"
safeguard = "sccs"
erasure = "email:privacy@helpdesk.example"
cites = "written in the tests: a recipient the code has never heard of"

"""


def fourth_policy_text() -> str:
    """jetcards.toml with the controller changed and PayPal replaced by a US helpdesk (e-mail erasure)."""
    text = (ROOT / "policies" / "jetcards.toml").read_text(encoding="utf-8")
    c = FOURTH_CONTROLLER
    text = text.replace('legal_name = "JETCLOUDSOLUTIONS OÜ"\ntrading_name = "JETCARDS"\n'
                        'address = "Männimäe/1, Pudisoo küla, Kuusalu vald, Harju maakond, 74626, Estonia"\n'
                        'country = "EE"\n',
                        f'legal_name = "{c["legal_name"]}"\ntrading_name = "{c["trading_name"]}"\n'
                        f'registry_code = "{c["registry_code"]}"\naddress = "{c["address"]}"\n'
                        f'country = "{c["country"]}"\n', 1)
    text = text.replace('privacy = "privacy@jetcs.co"\n',
                        f'privacy = "privacy@beispiel.example"\ndpo = "{c["dpo"]}"\n', 1)
    text, replaced = re.subn(r"\[recipients\.paypal\]\n.*?\n\n", HELPDESK, text, count=1, flags=re.S)
    assert replaced == 1 and c["legal_name"] in text
    return text


def fourth_policy() -> Any:
    from chalicelib.policy import parse_policy

    return parse_policy(fourth_policy_text(), "<fourth store>")
