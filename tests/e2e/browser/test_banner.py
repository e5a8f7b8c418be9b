"""The consent banner in a real browser (Debian's Chromium through Playwright) against the served stack (jetcards'
policy): a storefront page on its own origin, under a strict Content-Security-Policy, embeds the banner with one tag
and holds blocked analytics and marketing scripts.  Every step is screenshotted into build/screenshots/banner-*.png.
"""

from __future__ import annotations

import json
import urllib.request
import uuid
from typing import Any

import pytest

from chalicelib.policy import load_policy
from chalicelib.services.consent_config import consent_config
from scripts.serve import Stack
from tests.e2e.browser.conftest import PHONE, Storefront
from tests.fakes.browser import SCREENSHOTS, shot

SIGNALS = {"ad_storage", "ad_user_data", "ad_personalization", "analytics_storage", "functionality_storage",
           "personalization_storage", "security_storage"}
# Collects what the page does: CSP violations, privacy:consent events (installed before any script of the page).
WATCH = """
window.__csp = []; window.__events = [];
document.addEventListener('securitypolicyviolation', e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));
window.addEventListener('privacy:consent', e => window.__events.push(e.detail));
"""
GPC = "Object.defineProperty(Navigator.prototype, 'globalPrivacyControl', {get: () => true});"


def shop(storefront: Storefront, api: str, *, lang: str = "en") -> tuple[str, str]:
    """A storefront page (unique name) with the banner and three blocked scripts: analytics (src and inline) and
    marketing (src).  Returns (url, tag) where the blocked files are `<tag>-analytics.js` / `<tag>-marketing.js`."""
    tag = uuid.uuid4().hex[:10]
    for category in ("analytics", "marketing"):
        storefront.file(f"{tag}-{category}.js", f"window.ran = (window.ran || []).concat('{category}');")
    csp = (f"default-src 'none'; script-src 'self' {api} 'nonce-n0nce'; style-src {api}; connect-src {api}; "
           "img-src 'self'; base-uri 'none'; form-action 'self'")
    html = f"""<!doctype html><html lang="{lang}"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{csp}">
<title>Shop</title>
<script src="{api}/consent.js" data-api="{api}"></script>
<script type="text/plain" data-category="analytics" src="{storefront.url}/{tag}-analytics.js"></script>
<script type="text/plain" data-category="analytics" nonce="n0nce">window.ran = (window.ran || []).concat('inline');
</script>
<script type="text/plain" data-category="marketing" src="{storefront.url}/{tag}-marketing.js"></script>
</head><body><main><h1>Cards and more</h1><p>Our products.</p></main></body></html>"""
    return storefront.page(f"{tag}.html", html), tag


def context(browser: Any, viewport: dict[str, int] | None = None, *, gpc: bool = False,
            color_scheme: str = "light") -> Any:
    ctx = browser.new_context(viewport=viewport or {"width": 1280, "height": 800}, locale="en-GB",
                              extra_http_headers={"Sec-GPC": "1"} if gpc else None, color_scheme=color_scheme)
    ctx.add_init_script(WATCH + (GPC if gpc else ""))
    return ctx


def banner(page: Any) -> Any:
    return page.locator("#privacy-consent [role=dialog]")


def consent_calls(page: Any) -> list[list[Any]]:
    return page.evaluate("() => dataLayer.filter(a => a[0] === 'consent').map(a => Array.from(a))")


def ran(page: Any) -> list[str]:
    return page.evaluate("() => window.ran || []")


def ledger(api: str, page: Any) -> dict[str, Any]:
    page.wait_for_function("() => document.cookie.includes('%22s%22%3A1')", timeout=15_000)
    visitor = page.evaluate("() => privacyConsent.get().visitor_id")
    with urllib.request.urlopen(f"{api}/consent/{visitor}", timeout=10) as answer:
        return dict(json.loads(answer.read()))


def open_shop(page: Any, url: str) -> None:
    page.goto(url)
    page.wait_for_function("() => window.privacyConsent && document.readyState === 'complete'")
    page.evaluate("() => privacyConsent.ready")


