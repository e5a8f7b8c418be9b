"""The privacy center's routes (chalice.test.Client): the exact security headers on every page, the content types,
no inline script, style or event handler in the HTML (parsed), everything escaped, the same page whatever the query
(the token is never read by the server, nor logged), and the confirm page in the same style."""

from __future__ import annotations

import json
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qs, urlencode, urlparse

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.domain.retention import Category
from tests.conftest import NOW
from tests.fakes.hostile import HOSTILE_SETTINGS, stored_state
from tests.fakes.subjects import EMAIL, mail_text, put_subject_item, read_object, seed_subject, sent_mail
from tests.helpers import account_token, bearer, drain_intake, jwt_attacks

CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
       "form-action 'self'; base-uri 'none'; object-src 'none'; "
       "frame-ancestors http://127.0.0.1:8000 http://localhost:3000 https://store.example")
PAGES = {"/privacy-center": "text/html; charset=utf-8", "/privacy-center/app.js": "text/javascript; charset=utf-8",
         "/privacy-center/app.css": "text/css; charset=utf-8", "/privacy-center/icon.svg": "image/svg+xml"}
JSON = {"Content-Type": "application/json"}
XSS = "<script>alert(1)</script>"


class Document(HTMLParser):
    """What the security rules forbid in a page: inline scripts, style elements or attributes, event handlers."""

    def __init__(self) -> None:
        super().__init__()
        self.scripts: list[dict[str, str | None]] = []
        self.inline: list[str] = []
        self._in_script = False
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "script":
            self.scripts.append(attributes)
            self._in_script = True
        if tag == "style":
            self.inline.append("<style>")
        for name, value in attrs:
            if name.startswith("on") or name == "style":
                self.inline.append(f"{tag}[{name}]")
            if value and value.strip().lower().startswith("javascript:"):
                self.inline.append(f"{tag}[{name}=javascript:]")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.inline.append("inline script")
        self.text.append(data)


def parse(body: bytes) -> Document:
    document = Document()
    document.feed(body.decode())
    document.close()
    return document


def assert_secure(response: Any, content_type: str) -> None:
    assert response.status_code == 200, response.body[:300]
    headers = response.headers
    assert headers["Content-Type"] == content_type
    assert headers["Content-Security-Policy"] == CSP
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "no-referrer"
    assert headers["Cache-Control"] == "no-store"
    assert "Set-Cookie" not in headers


@pytest.mark.parametrize("path", sorted(PAGES))
def test_every_part_has_the_strict_headers_and_its_content_type(client: Any, path: str) -> None:
    assert_secure(client.http.get(path), PAGES[path])


def test_the_page_has_no_inline_script_style_or_handler_and_names_the_store(client: Any) -> None:
    document = parse(client.http.get("/privacy-center").body)
    assert document.inline == []
    assert [script.get("src") for script in document.scripts] == ["privacy-center/app.js"]
    assert "JETCARDS" in "".join(document.text)


def test_the_script_writes_text_only_and_never_evaluates(client: Any) -> None:
    script = client.http.get("/privacy-center/app.js").body.decode()
    for forbidden in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function",
                      "localStorage", "sessionStorage", "document.cookie", "setTimeout(\"", "setAttribute(\"on"):
        assert forbidden not in script, forbidden
    assert "history.replaceState" in script and "Authorization" in script and 'credentials: "omit"' in script


def test_the_colour_comes_from_the_policy_and_defaults_without_branding(client: Any, container: Any) -> None:
    from chalicelib.policy.model import Branding

    assert client.http.get("/privacy-center/app.css").body.startswith(b":root{--primary:#1d4ed8;--on-primary:#ffffff}")
    policy = container.store_policy
    container.override(store_policy=policy.model_copy(update={"branding": Branding(primary="#FFD400", cites="x")}))
    assert client.http.get("/privacy-center/app.css").body.startswith(b":root{--primary:#FFD400;--on-primary:#000000}")


@pytest.mark.parametrize("colour", ["red", "#12345", "#1234567", "#12345g", "#123;}body{x", "", "#fff"])
def test_a_branding_colour_is_a_six_digit_hex_colour(colour: str) -> None:
    from pydantic import ValidationError

    from chalicelib.policy.model import Branding

    with pytest.raises(ValidationError):
        Branding(primary=colour, cites="x")


def test_the_stores_name_is_escaped(client: Any, container: Any) -> None:
    policy = container.store_policy
    hostile = policy.controller.model_copy(update={"trading_name": XSS + "\"'&"})
    container.override(store_policy=policy.model_copy(update={"controller": hostile}))
    body = client.http.get("/privacy-center").body.decode()
    assert XSS not in body and "&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#x27;&amp;" in body
    assert parse(body.encode()).inline == []


