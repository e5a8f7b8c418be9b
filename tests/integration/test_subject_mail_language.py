"""Every mail to a data subject in the language their request remembers (EN, DE, ET), at service level on moto
(SES in-process): the operator's confirmation, the export link, the extension, the erasure receipt and its final
update, the restriction, its lift and the objection, and the correction's answer.  A request without a language
(made before requests remembered it) is written in the store's first language; a language the store does not
answer in (jetrack: English only) is not used.  The language is set from the privacy@ message, the web form, the
account's browser and `cli submit --language`."""

from __future__ import annotations

import io
import json
import re
import string
from email.header import decode_header, make_header
from email.message import EmailMessage
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest

from chalicelib.cli import main
from chalicelib.mail.notice_texts import EN, NOTICE_TEXTS
from chalicelib.mail.texts import texts
from chalicelib.payloads.woocommerce import CustomerPayload, OrderPayload
from chalicelib.policy import ROOT, parse_policy
from chalicelib.services import privacy_requests as service
from chalicelib.services import processor_propagation as propagation
from chalicelib.services.privacy_requests import restriction as rights
from chalicelib.services.privacy_requests.operator_channels import submit_operator_request
from chalicelib.services.record_woocommerce import record_customer, record_order
from tests.conftest import EVENTS, NOW, load_event
from tests.fakes.inbound_mail import body_of, deliver, requests_of, sent_mail
from tests.fakes.subjects import EMAIL, seed_subject
from tests.helpers import account_token, bearer, drain_intake, store_policy

LANGUAGES = ["de", "et"]
EVIDENCE = "Signed letter; name and order number match the account"
JSON = {"Content-Type": "application/json"}


# -- helpers ----------------------------------------------------------------------------------------------------------
def _fragments(value: Any) -> list[str]:
    """The literal sentences of a text (or of every text of a dict): what the mail must show verbatim."""
    values = value.values() if isinstance(value, dict) else [value]
    found = []
    for text in values:
        for literal, *_ in string.Formatter().parse(text):
            found += [part.strip() for part in literal.split("\n") if len(part.strip()) >= 12]
    return found


def english(*fields: str) -> list[str]:
    return [fragment for name in fields for fragment in _fragments(getattr(EN, name))] + [
        "The privacy team of", "Privacy contact:"]


def subject_of(message: EmailMessage) -> str:
    return str(make_header(decode_header(str(message["Subject"]))))


def mails_to(address: str) -> list[EmailMessage]:
    return [m for m in sent_mail() if address in str(m["To"])]


def the_mail(address: str, subject: str) -> str:
    """The one mail to `address` with that subject (decoded): its text."""
    found = [m for m in mails_to(address) if subject_of(m) == subject]
    assert len(found) == 1, [subject_of(m) for m in mails_to(address)]
    return body_of(found[0])


def assert_written_in(language: str, address: str, subject_field: str, *fields: str, signed: bool = True,
                      also: tuple[str, ...] = ()) -> str:
    """The mail is in `language`: its subject, every sentence of the texts always shown, no placeholder left, no
    sentence of the English version; signed in the language."""
    words = NOTICE_TEXTS[language]
    text = the_mail(address, getattr(words, subject_field))
    assert "{" not in text and "}" not in text
    for fragment in [f for name in fields for f in _fragments(getattr(words, name))]:
        assert fragment in text, fragment
    if language != "en":
        leaked = [fragment for fragment in english(*fields, *also) if fragment in text]
        assert not leaked, leaked
    if signed:
        assert "\n-- \n" in text and texts(language).team.replace("{name}", "").strip() in text
        assert texts(language).contact.replace("{privacy}", "").strip() in text
    return text


def et_first_policy() -> Any:
    """jetcards' policy answering in Estonian first (its default), then English and German."""
    text = (ROOT / "policies" / "jetcards.toml").read_text(encoding="utf-8")
    assert 'languages = ["en", "de", "et"]' in text
    return parse_policy(text.replace('languages = ["en", "de", "et"]', 'languages = ["et", "en", "de"]', 1),
                        "<estonian first>")