def test_before_a_choice_nothing_blocked_runs_and_consent_mode_is_denied(browser: Any, served: Stack,
                                                                         storefront: Storefront) -> None:
    url, tag = shop(storefront, served.api)
    page = context(browser).new_page()
    open_shop(page, url)
    dialog = banner(page)
    dialog.wait_for()
    shot(page, "banner-01-first-layer")
    dialog.screenshot(path=str(SCREENSHOTS / "banner-01-dialog.png"))  # the banner alone (docs/img/banner.png)
    assert ran(page) == []
    assert f"{tag}-analytics.js" not in storefront.hits and f"{tag}-marketing.js" not in storefront.hits
    calls = consent_calls(page)
    assert calls[0][1] == "default" and len(calls) == 1  # before any tag, and no update before a choice
    assert {k: v for k, v in calls[0][2].items() if k != "wait_for_update"} == dict.fromkeys(SIGNALS, "denied")
    assert calls[0][2]["wait_for_update"] > 0
    assert page.evaluate("() => dataLayer[0][0]") == "consent"
    assert page.evaluate("() => privacyConsent.get()") is None
    # Accept all and Reject all: equal prominence (same size, same look), on the first layer.
    accept, reject = dialog.get_by_role("button", name="Accept all"), dialog.get_by_role("button", name="Reject all")
    style = "e => [getComputedStyle(e).backgroundColor, getComputedStyle(e).color, getComputedStyle(e).fontSize, " \
            "getComputedStyle(e).fontWeight, getComputedStyle(e).borderWidth]"
    assert accept.evaluate(style) == reject.evaluate(style)
    a, r = accept.bounding_box(), reject.bounding_box()
    assert (round(a["width"]), round(a["height"])) == (round(r["width"]), round(r["height"]))
    assert dialog.get_by_role("button", name="Customise").is_visible()
    assert page.evaluate("() => window.__csp") == []  # nothing the strict CSP had to block
    page.evaluate("() => document.body.setAttribute('style', 'color: red')")  # the watcher does see a violation
    page.wait_for_function("() => window.__csp.length === 1")
    page.context.close()


def test_reject_all_records_a_refusal_and_nothing_runs_even_after_a_reload(browser: Any, served: Stack,
                                                                           storefront: Storefront) -> None:
    url, tag = shop(storefront, served.api)
    page = context(browser).new_page()
    open_shop(page, url)
    banner(page).get_by_role("button", name="Reject all").click()
    assert banner(page).count() == 0
    state = ledger(served.api, page)
    shot(page, "banner-02-rejected")
    assert state["action"] == "reject_all" and state["source"] == "banner" and state["needs_reconsent"] is False
    assert state["effective"] == {"essential": True, "preferences": False, "analytics": False, "marketing": False}
    assert ran(page) == [] and f"{tag}-analytics.js" not in storefront.hits
    update = consent_calls(page)[-1]
    assert update[1] == "update" and update[2]["analytics_storage"] == "denied" and update[2]["ad_storage"] == "denied"
    assert update[2]["security_storage"] == "granted"
    assert page.evaluate("() => window.__events.map(e => e.choices.analytics)") == [False]
    open_shop(page, url)
    assert banner(page).count() == 0 and ran(page) == []
    shot(page, "banner-03-reload-after-reject")
    page.context.close()


def test_accept_all_runs_the_scripts_without_a_reload_and_grants_consent_mode(browser: Any, served: Stack,
                                                                              storefront: Storefront) -> None:
    url, tag = shop(storefront, served.api)
    page = context(browser).new_page()
    open_shop(page, url)
    page.evaluate("() => { window.sameDocument = true; }")
    banner(page).get_by_role("button", name="Accept all").click()
    page.wait_for_function("() => (window.ran || []).length === 3")
    assert sorted(ran(page)) == ["analytics", "inline", "marketing"]
    assert f"{tag}-analytics.js" in storefront.hits and f"{tag}-marketing.js" in storefront.hits
    assert page.evaluate("() => window.sameDocument") is True  # no reload
    update = consent_calls(page)[-1]
    assert update[1] == "update" and update[2] == dict.fromkeys(SIGNALS, "granted")
    state = ledger(served.api, page)
    assert state["action"] == "accept_all" and state["effective"]["marketing"] is True
    assert page.evaluate("() => privacyConsent.get().choices") == {"essential": True, "preferences": True,
                                                                   "analytics": True, "marketing": True}
    assert page.evaluate("() => window.__csp") == []
    shot(page, "banner-04-accepted")
    open_shop(page, url)  # a reload: no banner, the scripts run at once
    page.wait_for_function("() => (window.ran || []).length === 3")
    assert banner(page).count() == 0
    shot(page, "banner-05-reload-after-accept")
    page.context.close()


