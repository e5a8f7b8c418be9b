"""Classification is never more destructive than asked (EN, DE, ET): the labelled corpus of intents, negations,
mixed requests, quoted replies and children, and properties of negation."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.mail.classify import classify
from tests.conftest import EVENTS

INTENTS: list[dict[str, Any]] = json.loads((EVENTS / "mail" / "intents.json").read_text())["messages"]
DESTRUCTIVE = ("deletion", "child")  # the kinds that become a deletion request


def test_the_corpus_is_large_and_covers_every_language_and_outcome() -> None:
    assert len(INTENTS) >= 40
    assert {m["language"] for m in INTENTS} == {"en", "de", "et"}
    assert {m["kind"] for m in INTENTS} >= {"access", "deletion", "correction", "opt_out", "restriction",
                                            "objection", "child", "other", "unclear"}
    assert len({m["id"] for m in INTENTS}) == len(INTENTS)


@pytest.mark.parametrize("message", INTENTS, ids=[m["id"] for m in INTENTS])
def test_each_labelled_message_gets_its_kind_and_language(message: dict[str, Any]) -> None:
    result = classify(message["subject"], message["body"])
    assert (result.kind, result.language) == (message["kind"], message["language"])
    assert list(result.also) == message.get("also", [])


def test_no_message_that_does_not_ask_for_deletion_is_classified_as_one() -> None:
    for message in INTENTS:
        if not message["asks_deletion"]:
            assert classify(message["subject"], message["body"]).kind not in DESTRUCTIVE, message["id"]


def test_a_deletion_comes_only_from_a_message_that_asks_for_it() -> None:
    for message in INTENTS:
        if classify(message["subject"], message["body"]).kind in DESTRUCTIVE:
            assert message["asks_deletion"], message["id"]


def test_access_with_deletion_asks_for_the_copy_first_and_says_deletion_is_also_asked() -> None:
    result = classify("", "Delete my data, but send me a copy first.")
    assert (result.kind, result.also) == ("access", ("deletion",))


DELETIONS = [
    ("en", "please delete my data"), ("en", "erase my personal data"), ("en", "delete my account"),
    ("de", "bitte meine Daten löschen"), ("de", "Löschung meiner Daten"),
    ("et", "kustutage minu andmed"), ("et", "palun kustutada minu konto"),
]
NEGATIONS = {"en": ["do not", "don't", "don\u2019t", "never", "please do not", "I won't let you", "no need to",
                    "do not, please,", "I am not sure, but never"], "de": ["nicht", "bitte nicht", "keinesfalls"],
             "et": ["ärge", "ära", "mitte"]}
FILLER = st.sampled_from(["", "Hello,", "Thanks.", "Please send me a copy of my data.", "Guten Tag,",
                          "Tere,", "Bitte um Auskunft.", "I have a question.", "Restrict the processing instead."])


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(DELETIONS), st.data(), FILLER, FILLER)
def test_a_negation_before_a_deletion_phrase_never_yields_a_deletion(deletion: tuple[str, str], data: Any,
                                                                     before: str, after: str) -> None:
    language, phrase = deletion
    negation = data.draw(st.sampled_from(NEGATIONS[language]))
    body = f"{before}\n{negation} {phrase}\n{after}"
    assert classify("", body).kind not in DESTRUCTIVE
    assert classify(f"{negation} {phrase}", before).kind not in DESTRUCTIVE


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(["Please send me a copy of my data.", "Restrict the processing of my data.",
                                 "I object to profiling.", "Unsubscribe me.", "My address is wrong.",
                                 "Bitte senden Sie mir eine Kopie meiner Daten.", "Palun loobun uudiskirjast.",
                                 "When will my parcel arrive?", "Do not delete anything.", "Bitte nicht löschen.",
                                 "Ärge kustutage midagi.", "My son has an account."]), max_size=6),
       st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=80))
def test_messages_without_a_deletion_phrase_never_become_one(sentences: list[str], noise: str) -> None:
    body = " ".join(sentences)
    assert classify("", body).kind not in DESTRUCTIVE
    if not any(word in noise.lower() for word in ("del", "eras", "lösch", "loesch", "kustut", "forget", "wipe",
                                                  "remove", "close", "17", "vergessen", "unustatud", "eemald",
                                                  "konto schließen", "entfernen")):
        assert classify(noise, body + "\n" + noise).kind not in DESTRUCTIVE


@pytest.mark.parametrize(("subject", "body"), [
    ("", "Please delete my data.\n\n-- Forwarded message --\nFrom: x@example.org\nkeep everything"),
    ("Fwd: request", "FYI\n\n---------- Forwarded message ----------\nFrom: someone\nplease delete my data"),
])
def test_a_deletion_found_only_in_forwarded_content_is_never_acted_on(subject: str, body: str) -> None:
    result = classify(subject, body)
    if "FYI" in body:
        assert (result.kind, result.reason) == ("unclear", "quoted")
    else:
        assert result.kind == "deletion"
