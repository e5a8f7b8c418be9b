"""Erasure reaching the processors (services/processor_propagation.py), against moto: every recipient of the
store's policy that received the subject's data is tracked to `acknowledged` or `failed`, through a connector
(scripted twin here; the real ones against fake servers elsewhere), a batched e-mail whose reply the privacy@
ingestion recognises, or an operator task; the receipt is written after the key is gone, the final update once
everything is final, and the notice key is shredded then."""

from __future__ import annotations

import itertools
import json
from typing import Any

import pytest

from chalicelib.domain import processors as tracking
from chalicelib.services import processor_propagation as propagation
from tests.conftest import NOW
from tests.fakes.connectors import Connectors, ScriptedConnector
from tests.fakes.inbound_mail import deliver
from tests.fakes.policies import fourth_policy
from tests.fakes.subjects import EMAIL, deletion_request, erase, mail_text, seed_subject, sent_mail
from tests.helpers import store_policy

DAY = 86_400


def erased(container: Any, policy: Any, address: str = EMAIL, customer_id: str = "57") -> Any:
    container.override(store_policy=policy)
    seed_subject(container, address, customer_id=customer_id)
    return erase(container, deletion_request(container, address))


def progress_of(container: Any, request_id: str) -> Any:
    return container.subject_data.load_progress(request_id, now=container.now())


def states(container: Any, request_id: str) -> dict[str, str]:
    return {key: state.status for key, state in propagation.states_of(progress_of(container, request_id)).items()}


def run(container: Any, clock: Any, at: int) -> dict[str, int]:
    clock.set(at)
    return propagation.run_propagation(container, now=at)


def mails_to(address: str) -> list[Any]:
    return [m for m in sent_mail() if m["To"] == address]


def test_the_receipt_is_written_after_the_key_is_shredded(container: Any, clock: Any) -> None:
    from chalicelib.errors import KeyShreddedError
    from chalicelib.services.erase_subject import STEPS

    done = erased(container, store_policy("jetkrate"))
    progress = progress_of(container, done.request_id)
    assert progress.steps == list(STEPS) and STEPS.index("shred") < STEPS.index("receipt")
    with pytest.raises(KeyShreddedError):
        container.vault.cipher_for_reading(done.subject)
    receipt = done.result["receipt"]
    assert receipt["key_destroyed"] is True and receipt["mail"] == "sent"
    assert len(mails_to(EMAIL)) == 1  # the receipt went to the address kept in the notice


def test_an_api_processor_is_called_and_acknowledged_and_the_operator_closes_the_rest(
        container: Any, clock: Any, table_items: Any) -> None:
    from chalicelib.errors import KeyShreddedError

    ga4 = ScriptedConnector("ga4")
    container.override(connectors=Connectors(ga4))
    done = erased(container, store_policy("jetkrate"))
    assert states(container, done.request_id) == {
        "woocommerce": "pending", "aws": "acknowledged", "paypal": "pending", "google_analytics": "pending",
        "yandex_metrica": "pending"}
    counts = run(container, clock, NOW + 60)
    assert counts == {"acknowledged": 1}
    [target] = ga4.calls
    assert (target.request_id, target.email, target.customer_id) == (done.request_id, EMAIL, "57")
    request = container.privacy_requests.get(done.request_id, now=NOW + 60)
    analytics = next(p for p in request.result["receipt"]["processors"] if p["key"] == "google_analytics")
    assert analytics["status"] == "acknowledged" and analytics["reference"] == "2026-12-02T12:00:00.000Z"
    assert run(container, clock, NOW + 120) == {}  # nothing due: the connector is not called again
    assert len(ga4.calls) == 1
    # the manual ones are operator tasks
    open_ = {(entry.request_id, entry.state.key) for entry in propagation.open_processors(container, now=NOW)}
    assert open_ == {(done.request_id, key) for key in ("woocommerce", "paypal", "yandex_metrica")}
    for key in ("woocommerce", "paypal"):
        propagation.acknowledge(container, done.request_id, key, actor="operator:ana", detail="erased in WP",
                                now=NOW + 200)
    assert not [m for m in mails_to(EMAIL) if m["Subject"] == "Your data erasure: final update"]
    propagation.acknowledge(container, done.request_id, "yandex_metrica", actor="operator:ana",
                            detail="Yandex refused", failed=True, now=NOW + 300)
    [update] = [m for m in mails_to(EMAIL) if m["Subject"] == "Your data erasure: final update"]
    text = mail_text(update)
    assert "Google Analytics" in text and "confirmed" in text and "could not be confirmed" in text
    progress = progress_of(container, done.request_id)
    assert progress.notice == {} and progress.final_update == "sent"
    with pytest.raises(KeyShreddedError):
        container.vault.cipher_for_reading(propagation.notice_subject(done.request_id))
    assert propagation.open_processors(container, now=NOW + 300) == []
    assert not any(i.get("open_pk") == "QUEUE#processors" for i in table_items())
    audit = container.privacy_requests.audit(done.request_id, now=NOW + 300)
    reasons = [entry.reason for entry in audit]
    assert "processor google_analytics: acknowledged" in reasons and "processor yandex_metrica: failed" in reasons
    assert any(entry.actor == "operator:ana" for entry in audit)
    assert EMAIL not in json.dumps(table_items(), default=repr)  # the address only ever sealed, then shredded