def submitted(container: Any, kind: str, *, language: str | None, address: str = EMAIL, channel: str = "account",
              **extra: Any) -> Any:
    """A verified request (an account's, or `channel`), remembering `language` when given (None: made before
    requests did)."""
    done = service.submit_request(container, email=address, request_type=kind, channel=channel, received_at=NOW,
                                  needs_verification=False, customer_id="57" if channel == "account" else None,
                                  params={"language": language} if language else None, **extra)
    return service.get_request(container, done.request_id, now=NOW)


def token_of(url: str) -> str:
    return parse_qs(urlparse(url).query)["token"][0]


# -- each mail, in German and Estonian --------------------------------------------------------------------------------
@pytest.mark.parametrize("language", LANGUAGES)
def test_the_operators_confirmation_is_in_the_requests_language(container: Any, language: str) -> None:
    done = submit_operator_request(container, channel="letter", request_type="correction", email=EMAIL,
                                   evidence=EVIDENCE, actor="operator:dpo", now=NOW, language=language)
    assert done.confirmation == "sent"
    request = service.get_request(container, done.submitted.request_id, now=NOW)
    assert request.params["language"] == language
    text = assert_written_in(language, EMAIL, "confirmation_subject", "confirmation",
                             also=("types", "channels", "child_deadline"))
    words = NOTICE_TEXTS[language]
    assert words.types["correction"] in text and words.channels["letter"] in text
    assert texts(language).periods[request.regime] in text  # the regime's period, translated


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_export_link_is_in_the_requests_language(container: Any, language: str) -> None:
    seed_subject(container)
    request = service.fulfil(container, submitted(container, "access", language=language, channel="web"), now=NOW,
                             inline=True)
    assert request.status.value == "completed"
    text = assert_written_in(language, EMAIL, "export_subject", "export_ready")
    assert "/privacy-requests/download?token=" in text
    assert " UTC" in text and "T12:" not in text  # the link's expiry as a date in the language, not ISO 8601


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_extension_notice_is_in_the_requests_language(container: Any, language: str) -> None:
    request = submitted(container, "correction", language=language)
    extended = service.extend_request(container, request_id=request.request_id, reason="Belege des Shops fehlen",
                                      actor="operator:o", now=NOW)
    assert extended.extension_notice_sent
    text = assert_written_in(language, EMAIL, "extension_subject", "extension", also=("extended_periods",))
    assert NOTICE_TEXTS[language].extended_periods[extended.regime] in text and "Belege des Shops fehlen" in text


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_erasure_receipt_and_its_final_update_are_in_the_requests_language(container: Any, clock: Any,
                                                                               language: str) -> None:
    seed_subject(container, customer_id="57")
    scheduled = service.fulfil(container, submitted(container, "deletion", language=language), now=NOW, inline=True)
    done = service.execute_deletion(container, scheduled, now=NOW)
    assert done.result["receipt"]["language"] == language
    words = NOTICE_TEXTS[language]
    text = assert_written_in(language, EMAIL, "receipt_subject", "receipt_intro", "deleted_heading",
                             "kept_heading", "key_destroyed", "processors_heading", "write_again",
                             signed=False, also=("states", "kept_nothing", "processors_none"))
    assert words.record_kinds["order"] in text and words.states["pending"] in text
    assert words.roles["processor"] in text and "record(s)" not in text
    later = NOW + propagation.NOTICE_MAX_SECONDS + 1  # what is still open fails: the final update goes out
    clock.set(later)
    container.privacy_requests.schedule_work(propagation.WorkItem(propagation.PROCESSORS, done.request_id, later))
    propagation.run_propagation(container, now=later)
    update = assert_written_in(language, EMAIL, "update_subject", "update_intro", "update_outro", signed=False,
                               also=("states",))
    assert words.states["failed"] in update


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_restriction_its_lift_and_the_objection_are_in_the_requests_language(container: Any,
                                                                                language: str) -> None:
    seed_subject(container)
    restriction = service.fulfil_safely(container, submitted(container, "restriction", language=language), now=NOW)
    assert restriction.status.value == "completed"
    words = NOTICE_TEXTS[language]
    text = assert_written_in(language, EMAIL, "restricted_subject", "restricted", also=("restricted_nobody",))
    assert " UTC" in text
    rights.lift_restriction(container, request_id=restriction.request_id, reason="Rechtsstreit beendet",
                            actor="operator:o", now=NOW + 60)
    assert "Rechtsstreit beendet" in assert_written_in(language, EMAIL, "lifting_subject", "lifting")
    service.fulfil_safely(container, submitted(container, "objection", language=language), now=NOW + 120)
    text = assert_written_in(language, EMAIL, "objection_subject", "objection",
                             also=("objection_none_granted", "objection_nobody"))
    assert words.objection_none_granted in text or any(name in text for name in words.categories.values())