def test_frame_ancestors_takes_plain_origins_only(container: Any, client: Any) -> None:
    from chalicelib.handlers.pages import frame_ancestors

    assert frame_ancestors([]) == "'none'"
    assert frame_ancestors(["https://shop.example", "https://x.example; script-src *", "*", "'self'"]) == \
        "https://shop.example"


def test_the_page_is_the_same_whatever_the_query_and_the_token_is_never_logged(client: Any,
                                                                               log_output: Any) -> None:
    plain = client.http.get("/privacy-center").body
    token = account_token(now=NOW)
    assert client.http.get(f"/privacy-center?token={token}").body == plain
    assert client.http.get(f"/privacy-center?{urlencode({'token': XSS, 'lang': XSS})}").body == plain
    logs = log_output()
    assert token not in logs and EMAIL not in logs


@pytest.mark.parametrize("attack", sorted(jwt_attacks(NOW)))
def test_the_account_calls_the_center_makes_refuse_every_bad_token(client: Any, attack: str) -> None:
    token = jwt_attacks(NOW)[attack]
    headers = bearer(token) if token else {}
    for method, path in (("get", "/account/privacy"), ("put", "/account/privacy/marketing"),
                         ("get", "/account/requests"), ("post", "/account/export")):
        call = getattr(client.http, method)
        response = call(path, headers=headers) if method == "get" else \
            call(path, headers={**headers, **JSON}, body=json.dumps({"email_marketing": False}))
        assert response.status_code == 401, (attack, path)


@HOSTILE_SETTINGS
@given(query=st.dictionaries(st.text(min_size=1, max_size=12), st.text(max_size=40), max_size=3),
       headers=st.dictionaries(st.sampled_from(["Accept-Language", "Origin", "Referer", "Cookie", "X-Forwarded-For"]),
                               st.text(max_size=60).filter(lambda v: v.isprintable() and v.isascii()), max_size=3))
@pytest.mark.slow
def test_hostile_queries_and_headers_change_neither_the_page_nor_the_tables(client: Any, container: Any,
                                                                            table_items: Any,
                                                                            query: dict[str, str],
                                                                            headers: dict[str, str]) -> None:
    world = stored_state(container, table_items)
    before = world()
    for path, content_type in PAGES.items():
        response = client.http.get(path + (f"?{urlencode(query)}" if query else ""), headers=headers)
        assert_secure(response, content_type)
    assert world() == before


def test_the_center_posts_same_origin_even_when_its_origin_is_not_a_store(client: Any, container: Any) -> None:
    """The center lives on the API's origin, which need not be among ALLOWED_ORIGINS: its own calls pass."""
    headers = {**bearer(account_token(now=NOW)), **JSON, "Host": "api.example.net",
               "Origin": "https://api.example.net"}
    answer = client.http.put("/account/privacy/marketing", headers=headers, body=json.dumps({"email_marketing": True}))
    assert answer.status_code == 200 and "Access-Control-Allow-Origin" not in answer.headers
    other = {**headers, "Origin": "https://evil.example"}
    assert client.http.put("/account/privacy/marketing", headers=other,
                           body=json.dumps({"email_marketing": False})).status_code == 403


def test_script_in_every_text_field_is_escaped_by_the_export(client: Any, container: Any) -> None:
    """`<script>` in every text field the center sends (a correction of every field; the data held) comes back as
    text in the export's HTML."""
    subject = seed_subject(container)
    put_subject_item(container, subject, pk="X#1", sk="X", kind="correspondence", ident="x",
                     category=Category.CORRESPONDENCE,
                     start=NOW, data={"note": XSS}, personal={"body": XSS, "name": XSS})
    auth = {**bearer(account_token(now=NOW)), **JSON}
    changes = {"first_name": XSS, "last_name": XSS,
               "billing": {"first_name": XSS, "last_name": XSS, "company": XSS, "address_1": XSS, "address_2": XSS,
                           "city": XSS, "state": XSS},
               "shipping": {"address_1": XSS, "city": XSS}}
    corrected = client.http.post("/account/requests", headers=auth, body=json.dumps({"type": "correction",
                                                                                      "changes": changes}))
    assert corrected.status_code == 202, corrected.body
    for field in ("postcode", "country", "phone"):  # these refuse markup outright
        refused = client.http.post("/account/requests", headers=auth, body=json.dumps(
            {"type": "correction", "changes": {"billing": {field: XSS}}}))
        assert refused.status_code == 400 and XSS.encode() not in refused.body
    made = json.loads(client.http.post("/account/export", headers=auth, body="").body)
    view = json.loads(client.http.get(f"/account/requests/{made['request_id']}", headers=auth).body)
    page = read_object(container, object_key(view["download"]["html"], container.settings.exports_bucket)).decode()
    assert "<script>alert" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def object_key(url: str, bucket: str) -> str:
    """The S3 key of a presigned URL, virtual-hosted (bucket.s3...) or path-style (s3.../bucket/key)."""
    from urllib.parse import unquote

    parsed = urlparse(url)
    path = unquote(parsed.path).lstrip("/")
    return path if parsed.netloc.startswith(bucket + ".") else path.removeprefix(bucket + "/")


