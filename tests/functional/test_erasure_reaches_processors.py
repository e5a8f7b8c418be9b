"""The issue's acceptance case: a subject with PayPal, Airwallex, BitPay, GA4 and Botpress data is erased (the
jetkrate store), and every processor ends in a final state against the fakes on 127.0.0.1 (GA4 with its token
endpoint, Botpress): the connectors through the scheduled job, the payment providers (manual channels in that
policy) through the operator's command line; then the final update, and the notice key is gone."""

from __future__ import annotations

import io
import json
from typing import Any

from chalicelib.domain.retention import Category
from chalicelib.services import processor_propagation as propagation
from chalicelib.services.retention_run import run_scheduled_job
from tests.conftest import NOW
from tests.fakes.subjects import EMAIL, deletion_request, mail_text, put_subject_item, seed_subject, sent_mail
from tests.helpers import store_policy

DAY = 86_400


def test_every_processor_ends_final_against_the_fakes(google_api: Any, botpress_api: Any, container: Any,
                                                      clock: Any, table_items: Any) -> None:
    from chalicelib.cli.commands import main
    from chalicelib.errors import KeyShreddedError

    container.override(store_policy=store_policy("jetkrate"))
    subject = seed_subject(container)  # PayPal orders, payment and dispute; analytics consented
    for provider, ident in (("Airwallex", "int_1"), ("BitPay", "inv_1")):
        put_subject_item(container, subject, pk=f"PAYMENT#{ident}", sk="PAYMENT", kind="payment", ident=ident,
                         category=Category.PAYMENT, start=NOW - DAY, data={"amount": "5.00", "source": provider},
                         personal={"payer": {"email": EMAIL}})
    put_subject_item(container, subject, pk=f"CONSENT#B.{subject}", sk=f"LEDGER#{NOW - DAY:010d}#c2",
                     kind="consent_event", ident=f"{NOW - DAY:010d}#c2", category=Category.CONSENT_LEDGER,
                     start=NOW - DAY, data={"action": "custom", "effective": {"essential": True, "support": True}},
                     personal={"proof": {}})
    botpress_api.add_user("chat-jana", {"email": EMAIL}, conversations=3)
    botpress_api.add_user("chat-other", {"email": "other@example.org"})

    request = deletion_request(container)
    clock.set(request.execute_after)
    report = run_scheduled_job(container)  # the erasure, then the processors step in the same run
    assert report.requests["deletions"] == 1 and report.processors == {"acknowledged": 2}
    done = container.privacy_requests.get(request.request_id, now=clock.now())
    states = {p["key"]: p["status"] for p in done.result["receipt"]["processors"]}
    assert states == {"woocommerce": "pending", "aws": "acknowledged", "paypal": "pending", "airwallex": "pending",
                      "bitpay": "pending", "botpress": "acknowledged", "google_analytics": "acknowledged",
                      "yandex_metrica": "pending"}
    assert [d["id"] for d in google_api.deletions] == [{"type": "USER_ID", "userId": "57"}]
    assert set(botpress_api.users) == {"chat-other"}

    out = io.StringIO()
    assert main(["processors", "list", "--json"], container=container, out=out) == 0
    waiting = {row["processor"] for row in json.loads(out.getvalue())}
    assert waiting == {"woocommerce", "paypal", "airwallex", "bitpay", "yandex_metrica"}
    for key in sorted(waiting):
        assert main(["--operator", "ana", "processors", "done", request.request_id, key, "--note",
                     f"deletion confirmed by {key}"], container=container, out=io.StringIO()) == 0

    progress = container.subject_data.load_progress(request.request_id, now=clock.now())
    assert all(state.final for state in propagation.states_of(progress).values())
    assert progress.final_update == "sent" and progress.notice == {}
    updates = [m for m in sent_mail() if m["To"] == EMAIL and m["Subject"] == "Your data erasure: final update"]
    assert len(updates) == 1 and "Botpress" in mail_text(updates[0]) and "BitPay" in mail_text(updates[0])
    try:
        container.vault.cipher_for_reading(propagation.notice_subject(request.request_id))
        raise AssertionError("the notice key outlived the final update")
    except KeyShreddedError:
        pass
    assert EMAIL not in json.dumps(table_items(), default=repr)
    again = run_scheduled_job(container)
    assert again.processors == {} and len(google_api.deletions) == 1  # nothing more to do, nothing called twice
