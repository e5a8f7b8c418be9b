"""The privacy@ replies in English, German and Estonian (pure): complete texts in each language, the deadline of
each regime, children, mail for a person."""

from __future__ import annotations

import re

import pytest

from chalicelib.domain.privacy_requests import Regime
from chalicelib.mail import replies
from chalicelib.mail.templates import Sender
from chalicelib.mail.texts import EN, TEXTS, date_in

SENDER = Sender("Shop OÜ (Shop)", "privacy@shop.example", dpo="dpo@shop.example", site="shop.example",
                languages=("en", "de", "et"), kept_by_law="orders, 7 years")
THREAD = replies.Thread("a@example.org", "Anfrage", "<m1@example.org>", ["<m0@example.org>"])
DUE = 1_798_000_000  # 23 December 2026
TYPES = ("access", "deletion", "correction", "opt_out", "restriction", "objection")
# sentences of the English texts that must not appear in a German or Estonian reply
ENGLISH = ("we have received", "Once you confirm", "Request reference", "at the latest", "This is an automatic",
           "The privacy team of", "Privacy contact", "Data protection officer", "Hello,", "one month", "45 days,")


@pytest.mark.parametrize("language", sorted(TEXTS))
def test_every_language_has_every_text(language: str) -> None:
    words = TEXTS[language]
    for name in ("kinds", "asks", "next_steps", "language_names"):
        assert set(getattr(words, name)) == set(getattr(EN, name)), name
    assert set(words.periods) == set(words.extension) == set(Regime)
    assert len(words.months) == 12


@pytest.mark.parametrize("language", ["de", "et"])
@pytest.mark.parametrize("kind", TYPES)
@pytest.mark.parametrize("regime", list(Regime))
def test_german_and_estonian_acknowledgements_are_whole_texts(language: str, kind: str, regime: Regime) -> None:
    ack = replies.Acknowledgement(kind, "req123", DUE, "https://x.example/v?token=t", 7, regime)
    text = replies.acknowledgement(ack, THREAD, language=language, sender=SENDER).text
    assert "req123" in text and "https://x.example/v?token=t" in text and date_in(language, DUE) in text
    for sentence in ENGLISH:
        assert sentence not in text, sentence
    assert "{" not in text and "}" not in text


@pytest.mark.parametrize("language", sorted(TEXTS))
def test_every_other_reply_is_in_the_language(language: str) -> None:
    offered = list(TYPES)
    texts = [
        replies.help_reply(THREAD, sender=SENDER, offered=offered, regime=Regime.GDPR, due_at=DUE, language=language,
                           answer_by=DUE).text,
        replies.unclear_reply(THREAD, sender=SENDER, offered=offered, regime=Regime.CCPA, due_at=DUE,
                              language=language, answer_by=DUE).text,
        replies.not_offered_reply(THREAD, kind="correction", sender=SENDER, offered=["access"],
                                  language=language).text,
        replies.received_reply(THREAD, sender=SENDER, regime=Regime.UK_GDPR, due_at=DUE, language=language).text,
        replies.child_account_reply(THREAD, sender=SENDER, regime=Regime.GDPR, due_at=DUE, language=language).text,
    ]
    for text in texts:
        assert "{" not in text and "}" not in text
        assert TEXTS[language].team.format(name=SENDER.name) in text
        if language != "en":
            for sentence in ENGLISH:
                assert sentence not in text, (sentence, text)


@pytest.mark.parametrize(("regime", "must", "must_not"), [
    (Regime.GDPR, ["(one month, GDPR Art. 12(3)) at the latest", "two further months"], ["10 business days"]),
    (Regime.UK_GDPR, ["(one month, UK GDPR Art. 12(3)) at the latest", "two further months"], ["10 business days"]),
    (Regime.CCPA, ["10 business days", "(45 days, CCPA, Cal. Civ. Code § 1798.130(a)(2)) at the latest",
                   "45 further days"], ["GDPR", "month"]),
    (Regime.STRICTEST, ["the earlier of one month (GDPR Art. 12(3)) and 45 days"], ["10 business days"]),
])
def test_the_acknowledgement_states_its_regimes_deadline(regime: Regime, must: list[str],
                                                         must_not: list[str]) -> None:
    ack = replies.Acknowledgement("access", "req1", DUE, None, 7, regime)
    text = replies.acknowledgement(ack, THREAD, language="en", sender=SENDER).text
    assert "by 23 December 2026 (" in text
    for phrase in must:
        assert phrase in text, phrase
    for phrase in must_not:
        assert phrase not in text, phrase


def test_dates_are_written_in_the_language() -> None:
    assert [date_in(lang, DUE) for lang in ("en", "de", "et")] == ["23 December 2026", "23. Dezember 2026",
                                                                   "23.12.2026"]


@pytest.mark.parametrize("language", sorted(TEXTS))
def test_a_childs_acknowledgement_says_we_act_at_once_and_the_guardian_is_confirmed(language: str) -> None:
    ack = replies.Acknowledgement("deletion", "req9", DUE, "https://x.example/v?token=t", 7, Regime.GDPR, child=True)
    text = replies.acknowledgement(ack, THREAD, language=language, sender=SENDER).text
    words = TEXTS[language]
    assert words.child_received in text and words.child_next.format(kept=words.kept.format(kept="orders, 7 years")) \
        in text
    assert "req9" in text and words.next_steps["deletion"][:30] not in text


def test_the_help_reply_offers_only_what_the_store_offers_and_says_a_person_answers() -> None:
    text = replies.help_reply(THREAD, sender=SENDER, offered=["access", "opt_out"], regime=Regime.GDPR, due_at=DUE,
                              language="de", answer_by=DUE).text
    assert "- Auskunft / Kopie" in text and "- Abmeldung" in text and "- Löschung" not in text
    assert "Eine Person aus unserem Datenschutzteam" in text and "spätestens bis zum 23. Dezember 2026" in text


def test_the_operators_answer_threads_and_is_signed_in_the_language() -> None:
    reply = replies.operator_answer(THREAD, text="Hallo,\n\nja.\n\n", sender=SENDER, language="de")
    assert reply.in_reply_to == "<m1@example.org>" and reply.references == ["<m0@example.org>", "<m1@example.org>"]
    assert reply.subject_line == "Re: Anfrage"
    assert re.match(r"Hallo,\n\nja\.\n\n-- \nDas Datenschutzteam von Shop", reply.text)
