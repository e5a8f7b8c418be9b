"""Hostile input on the mailing tool's routes (property-based, the pattern of test_hostile_input): a 4xx and nothing
stored, never a 5xx, whatever the body, the query or the one-click token."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from urllib.parse import quote, urlencode

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.fakes.hostile import (
    HOSTILE_SETTINGS,
    NEVER_ACCEPTED,
    Hostile,
    Route,
    check,
    hostile_anywhere,
    stored_state,
    with_hostile,
)

pytestmark = pytest.mark.slow

API_KEY = "local-dev-marketing-api-key-do-not-use-in-production"
AUTH = {"Content-Type": "application/json", "Authorization": f"Bearer {API_KEY}"}


@pytest.fixture
def world(client: Any, container: Any, table_items: Any) -> Callable[[], Any]:
    return stored_state(container, table_items)


def _post(path: str) -> Any:
    def send(client: Any, body: bytes) -> Any:
        return client.http.post(path, body=body, headers=AUTH)
    return send


ROUTES = [Route("permission", {"email": "jana.mueller@example.org"}, _post("/marketing/permission")),
          Route("unsubscribe headers", {"email": "jana.mueller@example.org"},
                _post("/marketing/unsubscribe-headers"))]


@pytest.mark.parametrize("route", ROUTES, ids=[route.name for route in ROUTES])
@HOSTILE_SETTINGS
@given(data=st.data())
def test_a_hostile_value_anywhere_is_refused_or_harmless(client: Any, world: Any, route: Route,
                                                         data: st.DataObject) -> None:
    hostile_anywhere(client, world, route, data)


@pytest.mark.parametrize("route", ROUTES, ids=[route.name for route in ROUTES])
@pytest.mark.parametrize("hostile", [*NEVER_ACCEPTED, Hostile("true", True, "true"), Hostile("5", True, "number"),
                                     Hostile('"a@b.example, c@d.example"', True, "a list"),
                                     Hostile('"x@example.org\\r\\nBcc: y@evil.example"', True, "CRLF")],
                         ids=lambda h: h.name)
def test_what_is_not_one_address_is_refused(client: Any, world: Any, route: Route,
                                            hostile: Hostile) -> None:
    check(client, world, route, with_hostile(route.base, ("email",), hostile), hostile)


tokens = st.one_of(st.text(max_size=300), st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCDEF0123456789-_.",
                                                  min_size=20, max_size=1500),
                   st.sampled_from(["", "a.b.c", "eyJhbGciOiJub25lIn0.e30.", "%00", "../../etc/passwd"]))
bodies = st.one_of(st.binary(max_size=300), st.just(b"List-Unsubscribe=One-Click"),
                   st.just(b"List-Unsubscribe=One-Click" * 400))
content_types = st.sampled_from(["application/x-www-form-urlencoded", "multipart/form-data; boundary=x",
                                 "multipart/form-data", "application/json", "text/plain"])


@HOSTILE_SETTINGS
@given(token=tokens, body=bodies, content_type=content_types)
def test_a_forged_one_click_is_refused_and_stores_nothing(client: Any, world: Any,
                                                          token: str, body: bytes, content_type: str) -> None:
    before = world()
    query = quote(token.encode("utf-8", "surrogatepass"), safe="")
    response = client.http.post(f"/marketing/unsubscribe?t={query}", body=body,
                                headers={"Content-Type": content_type})
    assert 400 <= response.status_code < 500, response.body[:200]
    assert world() == before
    page = client.http.get(f"/marketing/unsubscribe?t={query}")
    assert page.status_code == 400 and "<script" not in page.body.decode()
    assert world() == before


@HOSTILE_SETTINGS
@given(query=st.dictionaries(st.sampled_from(["cursor", "limit", "x", "t", "cursor[]"]),
                             st.one_of(st.text(max_size=100), st.just("f." + "f" * 64), st.just("9" * 30)),
                             max_size=3))
def test_a_hostile_query_of_the_list_is_a_400_or_a_page(client: Any, world: Any,
                                                        query: dict[str, str]) -> None:
    before = world()
    safe = {k: v.encode("utf-8", "surrogatepass").decode("utf-8", "replace") for k, v in query.items()}
    response = client.http.get("/marketing/suppressions" + (f"?{urlencode(safe)}" if safe else ""), headers=AUTH)
    assert response.status_code in (200, 400), response.body[:200]
    if response.status_code == 200:
        assert json.loads(response.body)["hashes"] == []
    else:
        assert world() == before