def _mailed_token(client: Any, address: str, kind: str) -> str:
    """A guest's request through the form and the intake consumer: the token of the link it was mailed."""
    client.http.post("/privacy-requests", headers=JSON, body=json.dumps({"email": address, "type": kind}))
    drain_intake(client)
    mail = next(m for m in sent_mail() if m["To"] == address)
    link = next(line for line in mail_text(mail).splitlines() if "/privacy-requests/verify?token=" in line)
    return str(parse_qs(urlparse(link.strip()).query)["token"][0])


def test_the_confirm_page_has_the_centers_style_and_headers(client: Any, container: Any) -> None:
    token = _mailed_token(client, "guest.confirm@example.org", "access")
    page = client.http.get(f"/privacy-requests/verify?token={token}")
    assert_secure(page, "text/html; charset=utf-8")
    document = parse(page.body)
    assert document.inline == [] and b'href="../privacy-center/app.css"' in page.body
    assert b"JETCARDS" in page.body and b"Confirm my request" in page.body
    done = client.http.post("/privacy-requests/verify", body=f"token={token}",
                            headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert_secure(done, "text/html; charset=utf-8")
    assert b"Request confirmed" in done.body and parse(done.body).inline == []


def test_a_used_or_bad_link_is_a_page_in_the_same_style_not_json(client: Any, container: Any) -> None:
    token = _mailed_token(client, "guest.twice@example.org", "opt_out")
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    assert client.http.post("/privacy-requests/verify", body=f"token={token}", headers=form).status_code == 200
    for refused in (client.http.post("/privacy-requests/verify", body=f"token={token}", headers=form),
                    client.http.post("/privacy-requests/verify", body="", headers=form),
                    client.http.get("/privacy-requests/verify?token=%3Cscript%3E")):
        assert refused.status_code == 400
        assert refused.headers["Content-Type"] == "text/html; charset=utf-8"
        assert refused.headers["Content-Security-Policy"] == CSP
        assert b"This link cannot be used" in refused.body and b"<script>" not in refused.body
        assert parse(refused.body).inline == []


@pytest.mark.parametrize(("header", "offered", "expected"), [
    (None, ["en", "de", "et"], "en"),
    ("de-DE,de;q=0.9,en;q=0.8", ["en", "de", "et"], "de"),
    ("fr-FR, et;q=0.5, de;q=0.4", ["en", "de", "et"], "et"),
    ("de;q=0.2, et;q=0.9", ["en", "de", "et"], "et"),
    ("de-AT", ["en"], "en"),  # the store answers in English only
    ("de;q=abc, et;q=nan, de;q=0, ;;;,,," + "x" * 2000, ["en", "de", "et"], "en"),
])
def test_the_confirm_page_speaks_the_browsers_language_among_the_stores(header: str | None, offered: list[str],
                                                                        expected: str) -> None:
    from chalicelib.handlers.page_texts import TEXTS, language

    assert language(header, offered) == expected
    assert {lang: set(texts) for lang, texts in TEXTS.items()} == {lang: set(TEXTS["en"]) for lang in TEXTS}


def test_the_confirm_page_in_german(client: Any, container: Any) -> None:
    page = client.http.get("/privacy-requests/verify?token=abc-def_0123456789",
                           headers={"Accept-Language": "de-DE,de;q=0.9"})
    assert page.status_code == 200 and page.headers["Vary"] == "Accept-Language"
    assert '<html lang="de">' in page.body.decode() and "Meine Anfrage bestätigen" in page.body.decode()
    refused = client.http.post("/privacy-requests/verify", body="token=abc",
                               headers={"Content-Type": "application/x-www-form-urlencoded", "Accept-Language": "et"})
    assert refused.status_code == 400 and "Seda linki ei saa kasutada" in refused.body.decode()
