"""The privacy center in a real browser (Debian's Chromium through Playwright) against the served stack: the account
token leaves the URL at once, marketing is switched, an export is requested and downloaded, a deletion is asked and
cancelled, a guest's request goes through the e-mailed link and the confirm page; by keyboard only, on a phone, and
axe-core finds no serious or critical violation.  Every step is screenshotted into build/screenshots/."""

from __future__ import annotations

import email
import email.policy
import json
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from scripts.serve import Stack
from tests.conftest import load_event
from tests.e2e.browser.conftest import PHONE
from tests.fakes.browser import SCREENSHOTS, axe, shot
from tests.helpers import account_token, bearer, http_call, wc_signature

XSS = "<script>window.__xss=1</script>"


@dataclass
class Customer:
    email: str
    customer_id: str
    tag: str

    def token(self) -> str:
        return account_token(self.customer_id, self.email, now=time.time())

    def auth(self) -> dict[str, str]:
        return {**bearer(self.token()), "Content-Type": "application/json"}


@pytest.fixture
def customer(served: Stack) -> Customer:
    """A customer with one order (sent by a signed WooCommerce webhook, as the store does)."""
    tag = uuid.uuid4().hex[:8]
    person = Customer(f"center.{tag}@example.org", str(900_000 + int(tag[:4], 16)), tag)
    order = load_event("woocommerce/order.created.payload.json")
    body = json.dumps({**order, "id": int(person.customer_id) * 10, "customer_id": int(person.customer_id),
                       "order_key": f"wc_order_c{tag}", "billing": {**order["billing"], "email": person.email}})
    headers = {**load_event("woocommerce/order.created.headers.json"),
               "X-WC-Webhook-Signature": wc_signature(body.encode()), "X-WC-Webhook-Delivery-ID": uuid.uuid4().hex}
    status, answer = http_call(served.api, "POST", "/webhooks/woocommerce", body.encode(), headers)
    assert status == 200, answer
    return person


@pytest.fixture
def csp_errors(page: Any) -> Iterator[list[str]]:
    """Console errors of the page (a CSP violation would show here); the test asserts the list is empty."""
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield errors


def open_center(page: Any, served: Stack, token: str | None = None, *, via: str = "#") -> None:
    suffix = f"{via}token={token}" if token else ""
    page.goto(f"{served.api}/privacy-center{suffix}")
    page.wait_for_selector("#marketing-switch" if token else "#guest-form")


def wait_status(page: Any, text: str) -> None:
    page.wait_for_function("text => document.getElementById('status').textContent.includes(text)", arg=text,
                           timeout=30_000)


@pytest.mark.parametrize("via", ["#", "?"], ids=["fragment", "query"])
def test_the_token_leaves_the_url_at_once_and_is_kept_nowhere(page: Any, served: Stack, customer: Customer,
                                                              csp_errors: list[str], via: str) -> None:
    token = customer.token()
    open_center(page, served, token, via=via)
    assert "token" not in page.url and token not in page.evaluate("location.href")
    assert page.url == f"{served.api}/privacy-center"
    assert page.context.cookies() == []
    assert page.evaluate("localStorage.length + sessionStorage.length") == 0
    assert page.locator("#data table").count() == 1  # the data held, by category
    assert "order" in page.locator("#data").inner_text()
    shot(page, f"privacy-center-signed-in-{'fragment' if via == '#' else 'query'}")
    assert csp_errors == []


def test_marketing_is_switched_on_and_off(page: Any, served: Stack, customer: Customer,
                                          csp_errors: list[str]) -> None:
    open_center(page, served, customer.token())
    switch = page.locator("#marketing-switch")
    assert not switch.is_checked()
    switch.check()
    wait_status(page, "Saved.")
    shot(page, "privacy-center-marketing-on")
    status, privacy = http_call(served.api, "GET", "/account/privacy", headers=customer.auth())
    assert status == 200 and privacy["marketing"]["email_marketing"] is True
    open_center(page, served, customer.token())  # a fresh load shows the stored choice
    assert page.locator("#marketing-switch").is_checked()
    page.locator("#marketing-switch").uncheck()
    wait_status(page, "Saved.")
    status, privacy = http_call(served.api, "GET", "/account/privacy", headers=customer.auth())
    assert privacy["marketing"]["email_marketing"] is False
    assert csp_errors == []


