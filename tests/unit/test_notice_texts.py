"""The later mails to a data subject in English, German and Estonian (pure): every `NoticeTexts` instance has every
text, fills every template with no KeyError and no placeholder left, and the English texts are those the mails
always had."""

from __future__ import annotations

import dataclasses
import string
from types import SimpleNamespace
from typing import Any

import pytest

from chalicelib.domain.privacy_requests import Channel, Regime, RequestType
from chalicelib.mail import correction, restriction_texts, templates
from chalicelib.mail.notice_texts import EN, NOTICE_TEXTS, NoticeTexts, day_in, field_label, moment_in
from chalicelib.mail.texts import date_in, language_for

SENDER = templates.Sender("Shop OÜ (Shop)", "privacy@shop.example", dpo="dpo@shop.example", site="shop.example",
                          languages=("en", "de", "et"))
DUE = 1_798_000_000  # 23 December 2026
RECEIVED = 1_795_435_200  # 23 November 2026, 12:00 UTC
PLACEHOLDERS = {"ref", "what", "how", "received", "deadline", "date", "period", "url", "until", "reason", "since",
                "told", "categories", "count", "kind", "why", "name", "role", "state", "labels", "order", "group",
                "label", "time"}
RECEIPT = {"deleted": {"customer": 1, "order": 2, "consent_event": 1}, "exports_deleted": 1,
           "kept": {"order": {"count": 2, "until": DUE, "why": "legal obligation"}},
           "processors": [{"name": "PayPal", "role": "independent_controller", "status": "pending"},
                          {"name": "AWS", "role": "processor", "status": "acknowledged"}]}


def _texts_of(words: NoticeTexts) -> dict[str, str]:
    """Every text of an instance, by field (a dict's texts as field[key])."""
    found: dict[str, str] = {}
    for field in dataclasses.fields(words):
        value = getattr(words, field.name)
        if isinstance(value, str):
            found[field.name] = value
        elif isinstance(value, dict):
            found.update({f"{field.name}[{key}]": text for key, text in value.items()})
    return found


def request(kind: str = "correction", *, channel: Channel = Channel.LETTER, child: bool = False,
            regime: Regime = Regime.GDPR) -> Any:
    return SimpleNamespace(request_id="req123", type=RequestType(kind), channel=channel, child=child, regime=regime,
                           due_at=DUE, received_at=RECEIVED, extension_reason="Grund / põhjus",
                           result={"export": {"expires_at": RECEIVED + 7 * 86_400}})


def every_mail(language: str) -> list[tuple[str, str]]:
    """(subject, text) of every mail to a subject, in `language`, with every optional part shown."""
    mails = [templates.render("confirmation", request=request(kind, channel=channel, child=child, regime=regime),
                              sender=SENDER, language=language)
             for kind in ("access", "deletion", "correction", "opt_out", "restriction", "objection")
             for channel in (Channel.LETTER, Channel.PHONE, Channel.IN_PERSON, Channel.AGENT, Channel.WEB)
             for child in (False, True) for regime in Regime]
    mails += [templates.render("export_ready", request=request(), download_url="https://x.example/d?token=t",
                               sender=SENDER, language=language)]
    mails += [templates.render("extension", request=request(regime=regime), sender=SENDER, language=language)
              for regime in Regime]
    mails += [templates.render("receipt", receipt=receipt, request_id="req123", language=language)
              for receipt in (RECEIPT, {**RECEIPT, "kept": {}, "processors": []})]
    mails += [templates.render("receipt_update", request_id="req123", language=language, processors=[
        {"name": "PayPal", "role": "independent_controller", "status": status}
        for status in ("pending", "sent", "acknowledged", "failed")])]
    mails += [restriction_texts.restriction_applied(request_id="req123", since=RECEIVED, processors=names,
                                                    sender=SENDER, language=language) for names in ([], ["PayPal"])]
    mails += [restriction_texts.restriction_lifting(request_id="req123", reason="r", sender=SENDER,
                                                    language=language)]
    mails += [restriction_texts.objection_applied(request_id="req123", withdrawn=withdrawn, processors=names,
                                                  sender=SENDER, language=language)
              for withdrawn, names in (([], []), (["analytics", "marketing"], ["Google Analytics"]))]
    fields = ["first_name", "last_name", "email", "company", "phone", "billing.address_1", "billing.address_2",
              "billing.city", "billing.postcode", "billing.state", "billing.country", "shipping.city"]
    tasks = [correction.email_task(language), correction.order_task(999, fields, language)] + [
        correction.store_task(outcome, fields, language) for outcome in EN.task_store]
    mails += [correction.correction_answer(request_id="req123", corrected=fields, left=left, sender=SENDER,
                                           language=language) for left in ([], tasks)]
    return mails