def test_transient_failures_back_off_then_give_up(container: Any, clock: Any) -> None:
    ga4 = ScriptedConnector("ga4", *["retry"] * tracking.MAX_ATTEMPTS)
    container.override(connectors=Connectors(ga4))
    done = erased(container, store_policy("jetkrate"))
    at, seen = NOW, []
    for _ in range(40):  # bounded: the backoff reaches a day; eight attempts fit well within 40 runs
        state = propagation.states_of(progress_of(container, done.request_id))["google_analytics"]
        if state.final:
            break
        at = max(at + 1, state.next_at)
        run(container, clock, at)
        seen.append(at)
    state = propagation.states_of(progress_of(container, done.request_id))["google_analytics"]
    assert state.status == "failed" and state.attempts == tracking.MAX_ATTEMPTS == len(ga4.calls)
    assert "gave up after" in state.history[-1].detail
    gaps = [b - a for a, b in itertools.pairwise(seen)]
    assert gaps == [tracking.backoff(n) for n in range(1, tracking.MAX_ATTEMPTS)]


def test_a_connector_that_raises_is_retried_and_never_blocks_the_erasure(container: Any, clock: Any) -> None:
    ga4 = ScriptedConnector("ga4", "raise")
    container.override(connectors=Connectors(ga4))
    done = erased(container, store_policy("jetkrate"))
    assert done.status.value == "completed"
    run(container, clock, NOW + 60)
    state = propagation.states_of(progress_of(container, done.request_id))["google_analytics"]
    assert state.status == "pending" and state.attempts == 1 and state.next_at == NOW + 60 + tracking.backoff(1)
    run(container, clock, state.next_at)
    assert states(container, done.request_id)["google_analytics"] == "acknowledged"


def test_no_connector_configured_fails_that_processor_only(container: Any, clock: Any) -> None:
    container.override(connectors=Connectors())
    done = erased(container, store_policy("jetkrate"))
    run(container, clock, NOW + 60)
    state = propagation.states_of(progress_of(container, done.request_id))["google_analytics"]
    assert state.status == "failed" and "no connector" in state.history[-1].detail


def reply(reference: str, sender: str) -> bytes:
    return (f"From: Helpdesk Privacy <{sender}>\r\nTo: privacy@store.example\r\n"
            f"Subject: Re: Erasure request {reference}: 2 person(s)\r\nMessage-ID: <r1@helpdesk.example>\r\n"
            "Content-Type: text/plain; charset=utf-8\r\n\r\nDone, both erased.\r\n").encode()


def test_an_email_processor_gets_one_batch_and_its_reply_acknowledges_it(container: Any, clock: Any) -> None:
    policy = fourth_policy()
    first = erased(container, policy)
    second = erased(container, policy, "second@example.org", customer_id="58")
    counts = run(container, clock, NOW + 60)
    assert counts == {"sent": 2}
    [batch_mail] = mails_to("privacy@helpdesk.example")
    text = mail_text(batch_mail)
    reference = propagation.REFERENCE.search(batch_mail["Subject"]).group(0)
    assert EMAIL in text and "second@example.org" in text and first.request_id in text and reference in text
    assert batch_mail["Reply-To"] == container.settings.privacy_mailbox
    for request in (first, second):
        state = propagation.states_of(progress_of(container, request.request_id))["helpdesk"]
        assert (state.status, state.reference) == ("sent", reference)
    assert run(container, clock, NOW + 120) == {}  # sent: waits for the reply, no second mail
    assert len(mails_to("privacy@helpdesk.example")) == 1

    # a reply from another domain, or one failing authentication, acknowledges nothing
    outsider = deliver(container, reply(reference, "someone@evil.example"), "m-evil", source="someone@evil.example")
    assert outsider.outcome != "processor_reply"
    forged = deliver(container, reply(reference, "privacy@helpdesk.example"), "m-forged",
                     source="privacy@helpdesk.example", verdicts={"dkim": "FAIL", "spf": "FAIL", "dmarc": "FAIL"})
    assert forged.outcome != "processor_reply"
    assert states(container, first.request_id)["helpdesk"] == "sent"

    sent_before = len(sent_mail())
    result = deliver(container, reply(reference, "privacy@helpdesk.example"), "m-real",
                     source="privacy@helpdesk.example")
    assert result.outcome == "processor_reply"
    for request in (first, second):
        assert states(container, request.request_id)["helpdesk"] == "acknowledged"
    assert not [m for m in sent_mail()[sent_before:] if m["To"] == "privacy@helpdesk.example"]  # no answer to it