def test_an_export_is_requested_followed_and_downloaded(page: Any, served: Stack, customer: Customer,
                                                        csp_errors: list[str]) -> None:
    open_center(page, served, customer.token())
    page.locator("#export-button").click()
    link = page.wait_for_selector("#download-json", timeout=60_000)
    shot(page, "privacy-center-export-ready")
    with urllib.request.urlopen(link.get_attribute("href"), timeout=20) as response:  # the emulator's S3
        document = json.loads(response.read())
    assert document["schema"] == "privacy-export"
    assert [r for r in document["records"] if r["kind"] == "order"]
    assert customer.email in json.dumps(document)
    history = page.locator("#history-table")
    history.locator("text=A copy of my data").wait_for()
    assert "done" in history.inner_text()
    assert csp_errors == []


def test_a_deletion_is_asked_then_cancelled(page: Any, served: Stack, customer: Customer,
                                            csp_errors: list[str]) -> None:
    open_center(page, served, customer.token())
    page.locator("#deletion-button").click()
    wait_status(page, "Please tick the box")  # nothing without the confirmation
    status, listed = http_call(served.api, "GET", "/account/requests", headers=customer.auth())
    assert status == 200 and listed["requests"] == []
    page.locator("#deletion-confirm").check()
    page.locator("#deletion-button").click()
    page.wait_for_selector("#cancel-deletion")
    assert "will be deleted after" in page.locator("#deletion-scheduled").inner_text()
    shot(page, "privacy-center-deletion-scheduled")
    open_center(page, served, customer.token())  # a fresh load still offers the cancel
    page.locator("#cancel-deletion").click()
    wait_status(page, "The deletion is cancelled.")
    page.locator("#history-table >> text=cancelled").wait_for()
    shot(page, "privacy-center-deletion-cancelled")
    status, listed = http_call(served.api, "GET", "/account/requests", headers=customer.auth())
    assert status == 200 and [(r["type"], r["status"]) for r in listed["requests"]] == [("deletion", "cancelled")]
    assert csp_errors == []


def test_restriction_and_objection_need_the_box_then_are_recorded(page: Any, served: Stack, customer: Customer,
                                                                  csp_errors: list[str]) -> None:
    open_center(page, served, customer.token())
    page.locator("#object-button").click()
    wait_status(page, "Please tick the box")
    page.locator("#restrict-confirm").check()
    page.locator("#object-button").click()
    wait_status(page, "Your objection is recorded.")
    page.locator("#restrict-button").click()
    wait_status(page, "Your restriction request is recorded.")
    page.locator("#history-table >> text=Restrict the use of my data").wait_for()
    shot(page, "privacy-center-restricted")
    status, listed = http_call(served.api, "GET", "/account/requests", headers=customer.auth())
    assert status == 200 and sorted(r["type"] for r in listed["requests"]) == ["objection", "restriction"]
    assert csp_errors == []


def test_script_typed_into_every_field_stays_text(page: Any, served: Stack, customer: Customer,
                                                  csp_errors: list[str]) -> None:
    open_center(page, served, customer.token())
    scripts = page.evaluate("document.scripts.length")
    fields = page.locator("#correction-form input")
    for n in range(fields.count()):
        fields.nth(n).fill(XSS)
    page.locator("#correction-form button[type=submit]").click()
    wait_status(page, "Please check what you entered.")  # postcode, country, phone and e-mail refuse it
    for name in ("email", "billing.postcode", "billing.country", "billing.phone"):
        page.locator(f"#correction-form input[name='{name}']").fill("")
    page.locator("#correction-form button[type=submit]").click()
    wait_status(page, "Your correction request is recorded.")
    page.locator("#history-table >> text=Correct my data").wait_for()
    open_center(page, served)
    page.locator("#guest-email").fill(XSS)
    page.locator("#guest-send").click()
    wait_status(page, "Please check what you entered.")
    assert page.evaluate("window.__xss") is None and page.evaluate("document.scripts.length") == scripts
    assert [e for e in csp_errors if "status of 400" not in e] == []  # the refused submissions: 400, nothing else


