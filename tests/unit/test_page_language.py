"""The language of a page and of the mail a request from it gets (handlers/page_texts.language)."""

from __future__ import annotations

import pytest

from chalicelib.handlers.page_texts import language


@pytest.mark.parametrize(("header", "offered", "expected"), [
    ("de-DE,de;q=0.9,en;q=0.5", ["en", "de", "et"], "de"),
    ("fr-FR,en;q=0.3,et;q=0.8", ["en", "de", "et"], "et"),  # by q, among the store's
    ("fr-FR", ["et", "en"], "et"),  # none of the browser's: the store's first
    (None, ["de", "en"], "de"),
    ("de", ["en"], "en"),  # a store that answers in English only
    ("de", ["fr"], "en"),  # no language the pages have: English
    ("de;q=abc, et;q=2, ,;;,", ["en", "de", "et"], "en"),  # malformed parts are passed over, never an error
])
def test_the_browsers_language_among_the_stores_else_the_stores_first(header: str | None, offered: list[str],
                                                                     expected: str) -> None:
    assert language(header, offered) == expected
