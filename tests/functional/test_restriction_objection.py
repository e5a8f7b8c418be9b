"""Restriction of processing (GDPR Art. 18) and objection (Art. 21), from the account's request to the subject's
answer: the data kept but not used, webhook deliveries still recorded and marked, consent withdrawn with proof,
marketing off, the processors told and tracked, the export showing it, and the operator's lift after telling the
subject."""

from __future__ import annotations

import json
from typing import Any

import pytest

from chalicelib import aws
from chalicelib.domain.consent import ProofContext, holder_for_account, holder_for_visitor
from chalicelib.errors import ConflictError, InvalidInputError
from chalicelib.services import privacy_requests as service
from chalicelib.services.marketing import get_marketing_preference
from chalicelib.services.privacy_requests import restriction as rights
from chalicelib.services.record_consent import ConsentCommand, ConsentRules, Owner, record_consent
from chalicelib.storage.restrictions import restriction_pk
from tests.conftest import EVENTS, NOW
from tests.fakes.faults import refusing
from tests.fakes.policies import fourth_policy
from tests.fakes.subjects import EMAIL, PERSONAL, mail_text, read_object, seed_subject, sent_mail
from tests.helpers import account_token, bearer, jwt_attacks, store_policy, wc_post

JSON = {"Content-Type": "application/json"}
WC = EVENTS / "woocommerce"


def auth(customer_id: str = "57", address: str = EMAIL) -> dict[str, str]:
    return {**bearer(account_token(customer_id, address, now=NOW)), **JSON}


def consent_everything(container: Any, subject: str, visitor: str = "visitor-1") -> str:
    """A browser linked to the account granted every optional category of the store."""
    rules = ConsentRules.of(container)
    holder = holder_for_visitor(visitor, container.pepper)
    record_consent(container.consent, ConsentCommand("accept_all", None, rules.current_policy_version, "banner"),
                   ProofContext(), holder=holder, now=NOW - 60, rules=rules, owner=Owner(subject, "57"))
    return holder


def order_body(address: str = EMAIL, ident: int = 4321) -> bytes:
    payload = json.loads((WC / "order.created.payload.json").read_text())
    payload["id"] = ident
    payload["billing"]["email"] = address
    return json.dumps(payload).encode()


def restricted(client: Any) -> dict[str, Any]:
    posted = client.http.post("/account/restriction", headers=auth(), body="")
    assert posted.status_code == 202, posted.body
    return dict(json.loads(posted.body))


def items_with(table_items: Any, prefix: str) -> list[dict[str, Any]]:
    return [item for item in table_items() if str(item["pk"]).startswith(prefix)]


# -- restriction ----------------------------------------------------------------------------------------------------
def test_a_restriction_keeps_the_data_stops_its_use_and_marks_later_deliveries(client: Any, container: Any,
                                                                                table_items: Any) -> None:
    subject = seed_subject(container)
    holder = consent_everything(container, subject)
    before = {(i["pk"], i["sk"]) for i in table_items()}
    answer = restricted(client)
    assert answer["status"] == "completed"
    request = service.get_request(container, answer["request_id"], now=NOW)
    assert request.result["restriction"] == {"status": "active", "since": NOW, "by_request": request.request_id}
    # kept: nothing was deleted
    assert before <= {(i["pk"], i["sk"]) for i in table_items()}
    # not used: the analytics and advertising categories are withdrawn with proof, marketing is off
    state = container.consent.current(holder, now=NOW)
    assert state.source == "restriction" and not state.effective.granted("analytics")
    assert not state.effective.granted("marketing") and state.effective.granted("preferences")
    assert state.overrides["analytics"] == f"restriction:{request.request_id}"
    assert get_marketing_preference(container, subject) is False
    # a delivery is still recorded, and marked
    assert wc_post(client, "order.created", order_body()).status_code == 200
    [order] = [i for i in table_items() if i["pk"] == "ORDER#4321"]
    assert order["subject_pk"] == f"SUBJ#{subject}"
    markers = [i for i in items_with(table_items, restriction_pk(subject)) if i["kind"] == "restricted_delivery"]
    assert [m["data"]["item"] for m in markers] == ["order"]
    # the subject was told, in a mail that names the processors told
    told = [m for m in sent_mail() if m["To"] == EMAIL and m["Subject"] == "Your data is restricted"]
    assert len(told) == 1 and "PayPal" in mail_text(told[0])