def mail_to(served: Stack, address: str) -> list[str]:
    with urllib.request.urlopen(served.mail_url, timeout=10) as response:
        data = json.loads(response.read())
    found = []
    for sent in data.get("ses", {}).get("RawMessage", []):
        if address in json.dumps(sent.get("destinations")):
            message = email.message_from_string(sent["raw_data"], policy=email.policy.default)
            body = message.get_body(preferencelist=("plain",))
            found.append(body.get_content() if body else "")
    return found


def test_a_guest_exports_through_the_mailed_link_and_the_confirm_page(page: Any, served: Stack,
                                                                      csp_errors: list[str]) -> None:
    address = f"guest.center.{uuid.uuid4().hex[:8]}@example.org"
    open_center(page, served)
    shot(page, "privacy-center-guest-form")
    page.locator("#guest-email").fill(address)
    page.locator("#guest-type").select_option("access")
    page.locator("#guest-send").click()
    wait_status(page, "If the address is valid")
    answer = page.locator("#status").inner_text()
    shot(page, "privacy-center-guest-sent")
    page.locator("#guest-email").fill(f"nobody.{uuid.uuid4().hex[:8]}@example.net")  # the same neutral answer
    page.locator("#guest-send").click()
    page.wait_for_function("() => !document.getElementById('guest-send').disabled")
    assert page.locator("#status").inner_text() == answer
    deadline = time.monotonic() + 30
    while not mail_to(served, address) and time.monotonic() < deadline:
        time.sleep(0.5)
    (text,) = mail_to(served, address)
    link = next(word for word in text.split() if "/privacy-requests/verify?token=" in word)
    assert link.startswith(served.api)
    page.goto(link)
    assert page.locator("h1").inner_text() == "Confirm your privacy request"
    assert page.evaluate("getComputedStyle(document.querySelector('.brand')).backgroundColor") != "rgba(0, 0, 0, 0)"
    shot(page, "privacy-confirm-page")
    page.locator("#confirm").click()
    page.wait_for_selector("text=Request confirmed")
    assert "We are preparing your data export" in page.locator("main").inner_text()
    shot(page, "privacy-confirm-done")
    page.goto(link)  # the link again: its button now meets a used token, and says so in the same style
    page.locator("#confirm").click()
    page.wait_for_selector("text=This link cannot be used")
    shot(page, "privacy-confirm-used")
    assert [e for e in csp_errors if "status of 400" not in e] == []


def test_an_expired_token_says_so_and_shows_nothing(page: Any, served: Stack, customer: Customer,
                                                    csp_errors: list[str]) -> None:
    expired = account_token(customer.customer_id, customer.email, now=time.time() - 7200)
    page.goto(f"{served.api}/privacy-center#token={expired}")
    wait_status(page, "Your session has expired.")
    assert "token" not in page.url and page.locator("#marketing-switch").count() == 0
    assert [e for e in csp_errors if "status of 401" not in e] == []


def focus_by_tab(page: Any, selector: str, limit: int = 80) -> None:
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("s => document.activeElement && document.activeElement.matches(s)", selector):
            assert page.evaluate("() => { const r = document.activeElement.getBoundingClientRect();"
                                 " return r.width > 0 && r.height > 0; }")
            return
    raise AssertionError(f"Tab never reached {selector}")


def test_keyboard_only(page: Any, served: Stack, customer: Customer, csp_errors: list[str]) -> None:
    open_center(page, served, customer.token())
    focus_by_tab(page, "#marketing-switch")
    page.keyboard.press("Space")
    wait_status(page, "Saved.")
    assert page.locator("#marketing-switch").is_checked()
    focus_by_tab(page, "#deletion-confirm")
    page.keyboard.press("Space")
    focus_by_tab(page, "#deletion-button")
    page.keyboard.press("Enter")
    page.wait_for_selector("#cancel-deletion")
    page.locator("#cancel-deletion").focus()
    page.keyboard.press("Enter")
    wait_status(page, "The deletion is cancelled.")
    shot(page, "privacy-center-keyboard")
    open_center(page, served)
    focus_by_tab(page, "#guest-email")
    page.keyboard.type(f"keys.{customer.tag}@example.org")
    focus_by_tab(page, "#guest-send")
    page.keyboard.press("Enter")
    wait_status(page, "If the address is valid")
    assert csp_errors == []