def test_gpc_turns_marketing_off(browser: Any, served: Stack, storefront: Storefront) -> None:
    url, tag = shop(storefront, served.api)
    page = context(browser, gpc=True).new_page()
    open_shop(page, url)
    banner(page).get_by_role("button", name="Customise").click()
    marketing = page.locator("#pc-cat-marketing")
    assert marketing.is_disabled() and not marketing.is_checked()
    assert "Global Privacy Control" in page.locator("#pc-cat-marketing-state").inner_text()
    shot(page, "banner-06-gpc-customise")
    banner(page).get_by_role("button", name="Accept all").click()
    page.wait_for_function("() => (window.ran || []).length === 2")
    assert sorted(ran(page)) == ["analytics", "inline"] and f"{tag}-marketing.js" not in storefront.hits
    update = consent_calls(page)[-1][2]
    assert update["ad_storage"] == update["ad_user_data"] == update["ad_personalization"] == "denied"
    assert update["analytics_storage"] == "granted"
    state = ledger(served.api, page)
    assert state["gpc"] is True and state["effective"]["marketing"] is False and state["effective"]["analytics"]
    shot(page, "banner-07-gpc-accepted")
    page.context.close()


def test_a_new_policy_version_or_an_expired_consent_asks_again(browser: Any, served: Stack,
                                                               storefront: Storefront) -> None:
    url, _ = shop(storefront, served.api)
    ctx = context(browser)
    page = ctx.new_page()
    open_shop(page, url)
    banner(page).get_by_role("button", name="Reject all").click()
    ledger(served.api, page)

    def new_version(route: Any) -> None:
        answer = route.fetch()
        body = answer.json()
        body["policy_version"] = body["policy_version"] + "-b"
        route.fulfill(response=answer, body=json.dumps(body), headers={**answer.headers, "etag": '"new"'})

    ctx.route("**/consent/config", new_version)
    open_shop(page, url)
    banner(page).wait_for()
    shot(page, "banner-08-new-policy-version")
    ctx.unroute("**/consent/config")
    page.evaluate("""() => { const m = document.cookie.match(/privacy_consent=([^;]*)/);
        const s = JSON.parse(decodeURIComponent(m[1])); s.e = Date.now() - 1000;
        document.cookie = 'privacy_consent=' + encodeURIComponent(JSON.stringify(s)) + '; Path=/'; }""")
    open_shop(page, url)
    banner(page).wait_for()
    ctx.close()


def test_keyboard_only_focus_stays_in_the_dialog_and_a_custom_choice_is_recorded(browser: Any, served: Stack,
                                                                                  storefront: Storefront) -> None:
    url, tag = shop(storefront, served.api)
    page = context(browser).new_page()
    open_shop(page, url)
    banner(page).wait_for()
    inside = "() => !!document.activeElement.closest('#privacy-consent')"
    assert page.evaluate("() => document.activeElement.textContent") == "Accept all"
    for key in ["Tab"] * 8 + ["Shift+Tab"] * 8:
        page.keyboard.press(key)
        assert page.evaluate(inside), key
    while page.evaluate("() => document.activeElement.textContent") != "Customise":
        page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    assert page.evaluate("() => document.activeElement.id") == "pc-cat-preferences"
    shot(page, "banner-09-keyboard-customise")
    page.keyboard.press("Tab")  # the preferences' details
    page.keyboard.press("Tab")  # analytics
    assert page.evaluate("() => document.activeElement.id") == "pc-cat-analytics"
    page.keyboard.press("Space")
    assert page.locator("#pc-cat-analytics-state").inner_text() == "On"  # a text, not only a colour
    shot(page, "banner-10-keyboard-analytics-on")
    while page.evaluate("() => document.activeElement.textContent") != "Save choices":
        page.keyboard.press("Tab")
        assert page.evaluate(inside)
    page.keyboard.press("Enter")
    page.wait_for_function("() => (window.ran || []).length === 2")
    assert sorted(ran(page)) == ["analytics", "inline"] and f"{tag}-marketing.js" not in storefront.hits
    state = ledger(served.api, page)
    assert state["action"] == "custom"
    assert state["effective"] == {"essential": True, "preferences": False, "analytics": True, "marketing": False}
    page.evaluate("() => privacyConsent.open()")  # the API re-opens it with the current choices
    banner(page).wait_for()
    assert page.locator("#pc-cat-analytics").is_checked() and not page.locator("#pc-cat-marketing").is_checked()
    page.keyboard.press("Escape")
    assert banner(page).count() == 0
    page.context.close()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_axe_finds_no_serious_or_critical_violation(browser: Any, served: Stack, storefront: Storefront,
                                                    scheme: str) -> None:
    url, _ = shop(storefront, served.api)
    page = context(browser, color_scheme=scheme).new_page()
    open_shop(page, url)
    banner(page).wait_for()
    page.evaluate("() => privacyConsent.open()")  # the customise layer: switches, vendors, cookies
    page.locator("#pc-cat-analytics").wait_for()
    page.locator("#privacy-consent details").first.evaluate("d => { d.open = true; }")
    shot(page, f"banner-11-customise-{scheme}")
    # axe runs outside the page's CSP rules: injected by Playwright into a page without the meta CSP.
    page.evaluate("() => document.querySelector('meta[http-equiv]').remove()")
    found = [(v["id"], v["impact"], [n["target"] for n in v["nodes"]]) for v in axe_any(page)]
    assert [v for v in found if v[1] in ("serious", "critical")] == []
    page.context.close()