def test_someone_elses_deliveries_are_not_marked(client: Any, container: Any, table_items: Any) -> None:
    seed_subject(container)
    restricted(client)
    other = container.subject_for_email("someone.else@example.org")
    assert wc_post(client, "order.created", order_body("someone.else@example.org", 999)).status_code == 200
    assert items_with(table_items, restriction_pk(other)) == []


def test_the_processors_are_told_and_tracked_to_a_final_state(client: Any, container: Any) -> None:
    container.override(store_policy=store_policy("jetkrate"))
    seed_subject(container)
    request = service.get_request(container, restricted(client)["request_id"], now=NOW)
    processors = request.result["processors"]
    assert set(processors) == {"woocommerce", "aws", "paypal", "google_analytics", "yandex_metrica"}
    assert processors["aws"]["status"] == "acknowledged"  # this backend's own storage
    assert processors["google_analytics"]["kind"] == "manual"  # its API only deletes: an operator task
    tasks = rights.open_tasks(container, now=NOW)
    assert {task.state.key for task in tasks} == set(processors) - {"aws"}
    for task in tasks:
        rights.processor_done(container, service.get_request(container, task.request_id, now=NOW), task.state.key,
                              detail="restricted in its console", actor="operator:test", failed=False, now=NOW)
    assert rights.open_tasks(container, now=NOW) == []
    final = service.get_request(container, request.request_id, now=NOW)
    assert {state["status"] for state in final.result["processors"].values()} == {"acknowledged"}
    with pytest.raises(ConflictError):
        rights.processor_done(container, final, "paypal", detail="again", actor="operator:test", failed=False,
                              now=NOW)
    view = client.http.get(f"/account/requests/{request.request_id}", headers=auth())
    assert json.loads(view.body)["processors"]["paypal"] == "acknowledged"


def test_an_email_processor_is_mailed_with_a_reference(client: Any, container: Any) -> None:
    container.override(store_policy=fourth_policy())
    seed_subject(container)
    request = service.get_request(container, restricted(client)["request_id"], now=NOW)
    helpdesk = request.result["processors"]["helpdesk"]
    assert helpdesk["status"] == "sent" and helpdesk["reference"].startswith("RST-")
    [mail] = [m for m in sent_mail() if m["To"] == "privacy@helpdesk.example"]
    assert helpdesk["reference"] in mail["Subject"] and EMAIL in mail_text(mail)
    assert mail["Reply-To"] == "privacy@beispiel.example"


def test_the_export_shows_the_restriction(client: Any, container: Any) -> None:
    seed_subject(container)
    restricted(client)
    wc_post(client, "order.created", order_body())
    exported = client.http.post("/account/export", headers=auth(), body="")
    request = service.get_request(container, json.loads(exported.body)["request_id"], now=NOW)
    document = json.loads(read_object(container, request.result["export"]["json_key"]))
    kinds = [record["kind"] for record in document["records"]]
    assert "restriction" in kinds and "restricted_delivery" in kinds
    [state] = [record for record in document["records"] if record["kind"] == "restriction"]
    assert state["data"]["since"] == NOW