def serious(page: Any) -> list[str]:
    return [f"{v['id']}: {v['help']}" for v in axe(page) if v["impact"] in ("serious", "critical")]


@pytest.mark.parametrize("viewport", [PHONE, {"width": 1280, "height": 800}], indirect=True, ids=["phone", "desktop"])
def test_axe_finds_no_serious_violation(browser: Any, viewport: dict[str, int], served: Stack,
                                        customer: Customer) -> None:
    # axe-core is injected as an inline script, which the page's CSP rightly refuses: this context bypasses it
    context = browser.new_context(viewport=viewport, locale="en-GB", bypass_csp=True)
    try:
        page = context.new_page()
        open_center(page, served, customer.token())
        assert serious(page) == []
        open_center(page, served)
        assert serious(page) == []
    finally:
        context.close()


@pytest.mark.parametrize("viewport", [PHONE], indirect=True, ids=["phone"])
def test_a_phone_sized_screen(page: Any, served: Stack, customer: Customer, csp_errors: list[str]) -> None:
    open_center(page, served, customer.token())
    page.locator("#export-button").click()
    page.wait_for_selector("#download-json", timeout=60_000)
    no_sideways = "document.documentElement.scrollWidth <= window.innerWidth"
    assert page.evaluate(no_sideways)
    width = page.evaluate("document.getElementById('export-button').getBoundingClientRect().width")
    assert width > PHONE["width"] * 0.7  # buttons take the width of the screen
    shot(page, "privacy-center-phone")
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(SCREENSHOTS / "privacy-center-phone-top.png"))  # one screen: the README's picture
    open_center(page, served)
    assert page.evaluate(no_sideways)
    shot(page, "privacy-center-phone-guest")
    assert csp_errors == []


@pytest.mark.parametrize("locale", ["de-DE", "et-EE"])
def test_the_page_speaks_the_browsers_language(browser: Any, served: Stack, customer: Customer, locale: str) -> None:
    context = browser.new_context(locale=locale)
    try:
        page = context.new_page()
        open_center(page, served, customer.token())
        title = {"de-DE": "Datenschutz-Center", "et-EE": "Privaatsuskeskus"}[locale]
        assert page.locator("h1").inner_text() == title
        assert page.evaluate("document.documentElement.lang") == locale[:2]
        shot(page, f"privacy-center-{locale[:2]}")
    finally:
        context.close()


def test_a_german_guest_gets_the_mail_and_the_confirm_page_in_german(browser: Any, served: Stack) -> None:
    """The page's language travels with the request: the verification mail (and what it says the law keeps) and
    the page its link opens are in German for a browser that asks for German."""
    context = browser.new_context(locale="de-DE")
    try:
        page = context.new_page()
        address = f"gast.{uuid.uuid4().hex[:8]}@example.org"
        open_center(page, served)
        page.locator("#guest-email").fill(address)
        page.locator("#guest-type").select_option("deletion")
        page.locator("#guest-send").click()
        wait_status(page, "Wenn die Adresse gültig ist")
        deadline = time.monotonic() + 30
        while not mail_to(served, address) and time.monotonic() < deadline:
            time.sleep(0.5)
        (text,) = mail_to(served, address)
        assert "Wir haben Ihre Datenschutzanfrage erhalten" in text and "Bestellungen und Zahlungen" in text
        assert "We have received" not in text and "orders and payments" not in text
        link = next(word for word in text.split() if "/privacy-requests/verify?token=" in word)
        page.goto(link)
        assert page.locator("h1").inner_text() == "Bestätigen Sie Ihre Datenschutzanfrage"
        page.locator("#confirm").click()
        page.wait_for_selector("text=Anfrage bestätigt")
        shot(page, "privacy-confirm-done-de")
    finally:
        context.close()