def test_a_refused_batch_mail_is_retried(container: Any, clock: Any) -> None:
    from chalicelib import aws
    from tests.fakes.faults import refusing

    done = erased(container, fourth_policy())
    with refusing(aws.ses(), "SendRawEmail", code="ServiceUnavailable"):
        assert run(container, clock, NOW + 60) == {"retry": 1}
    state = propagation.states_of(progress_of(container, done.request_id))["helpdesk"]
    assert state.status == "pending" and state.attempts == 1
    run(container, clock, state.next_at)
    assert states(container, done.request_id)["helpdesk"] == "sent"


def test_after_ninety_days_what_is_open_fails_and_the_subject_gets_the_final_update(container: Any,
                                                                                   clock: Any) -> None:
    done = erased(container, store_policy("jetcards"))
    later = NOW + propagation.NOTICE_MAX_SECONDS + 1
    clock.set(later)
    container.privacy_requests.schedule_work(
        propagation.WorkItem(propagation.PROCESSORS, done.request_id, later))
    run(container, clock, later)
    assert set(states(container, done.request_id).values()) == {"acknowledged", "failed"}
    [update] = [m for m in mails_to(EMAIL) if m["Subject"] == "Your data erasure: final update"]
    assert "could not be confirmed" in mail_text(update)


def test_overdue_processors_are_in_the_operators_digest(container: Any, clock: Any) -> None:
    from chalicelib.services.privacy_requests import run_scheduled_request_work

    done = erased(container, store_policy("jetcards"))
    late = NOW + tracking.DUE_SECONDS + DAY
    clock.set(late)
    run_scheduled_request_work(container, now=late, dry_run=False)
    [digest] = mails_to(container.settings.operator_email)
    text = mail_text(digest)
    assert "processors overdue: 2" in digest["Subject"]
    assert f"{done.request_id}  woocommerce" in text and "paypal" in text and EMAIL not in text


def test_the_operator_cannot_close_what_is_not_open(container: Any) -> None:
    from chalicelib.cli.commands import main

    done = erased(container, store_policy("jetcards"))
    out: Any = __import__("io").StringIO()
    assert main(["processors", "done", done.request_id, "aws", "--note", "x"], container=container, out=out) == 1
    assert main(["processors", "done", "nope", "paypal", "--note", "x"], container=container, out=out) == 1
    assert main(["processors", "done", done.request_id, "paypal", "--note", "erased"], container=container,
                out=out) == 0
    listing: Any = __import__("io").StringIO()
    assert main(["processors", "list", "--json"], container=container, out=listing) == 0
    rows = json.loads(listing.getvalue())
    assert [(row["request_id"], row["processor"]) for row in rows] == [(done.request_id, "woocommerce")]


def test_nothing_personal_in_the_logs(container: Any, clock: Any, log_output: Any) -> None:
    container.override(connectors=Connectors(ScriptedConnector("ga4", "retry")))
    done = erased(container, fourth_policy())
    run(container, clock, NOW + 60)
    propagation.acknowledge(container, done.request_id, "woocommerce", actor="operator:x", detail="done",
                            now=NOW + 70)
    logs = log_output()
    assert "processor propagation" in logs
    assert EMAIL not in logs and "Mueller" not in logs and "Jana" not in logs


def test_a_confirmation_is_never_overwritten_by_a_change_computed_before_it(container: Any, clock: Any) -> None:
    done = erased(container, store_policy("jetkrate"))
    stale = propagation.states_of(progress_of(container, done.request_id))["paypal"]  # read by the job ...
    propagation.acknowledge(container, done.request_id, "paypal", actor="operator:ana", detail="confirmed",
                            now=NOW + 10)  # ... the operator confirms meanwhile ...
    propagation._save_states(container, done.request_id,  # ... and the job writes what it computed before
                             {"paypal": stale.after_attempt("retry", at=NOW + 20, detail="late")}, now=NOW + 20)
    assert states(container, done.request_id)["paypal"] == "acknowledged"


def test_threads_confirming_and_running_lose_no_confirmation(container: Any, clock: Any) -> None:
    from concurrent.futures import ThreadPoolExecutor

    container.override(connectors=Connectors(ScriptedConnector("ga4", *["retry"] * 3)))
    requests = [erased(container, store_policy("jetkrate"), f"p{n}@example.org", customer_id=str(60 + n))
                for n in range(4)]
    manual = ("woocommerce", "paypal", "yandex_metrica")

    def confirm(request_id: str) -> int:
        for key in manual:
            propagation.acknowledge(container, request_id, key, actor="operator:t", detail="ok", now=NOW + 30)
        return len(manual)

    with ThreadPoolExecutor(max_workers=5) as pool:
        job = pool.submit(lambda: [propagation.run_propagation(container, now=NOW + 30 + i) for i in range(3)])
        confirmed = sum(pool.map(confirm, [r.request_id for r in requests]))
        job.result()
    assert confirmed == 12
    for request in requests:
        got = states(container, request.request_id)
        assert all(got[key] == "acknowledged" for key in manual), got