def test_lifting_tells_the_subject_first_and_nothing_is_lifted_when_that_fails(client: Any, container: Any,
                                                                               table_items: Any) -> None:
    subject = seed_subject(container)
    request_id = restricted(client)["request_id"]
    with refusing(aws.ses(), "SendRawEmail", code="MessageRejected"), pytest.raises(ConflictError):
        rights.lift_restriction(container, request_id=request_id, reason="the accuracy was verified",
                                actor="operator:test", now=NOW + 100)
    assert container.restrictions.current(subject, now=NOW + 100) is not None
    lifted = rights.lift_restriction(container, request_id=request_id, reason="the accuracy was verified",
                                     actor="operator:test", now=NOW + 200)
    assert lifted.result["restriction"]["status"] == "lifted" and lifted.result["restriction"]["lifted_at"] == NOW + 200
    assert container.restrictions.current(subject, now=NOW + 200) is None
    [notice] = [m for m in sent_mail() if m["Subject"] == "The restriction of your data is lifted"]
    assert "the accuracy was verified" in mail_text(notice) and notice["To"] == EMAIL
    trail = service.audit_trail(container, request_id, now=NOW + 200)
    assert trail[-1].reason == "restriction lifted: the accuracy was verified"
    # after the lift, deliveries are no longer marked
    count = len(items_with(table_items, restriction_pk(subject)))
    wc_post(client, "order.created", order_body(ident=5555))
    assert len(items_with(table_items, restriction_pk(subject))) == count
    with pytest.raises(ConflictError):  # lifted once
        rights.lift_restriction(container, request_id=request_id, reason="again", actor="operator:test",
                                now=NOW + 300)


@pytest.mark.parametrize("reason", ["", "   ", "x" * 501])
def test_a_lift_needs_a_reason(client: Any, container: Any, reason: str) -> None:
    seed_subject(container)
    request_id = restricted(client)["request_id"]
    with pytest.raises(InvalidInputError):
        rights.lift_restriction(container, request_id=request_id, reason=reason, actor="operator:test", now=NOW)
    assert container.restrictions.current(container.subject_for_email(EMAIL), now=NOW) is not None


def test_only_a_restriction_can_be_lifted(client: Any, container: Any) -> None:
    seed_subject(container)
    exported = json.loads(client.http.post("/account/export", headers=auth(), body="").body)
    with pytest.raises(ConflictError):
        rights.lift_restriction(container, request_id=exported["request_id"], reason="no", actor="operator:test",
                                now=NOW)


def test_a_restriction_is_idempotent_and_the_cli_lifts_it(client: Any, container: Any) -> None:
    from chalicelib.cli.commands import main

    subject = seed_subject(container)
    first = restricted(client)["request_id"]
    second = restricted(client)["request_id"]
    assert container.restrictions.current(subject, now=NOW).request_id == first
    assert main(["restriction", "lift", second, "--reason", "not the active one"], container=container) == 1
    assert main(["restriction", "lift", first, "--reason", "the objection was decided"], container=container) == 0
    assert container.restrictions.current(subject, now=NOW) is None


def test_an_erasure_removes_the_restriction_and_its_markers(client: Any, container: Any, table_items: Any) -> None:
    from tests.fakes.subjects import deletion_request, erase

    subject = seed_subject(container)
    restricted(client)
    wc_post(client, "order.created", order_body())
    erase(container, deletion_request(container))
    assert items_with(table_items, restriction_pk(subject)) == []


def test_bad_bodies_are_400_and_change_nothing(client: Any, container: Any, table_items: Any) -> None:
    seed_subject(container)
    before = table_items()
    for body in ('{"confirm": false}', '{"confirm": "yes"}', '{"other": 1}', "[]", '{"confirm": true, "x": 1}'):
        for path in ("/account/restriction", "/account/objection"):
            response = client.http.post(path, headers=auth(), body=body)
            assert response.status_code == 400, (path, body, response.body)
    assert table_items() == before
    for path in ("/account/restriction", "/account/objection"):
        assert client.http.post(path, headers=JSON, body="").status_code == 401
    assert table_items() == before


