"""Use case: what the consent banner shows (GET /consent/config), read from the store's policy file only."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalicelib.domain.consent import ESSENTIAL
from chalicelib.payloads.consent import CategoryOut, ConsentConfigOut, CookieOut, VendorOut
from chalicelib.services.record_consent import consent_scheme

if TYPE_CHECKING:
    from chalicelib.policy.model import StorePolicy


def consent_config(policy: StorePolicy) -> ConsentConfigOut:
    """The policy version, the controller, the policy URLs, the cookie categories in the file's order (essential
    locked) with their Consent Mode signals, vendors and cookies, the Consent Mode defaults and the languages."""
    categories = []
    for name, category in policy.cookies.items():
        vendors = [VendorOut(key=key, name=recipient.name, country=recipient.country,
                             purposes=list(recipient.purposes))
                   for key in category.vendors if (recipient := policy.recipients.get(key)) is not None]
        cookies = [CookieOut(name=cookie.name, vendor=cookie.vendor, duration=cookie.duration,
                             purpose=cookie.purpose) for cookie in category.cookies]
        categories.append(CategoryOut(name=name, label=category.label, description=category.description,
                                      locked=name == ESSENTIAL, consent_mode=list(category.consent_mode),
                                      vendors=vendors, cookies=cookies))
    return ConsentConfigOut(
        policy_version=policy.policy.version, controller=policy.controller.display_name,
        privacy_policy_url=policy.policy.privacy_policy_url, cookie_policy_url=policy.policy.cookie_policy_url,
        categories=categories, consent_mode_defaults=consent_scheme(policy).defaults(),
        languages=list(policy.rights.languages))