def axe_any(page: Any) -> list[dict[str, Any]]:
    """axe-core's violations; under the page's CSP the script is added through Playwright's evaluation context."""
    from scripts import browser as setup

    page.evaluate(setup.AXE_SCRIPT.read_text())
    return list(page.evaluate("async () => (await axe.run(document)).violations"))


@pytest.mark.parametrize("lang, accept", [("de", "Alle akzeptieren"), ("et", "Nõustu kõigiga")])
def test_the_pages_language_chooses_the_texts(browser: Any, served: Stack, storefront: Storefront, lang: str,
                                              accept: str) -> None:
    url, _ = shop(storefront, served.api, lang=lang)
    page = context(browser).new_page()
    open_shop(page, url)
    assert banner(page).get_by_role("button", name=accept).is_visible()
    shot(page, f"banner-12-{lang}")
    page.context.close()


def test_on_a_phone_the_banner_fits_and_every_button_is_reachable(browser: Any, served: Stack,
                                                                  storefront: Storefront) -> None:
    url, _ = shop(storefront, served.api)
    page = context(browser, PHONE).new_page()
    open_shop(page, url)
    dialog = banner(page)
    dialog.wait_for()
    box = dialog.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"] and box["height"] <= PHONE["height"]
    for name in ("Accept all", "Reject all", "Customise"):
        button = dialog.get_by_role("button", name=name)
        button.scroll_into_view_if_needed()
        assert button.is_visible() and button.bounding_box()["height"] >= 44
    shot(page, "banner-13-phone")
    dialog.get_by_role("button", name="Customise").click()
    shot(page, "banner-14-phone-customise")
    assert [v["id"] for v in axe_any(page) if v["impact"] in ("serious", "critical")] == []
    page.context.close()


def test_meta_and_tiktok_consent_and_cookie_deletion_for_a_store_with_those_vendors(
        browser: Any, served: Stack, storefront: Storefront) -> None:
    """jetkrate's policy (Meta and TikTok pixels, analytics cookies _ga, _ga_*): its configuration is served to the
    page in place of the stack's (jetcards'); what the banner does in the page is checked, not the ledger."""
    config = consent_config(load_policy("policies/jetkrate.toml")).model_dump(mode="json")
    url, _ = shop(storefront, served.api)
    ctx = context(browser)
    ctx.add_init_script("""window.calls = []; window.fbq = (...a) => calls.push(['fbq', ...a]);
        window.ttq = {grantConsent: () => calls.push(['ttq', 'grant']),
                      revokeConsent: () => calls.push(['ttq', 'revoke'])};""")
    ctx.route("**/consent/config", lambda route: route.fulfill(status=200, body=json.dumps(config), headers={
        "Content-Type": "application/json", "Access-Control-Allow-Origin": storefront.url}))
    page = ctx.new_page()
    open_shop(page, url)
    page.evaluate("() => { document.cookie = '_ga=GA1.1.1; Path=/'; document.cookie = '_ga_ABC=GS1; Path=/'; "
                  "document.cookie = 'other=1; Path=/'; }")
    banner(page).get_by_role("button", name="Accept all").click()
    assert page.evaluate("() => calls") == [["fbq", "consent", "revoke"], ["ttq", "revoke"],  # before a choice
                                            ["fbq", "consent", "grant"], ["ttq", "grant"]]
    page.evaluate("() => privacyConsent.open()")
    banner(page).get_by_role("button", name="Reject all").click()  # a withdrawal
    page.wait_for_function("() => calls.length === 6")
    assert page.evaluate("() => calls.slice(4)") == [["fbq", "consent", "revoke"], ["ttq", "revoke"]]
    cookies = page.evaluate("() => document.cookie")
    assert "_ga=" not in cookies and "_ga_ABC=" not in cookies and "other=1" in cookies
    assert "privacy_consent=" in cookies
    ctx.close()