def seed_store_customer(container: Any) -> None:
    ports = container.webhook_ports
    record_customer(CustomerPayload.model_validate(load_event("woocommerce/customer.created.payload.json")), ports)
    record_order(OrderPayload.model_validate({**load_event("woocommerce/order.created.payload.json"), "id": 1234}),
                 ports)


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_correction_answer_its_field_names_and_tasks_are_in_the_requests_language(container: Any,
                                                                                      language: str) -> None:
    address = "jana.mueller@example.org"  # the customer of the WooCommerce fixtures; no store API keys here
    seed_store_customer(container)
    request = service.fulfil_safely(container, submitted(
        container, "correction", language=language, address=address,
        changes={"first_name": "Janna", "email": "jana.neu@example.org", "billing": {"city": "Potsdam"}},
        order_ids=[1234, 999]), now=NOW)
    assert request.result["correction"]["store"] == "not_configured"
    words = NOTICE_TEXTS[language]
    text = assert_written_in(language, address, "correction_tasks_subject", "correction_intro",
                             "corrected_heading", "left_heading", "task_email",
                             also=("nothing_further", "task_store", "task_order", "labels"))
    city = words.address_label.format(group=words.address_groups["billing"], label=words.labels["city"])
    assert f"  - {words.labels['first_name']}\n" in text and f"  - {city}\n" in text
    assert words.task_store["not_configured"].split("(")[0] in text and "999" in text
    assert "Janna" not in text and "Potsdam" not in text and "jana.neu" not in text  # names only, never values


# -- the default and a store that answers in English only ------------------------------------------------------------
def test_a_request_without_a_language_is_written_in_the_stores_first_language(container: Any) -> None:
    container.override(store_policy=et_first_policy())
    seed_subject(container, customer_id="57")
    request = submitted(container, "correction", language=None)
    assert "language" not in request.params  # as a request made before requests remembered their language
    service.extend_request(container, request_id=request.request_id, reason="r", actor="operator:o", now=NOW)
    assert_written_in("et", EMAIL, "extension_subject", "extension", also=("extended_periods",))
    scheduled = service.fulfil(container, submitted(container, "deletion", language=None), now=NOW, inline=True)
    done = service.execute_deletion(container, scheduled, now=NOW)
    assert "language" not in done.result["receipt"]
    assert_written_in("et", EMAIL, "receipt_subject", "receipt_intro", "key_destroyed", signed=False)


def test_the_language_asked_at_submit_is_kept_as_the_store_answers(container: Any) -> None:
    container.override(store_policy=et_first_policy())
    assert submitted(container, "correction", language="fr").params["language"] == "et"  # not written: default
    assert submitted(container, "correction", language="de").params["language"] == "de"


def test_jetrack_answers_in_english_even_when_german_was_asked(container: Any) -> None:
    container.override(store_policy=store_policy("jetrack"))
    seed_subject(container)
    request = submitted(container, "access", language="de", channel="web")
    assert request.params["language"] == "en"
    service.fulfil(container, request, now=NOW, inline=True)
    text = the_mail(EMAIL, EN.export_subject)
    assert "The export contains a machine-readable JSON file" in text and "Privacy contact:" in text
    assert not [f for f in _fragments(NOTICE_TEXTS["de"].export_ready) if f in text]


def test_jetrack_mails_english_even_for_a_request_that_remembers_german(container: Any) -> None:
    """A request remembering a language the store's policy no longer lists is answered in the store's default."""
    request = submitted(container, "correction", language="de")  # made under jetcards (en, de, et)
    container.override(store_policy=store_policy("jetrack"))
    service.extend_request(container, request_id=request.request_id, reason="r", actor="operator:o", now=NOW)
    text = the_mail(EMAIL, EN.extension_subject)
    assert "The law allows one extension of this kind" in text and "{" not in text