# -- objection -------------------------------------------------------------------------------------------------------
def test_an_objection_withdraws_analytics_and_advertising_for_every_linked_browser(client: Any, container: Any,
                                                                                  log_output: Any) -> None:
    container.override(store_policy=store_policy("jetkrate"))
    subject = seed_subject(container)
    browsers = [consent_everything(container, subject, f"visitor-{n}") for n in range(2)]
    posted = client.http.post("/account/objection", headers=auth(), body='{"confirm": true}')
    assert posted.status_code == 202
    request = service.get_request(container, json.loads(posted.body)["request_id"], now=NOW)
    assert request.status.value == "completed"
    for holder in browsers:
        state = container.consent.current(holder, now=NOW)
        assert state.source == "objection"
        assert not state.effective.granted("analytics") and not state.effective.granted("marketing")
        assert state.effective.granted("preferences") and state.effective.granted("support")  # not objected to
        ledger = container.consent.ledger(holder, now=NOW)
        assert [event.source for event in ledger][-1] == "objection"  # proof, beside the earlier grant
    assert container.consent.current(holder_for_account(subject), now=NOW) is None  # nothing granted there
    assert get_marketing_preference(container, subject) is False
    assert set(request.result["withdrawn"]) == {"analytics", "marketing"}
    # only the processors of those purposes are told (the browsers had granted marketing: the pixels got data)
    assert set(request.result["processors"]) == {"google_analytics", "yandex_metrica", "google_tag_manager",
                                                 "meta_pixel", "tiktok_pixel"}
    told = [m for m in sent_mail() if m["Subject"] == "Your objection is in effect"]
    assert len(told) == 1 and "analytics" in mail_text(told[0])
    # the restriction store is untouched by an objection
    assert container.restrictions.current(subject, now=NOW) is None
    logs = log_output()
    assert not any(value in logs for value in PERSONAL)


def test_restriction_and_objection_go_through_the_guest_form_and_mail_verification(client: Any,
                                                                                    container: Any) -> None:
    from tests.helpers import drain_intake

    seed_subject(container)
    for kind in ("restriction", "objection"):
        posted = client.http.post("/privacy-requests", headers=JSON, body=json.dumps({"email": EMAIL, "type": kind}))
        assert posted.status_code == 202, posted.body
    assert drain_intake(client) == 2
    links = [m for m in sent_mail() if m["Subject"] == "Please confirm your privacy request"]
    assert len(links) == 2
    texts = " ".join(mail_text(m) for m in links)
    assert "restriction of the processing" in texts and "objection" in texts


def test_a_store_that_does_not_offer_restriction_refuses_it(client: Any, container: Any,
                                                            table_items: Any) -> None:
    policy = store_policy("jetcards")
    offered = [right for right in policy.rights.offered if right not in ("restriction", "objection")]
    container.override(store_policy=policy.model_copy(update={"rights": policy.rights.model_copy(
        update={"offered": offered})}))
    seed_subject(container)
    before = table_items()
    for path in ("/account/restriction", "/account/objection"):
        response = client.http.post(path, headers=auth(), body="")
        assert response.status_code == 400 and json.loads(response.body)["field"] == "type"
    assert table_items() == before


@pytest.mark.parametrize("path", ["/account/restriction", "/account/objection"])
def test_jwt_attacks_are_401_and_store_nothing(client: Any, clock: Any, container: Any, table_items: Any,
                                               path: str) -> None:
    seed_subject(container)
    before = table_items()
    for attack, bad in jwt_attacks(clock.now()).items():
        headers = {**JSON, **(bearer(bad) if bad is not None else {})}
        response = client.http.post(path, headers=headers, body="")
        assert response.status_code == 401, (attack, response.body)
    assert table_items() == before and not [m for m in sent_mail() if m["To"] == EMAIL]


def test_the_mailing_tool_may_not_mail_a_restricted_subject_even_after_an_opt_in(client: Any,
                                                                                 container: Any) -> None:
    """An opt-in recorded while restricted is kept (proof) but not used; after the lift it counts."""
    marketing_auth = {**JSON, "Authorization": "Bearer local-dev-marketing-api-key-do-not-use-in-production"}

    def allowed() -> bool:
        response = client.http.post("/marketing/permission", body=json.dumps({"email": EMAIL}),
                                    headers=marketing_auth)
        assert response.status_code == 200, response.body
        return bool(json.loads(response.body)["allowed"])

    seed_subject(container)
    request_id = restricted(client)["request_id"]
    opted_in = client.http.request("PUT", "/account/privacy/marketing", body=json.dumps({"email_marketing": True}),
                                   headers=auth())
    assert opted_in.status_code == 200
    assert get_marketing_preference(container, container.subject_for_email(EMAIL)) is True
    assert allowed() is False
    rights.lift_restriction(container, request_id=request_id, reason="resolved", actor="operator:test", now=NOW)
    assert allowed() is True