@pytest.mark.parametrize("language", sorted(NOTICE_TEXTS))
def test_every_instance_has_every_text_with_only_known_placeholders(language: str) -> None:
    words = NOTICE_TEXTS[language]
    assert set(words.extended_periods) == set(Regime)
    for name in ("types", "channels", "states", "labels", "address_groups", "task_store"):
        assert set(getattr(words, name)) == set(getattr(EN, name)), name
    if language != "en":  # English shows record kinds, roles and categories as stored
        assert set(words.roles) == {"processor", "independent_controller"}
        assert {"customer", "order", "payment", "dispute", "consent_event", "marketing",
                "correspondence"} <= set(words.record_kinds)
        assert {"analytics", "marketing", "statistics", "advertising"} <= set(words.categories)
    for field, text in _texts_of(words).items():
        used = {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}
        assert used <= PLACEHOLDERS, (field, used - PLACEHOLDERS)
        assert text.strip(), field


@pytest.mark.parametrize("language", sorted(NOTICE_TEXTS))
def test_every_template_is_filled_in_every_language(language: str) -> None:
    for subject, text in every_mail(language):  # no KeyError on the way
        assert subject and "{" not in subject + text and "}" not in subject + text, text
        assert "req123" in text


@pytest.mark.parametrize("language", ["de", "et"])
def test_german_and_estonian_mails_carry_no_english_sentence(language: str) -> None:
    english = [literal.strip() for text in _texts_of(EN).values()
               for literal, *_ in string.Formatter().parse(text) if len(literal.strip()) >= 12]
    english += ["The privacy team of", "Privacy contact:", "Data protection officer:", " record(s)"]
    for subject, text in every_mail(language):
        assert subject not in {getattr(EN, f.name) for f in dataclasses.fields(EN)
                               if isinstance(getattr(EN, f.name), str)}
        leaked = [sentence for sentence in english if sentence in text]
        assert not leaked, (leaked, text)
        assert date_in(language, DUE) in text or "req123" in text


def test_english_is_what_the_mails_always_said() -> None:
    for regime in Regime:
        assert EN.extended_periods[regime] == templates.period_text(regime, extended=True)
        assert EN.deadline.format(date=date_in("en", DUE), period=templates.period_text(regime)) == \
            templates.deadline_text(regime, DUE)
    assert moment_in("en", DUE) == day_in("en", DUE) == "2026-12-23T04:26:40Z"  # ISO 8601, as always
    assert field_label("billing.city") == "billing address: city" and field_label("phone") == "phone"
    subject, text = templates.render("confirmation", request=request(), sender=SENDER)
    assert subject == "We received your privacy request"
    assert text.startswith("We received your request for the correction of your data by letter on 23 November "
                           "2026.\nReference: req123\nWe will answer by 23 December 2026 (one month, GDPR Art. "
                           "12(3)) at the latest.\n\nIf you did not make this request, reply to this message.\n")
    assert text.endswith("\n-- \nThe privacy team of Shop OÜ (Shop), shop.example\nPrivacy contact: "
                         "privacy@shop.example\nData protection officer: dpo@shop.example\n")


def test_dates_and_moments_in_german_and_estonian() -> None:
    assert moment_in("de", RECEIVED) == "23. November 2026, 12:00 Uhr UTC"
    assert moment_in("et", RECEIVED) == "23.11.2026 kell 12:00 UTC"
    assert field_label("billing.city", "de") == "Rechnungsadresse: Ort"
    assert field_label("shipping.postcode", "et") == "tarneaadress: postiindeks"


@pytest.mark.parametrize(("wanted", "languages", "chosen"), [
    ("de", ("en", "de", "et"), "de"), ("fr", ("en", "de", "et"), "en"), (None, ("et", "en"), "et"),
    ("de", ("en",), "en"), ("de", (), "en"), ("", ("de",), "de"), ("fr", ("fr", "de"), "de")])
def test_one_rule_chooses_the_language(wanted: str | None, languages: tuple[str, ...], chosen: str) -> None:
    assert language_for(wanted, languages) == chosen
    assert templates.Sender("S", "p@s.example", languages=languages).language(wanted) == chosen
