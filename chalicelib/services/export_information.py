"""The export's Art. 15 section ("information"), built from the store's policy and what the export met:

controller and policy version, the purposes and legal bases of the categories held, only the recipients that
received this subject's data (`subject_recipients`), the transfers outside the EEA/UK among them (and the hosting)
with their safeguards, the retention of what is held, the sources per kind, and the rights the store offers with
the channels to use them.  No store's name or promise is written here: all of it is read from `StorePolicy`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalicelib.domain.privacy_requests import INFORMATIONAL_RIGHTS, request_type_for
from chalicelib.policy.model import GDPR_AREA
from chalicelib.services.subject_recipients import Held, received

if TYPE_CHECKING:
    from chalicelib.domain.retention import RetentionPolicy
    from chalicelib.policy.model import Recipient, StorePolicy

# Readable names of the rights a policy may offer (`rights.offered`; every value of `policy.model.Right`).
RIGHT_LABELS: dict[str, str] = {
    "access": "access to your data and a copy of it (GDPR Art. 15)",
    "rectification": "rectification of inaccurate or incomplete data (GDPR Art. 16)",
    "erasure": "erasure of your data (GDPR Art. 17)",
    "restriction": "restriction of processing (GDPR Art. 18)",
    "portability": "data portability, in a machine-readable format (GDPR Art. 20)",
    "objection": "objection to processing based on legitimate interests (GDPR Art. 21(1))",
    "marketing_objection": "objection to direct marketing, honoured at once (GDPR Art. 21(2))",
    "know": "to know what personal information is collected, used and disclosed (CCPA § 1798.110)",
    "delete": "deletion of personal information (CCPA § 1798.105)",
    "opt_out": "to opt out of the sale or sharing of personal information (CCPA § 1798.120)",
    "non_discrimination": "not to be discriminated against for using these rights (CCPA § 1798.125)",
    "complaint": "to lodge a complaint with a supervisory authority (GDPR Art. 77)",
}
ROLE_LABELS = {"processor": "processor (acts on our instructions)",
               "independent_controller": "independent controller (decides on its own processing)"}


def _channels(policy: StorePolicy) -> list[dict[str, str]]:
    controller, how = policy.controller, {
        "account": "in your account on the store's site",
        "web": f"with the privacy request form on the store's site (see {policy.policy.privacy_policy_url})",
        "email": f"by e-mail to {policy.controller.contacts.privacy}",
    }
    how["letter"] = f"by letter to {controller.legal_name}, {controller.address}"
    how["in_person"] = f"in person at {controller.legal_name}, {controller.address}"
    how["phone"] = f"by telephone (the privacy policy gives the number: {policy.policy.privacy_policy_url})"
    how["agent"] = "through an authorised agent, with your signed permission (CCPA regulations § 7063)"
    return [{"channel": channel, "how": how[channel]} for channel in policy.rights.channels]


def controller_information(policy: StorePolicy) -> dict[str, Any]:
    controller, contacts = policy.controller, policy.controller.contacts
    return {
        "name": controller.display_name, "legal_name": controller.legal_name,
        "trading_name": controller.trading_name, "registry_code": controller.registry_code,
        "address": controller.address, "country": controller.country, "contact": contacts.privacy,
        "contacts": {name: value for name, value in (("privacy", contacts.privacy), ("support", contacts.support),
                                                     ("dpo", contacts.dpo)) if value},
    }


def _why(policy: StorePolicy, recipient: Recipient, held: Held) -> str:
    if recipient.consent is not None:
        cookies = policy.cookies.get(recipient.consent)
        return f"you consented to {cookies.label if cookies else recipient.consent} cookies"
    if recipient.kind == "payment":
        return "you paid with it"
    return "it holds or received your records of: " + ", ".join(
        name for name in recipient.data_categories if name in held.categories)


def recipient_entries(policy: StorePolicy, held: Held) -> list[dict[str, Any]]:
    return [{"key": key, "name": recipient.name, "role": recipient.role,
             "role_label": ROLE_LABELS[recipient.role], "kind": recipient.kind,
             "purpose": "; ".join(recipient.purposes), "purposes": list(recipient.purposes),
             "data_categories": list(recipient.data_categories), "country": recipient.country,
             "safeguard": recipient.safeguard, "when": _why(policy, recipient, held)}
            for key, recipient in received(policy, held)]


def transfers(policy: StorePolicy, held: Held, recipients: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The counted recipients (and the hosting) outside the EEA/UK, with the safeguard of each transfer."""
    out = [{"recipient": r["key"], "name": r["name"], "country": r["country"], "safeguard": r["safeguard"]}
           for r in recipients if r["country"] not in GDPR_AREA]
    hosting = policy.hosting
    listed = any(r["kind"] == "hosting" and r["name"] == hosting.provider for r in recipients)
    if held.anything and hosting.country not in GDPR_AREA and not listed:
        out.append({"recipient": "hosting", "name": f"{hosting.provider} ({hosting.region})",
                    "country": hosting.country, "safeguard": hosting.safeguard})
    return out


def retention_entries(rules: RetentionPolicy, held: Held) -> list[dict[str, Any]]:
    entries = []
    for name in sorted(held.categories):
        try:
            rule = rules.rule(name)
        except ValueError:
            continue
        entry: dict[str, Any] = {"category": name, "records": held.categories[name], "days": rule.days,
                                 "then": rule.action, "legal_basis": rule.legal_basis, "purpose": rule.purpose}
        if rule.by_attribute:
            entry["varies_by"] = {"attribute": rule.by_attribute, "days": dict(rule.days_by_value),
                                  "otherwise": rule.days}
        entries.append(entry)
    return entries


def _right(right: str) -> dict[str, str]:
    """A right offered, with how it is exercised: the request type that carries it out, or why none is needed."""
    kind = request_type_for(right)
    entry = {"right": right, "label": RIGHT_LABELS[right]}
    if kind is not None:
        entry["request_type"] = kind.value
    else:
        entry["how"] = INFORMATIONAL_RIGHTS[right]
    return entry


def art15_information(policy: StorePolicy, rules: RetentionPolicy, held: Held,
                      sources: dict[str, str]) -> dict[str, Any]:
    """The export's `information` (schema privacy-export 1.1; docs/rights.md)."""
    recipients = recipient_entries(policy, held)
    retention = retention_entries(rules, held)
    info = policy.policy
    return {
        "controller": controller_information(policy),
        "policy": {"version": info.version, "effective": info.effective.isoformat(),
                   "privacy_policy_url": info.privacy_policy_url, "cookie_policy_url": info.cookie_policy_url},
        "purposes": [f"{entry['purpose'].rstrip('.')}. Legal basis: {entry['legal_basis']}." for entry in retention],
        "categories": sorted(held.kinds), "recipients": recipients,
        "transfers": transfers(policy, held, recipients), "retention": retention,
        "sources": {kind: sources.get(kind, "our records") for kind in sorted(held.kinds)},
        "rights": list(policy.rights.offered),
        "rights_offered": [_right(right) for right in policy.rights.offered],
        "channels": _channels(policy),
    }