# -- where the language comes from ------------------------------------------------------------------------------------
@pytest.mark.parametrize(("message", "language"), [("multipart-access-de.eml", "de"), ("mixed-access-et.eml", "et")])
def test_a_mailed_request_remembers_the_language_it_was_written_in(container: Any, message: str,
                                                                   language: str) -> None:
    corpus = json.loads((EVENTS / "mail" / "corpus.json").read_text(encoding="utf-8"))
    address = corpus[message]["from"]
    seed_subject(container, address, customer_id="91")
    deliver(container, message, f"lang{language}0001")
    (item,) = requests_of(container, address)
    assert item["data"]["params"]["language"] == language
    (reply,) = mails_to(address)
    link = re.search(r"https?://\S+/privacy-requests/verify\?token=\S+", body_of(reply))
    assert link
    service.verify_request(container, token=token_of(link.group(0)), now=NOW + 60)
    assert_written_in(language, address, "export_subject", "export_ready")


def test_a_web_form_request_remembers_the_pages_language(client: Any, container: Any) -> None:
    seed_subject(container)
    body = {"email": EMAIL, "type": "access", "language": "et"}
    assert client.http.post("/privacy-requests", headers=JSON, body=json.dumps(body)).status_code == 202
    assert drain_intake(client) == 1
    (verification,) = mails_to(EMAIL)
    link = re.search(r"https?://\S+/privacy-requests/verify\?token=\S+", body_of(verification))
    assert link
    request = service.verify_request(container, token=token_of(link.group(0)), now=NOW + 60)
    assert request.params["language"] == "et"
    assert_written_in("et", EMAIL, "export_subject", "export_ready")


@pytest.mark.parametrize(("accept", "language"), [("de-DE,de;q=0.9,en;q=0.5", "de"), ("et", "et"),
                                                   ("fr-FR", "en"), (None, "et")])
def test_an_account_request_remembers_the_browsers_language(client: Any, container: Any, accept: str | None,
                                                            language: str) -> None:
    container.override(store_policy=et_first_policy() if accept is None else store_policy("jetcards"))
    seed_subject(container)
    headers = {**bearer(account_token("57", EMAIL, now=NOW)), **JSON,
               **({"Accept-Language": accept} if accept else {})}  # none: the store's first language
    answer = client.http.post("/account/restriction", headers=headers, body="")
    assert answer.status_code == 202, answer.body
    request = service.get_request(container, json.loads(answer.body)["request_id"], now=NOW)
    assert request.params["language"] == language
    assert_written_in(language, EMAIL, "restricted_subject", "restricted")


def cli(container: Any, *argv: str) -> tuple[int, str]:
    out = io.StringIO()
    code = main(["--operator", "dpo", *argv], container=container, out=out)
    return code, out.getvalue()


def test_cli_submit_language_writes_the_confirmation_in_it(container: Any) -> None:
    code, out = cli(container, "submit", "--channel", "letter", "--type", "correction", "--email", EMAIL,
                    "--evidence", EVIDENCE, "--language", "de")
    assert code == 0 and "confirmation sent" in out
    request = service.get_request(container, out.split()[0], now=NOW)
    assert request.params["language"] == "de"
    assert_written_in("de", EMAIL, "confirmation_subject", "confirmation")


def test_cli_submit_without_language_uses_the_stores_first(container: Any) -> None:
    container.override(store_policy=et_first_policy())
    code, out = cli(container, "submit", "--channel", "letter", "--type", "correction", "--email", EMAIL,
                    "--evidence", EVIDENCE)
    assert code == 0
    assert service.get_request(container, out.split()[0], now=NOW).params["language"] == "et"
    assert_written_in("et", EMAIL, "confirmation_subject", "confirmation")


@pytest.mark.parametrize("value", ["fr", "DE-de", "", "en,de"])
def test_cli_submit_refuses_a_language_it_does_not_write_and_stores_nothing(container: Any, table_items: Any,
                                                                            value: str) -> None:
    before = table_items()
    code, out = cli(container, "submit", "--channel", "letter", "--type", "correction", "--email", EMAIL,
                  "--evidence", EVIDENCE, "--language", value)
    assert code == 2 and "--language" in out, out
    assert table_items() == before and mails_to(EMAIL) == []
