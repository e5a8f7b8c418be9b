"""GET /consent.js and GET /consent.css through chalice.test.Client: content types, caching, the size budget
(< 10 KB gzipped for both), a CSP-compatible script (no eval, no inline style, no innerHTML), texts per language,
and hostile query strings and headers (same bytes or a 304/4xx, never a 5xx, nothing stored)."""

from __future__ import annotations

import gzip
import re
from typing import Any
from urllib.parse import urlencode

from hypothesis import given
from hypothesis import strategies as st

from chalicelib.handlers.banner import ASSETS
from tests.fakes.hostile import HOSTILE_SETTINGS, stored_state

BUDGET = 10 * 1024


def gzipped_size() -> int:
    """What the docs' command measures: gzip -9 of consent.js and consent.css, added."""
    return sum(len(gzip.compress((ASSETS / name).read_bytes(), 9)) for name in ("consent.js", "consent.css"))


def test_the_script_and_its_styles_are_served_with_their_types_and_cache_headers(client: Any) -> None:
    for path, kind in (("/consent.js", "text/javascript"), ("/consent.css", "text/css")):
        response = client.http.get(path)
        assert response.status_code == 200
        assert response.headers["Content-Type"] == f"{kind}; charset=utf-8"
        assert response.headers["Cache-Control"] == "public, max-age=3600"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Cross-Origin-Resource-Policy"] == "cross-origin"
        assert response.body == (ASSETS / path.lstrip("/")).read_bytes()
        etag = response.headers["ETag"]
        again = client.http.get(path, headers={"If-None-Match": f'W/"x", {etag}'})
        assert again.status_code == 304 and again.body == b""
        assert client.http.get(path, headers={"If-None-Match": '"other"'}).status_code == 200


def test_script_and_css_together_stay_under_10_kb_gzipped() -> None:
    size = gzipped_size()
    assert 1000 < size < BUDGET, f"{size} bytes gzipped"


def test_the_script_is_compatible_with_a_strict_content_security_policy() -> None:
    script = (ASSETS / "consent.js").read_text()
    for forbidden in ("eval(", "new Function", "innerHTML", "outerHTML", "insertAdjacentHTML", "document.write",
                      ".style.", "setAttribute('style'", "cssText", "setTimeout('"):
        assert forbidden not in script, forbidden
    assert "'/consent.css'" in script  # styles come from the stylesheet, through a <link>


def test_every_language_has_every_text() -> None:
    script = (ASSETS / "consent.js").read_text()
    block = script[script.index("var TEXTS = {"):script.index("var lang =")]
    languages = dict(re.findall(r"\n    (en|de|et): \{(.*?)cats:", block, re.S))
    assert set(languages) == {"en", "de", "et"}
    keys = {lang: set(re.findall(r"(\w+): '", text)) for lang, text in languages.items()}
    assert keys["en"] and keys["en"] == keys["de"] == keys["et"]


def test_other_methods_are_refused(client: Any) -> None:
    for path in ("/consent.js", "/consent.css"):
        assert client.http.post(path, body=b"x").status_code == 405
        assert client.http.put(path, body=b"x").status_code == 405


@HOSTILE_SETTINGS
@given(query=st.dictionaries(st.text(min_size=1, max_size=12), st.text(max_size=300), max_size=4),
       etag=st.text(max_size=2000).filter(lambda s: s.isascii() and s.isprintable()),
       path=st.sampled_from(["/consent.js", "/consent.css"]))
def test_hostile_queries_and_headers_get_the_same_file_or_a_4xx(client: Any, container: Any, table_items: Any,
                                                              query: dict[str, str], etag: str, path: str) -> None:
    world = stored_state(container, table_items)
    before = world()
    response = client.http.get(path + (f"?{urlencode(query)}" if query else ""),
                               headers={"If-None-Match": etag, "Origin": "https://evil.example"})
    assert response.status_code in (200, 304) or 400 <= response.status_code < 500
    if response.status_code == 200:
        assert response.body == (ASSETS / path.lstrip("/")).read_bytes()
    assert world() == before


def test_personal_data_in_a_query_or_header_never_reaches_the_logs(client: Any, log_output: Any) -> None:
    from tests.conftest import load_event

    customer = load_event("woocommerce/customer.created.payload.json")
    order = load_event("woocommerce/order.created.payload.json")
    person = {"email": customer["email"], "last_name": customer["last_name"], "phone": customer["billing"]["phone"],
              "address": customer["billing"]["address_1"], "ip": order["customer_ip_address"],
              "user_agent": order["customer_user_agent"]}
    query = urlencode({"email": person["email"], "name": person["last_name"]})
    headers = {"User-Agent": person["user_agent"], "CloudFront-Viewer-Address": f"{person['ip']}:50123",
               "Referer": f"https://store.example/?phone={person['phone']}", "If-None-Match": person["address"]}
    statuses = [client.http.get(f"{path}?{query}", headers=headers).status_code
                for path in ("/consent.js", "/consent.css")]
    statuses.append(client.http.post(f"/consent.js?{query}", headers=headers, body=b"x").status_code)
    assert statuses == [200, 200, 405]
    logs = log_output()
    for name, value in person.items():
        assert value not in logs, f"{name} leaked into the logs"


def test_the_policys_consent_mode_regions_are_written_into_the_script(client: Any, container: Any) -> None:
    from chalicelib.policy.model import ConsentMode
    from tests.helpers import store_policy

    default = client.http.get("/consent.js")
    assert b'var MODE = {"regions": [], "wait_for_update_ms": 500};' in default.body  # denied everywhere
    policy = store_policy("jetkrate")
    container.override(store_policy=policy.model_copy(update={"consent_mode": ConsentMode(
        regions=["AT", "DE", "US-CA"], wait_for_update_ms=800)}))
    regional = client.http.get("/consent.js")
    assert b'var MODE = {"regions": ["AT", "DE", "US-CA"], "wait_for_update_ms": 800};' in regional.body
    assert regional.headers["ETag"] != default.headers["ETag"]  # a cached copy of the other policy is not reused


def test_consent_mode_regions_must_be_iso_codes() -> None:
    import pytest
    from pydantic import ValidationError

    from chalicelib.policy.model import ConsentMode

    for bad in (["de"], ["EEA"], ['DE"]};alert(1)//'], ["D"], ["DE-"]):
        with pytest.raises(ValidationError):
            ConsentMode(regions=bad)
    with pytest.raises(ValidationError):
        ConsentMode(wait_for_update_ms=10_001)
