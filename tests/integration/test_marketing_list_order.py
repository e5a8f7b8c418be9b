"""The suppression list follows the newest marketing choice whatever the order the choices arrive in (DynamoDB on
moto: the real transaction that writes the choice and the list entry together), and a redelivered checkout or a
second press of a one-click link records nothing twice."""

from __future__ import annotations

import uuid
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chalicelib.domain.retention import DAY
from chalicelib.services.marketing import set_marketing_preference
from chalicelib.services.marketing_senders import may_email
from tests.conftest import NOW

SOURCES = ["account", "checkout", "one_click", "privacy_request"]

# A few choices of one person (opt-in or opt-out, at distinct times), delivered in any order, some twice.
choices = st.lists(st.tuples(st.booleans(), st.sampled_from(SOURCES)), min_size=1, max_size=5).flatmap(
    lambda made: st.tuples(st.just(made), st.permutations(list(range(len(made)))),
                           st.lists(st.integers(0, len(made) - 1), max_size=2)))


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=choices)
def test_the_list_and_the_permission_follow_the_newest_choice(container: Any, case: Any) -> None:
    made, order, again = case
    email = f"p-{uuid.uuid4().hex[:10]}@example.com"
    subject = container.subject_for_email(email)
    for index in [*order, *again]:
        opt_in, source = made[index]
        set_marketing_preference(container, subject=subject, customer_id=None, email_marketing=opt_in,
                                 source=source, at=NOW - DAY + index * 60, email=email, event_id=f"e{index}")
    newest_opt_in = made[-1][0]
    listed = container.suppression_list.contains(container.sender_keys.list_hash(email), now=NOW)
    assert listed is (not newest_opt_in)
    assert may_email(container, email) is newest_opt_in
    history = container.marketing.history(subject, now=NOW)
    assert [c.event_id for c in history] == [f"e{i}" for i in range(len(made))]  # each proof once, in time order


def test_an_opt_out_request_puts_the_address_on_the_list(container: Any) -> None:
    from chalicelib.services import privacy_requests as service

    email = "opting.out@example.com"
    set_marketing_preference(container, subject=container.subject_for_email(email), customer_id=None,
                             email_marketing=True, source="account", at=NOW - DAY, email=email)
    submitted = service.submit_request(container, email=email, request_type="opt_out", channel="web",
                                       received_at=NOW, needs_verification=False)
    service.fulfil_safely(container, service.get_request(container, submitted.request_id, now=NOW), now=NOW)
    assert container.suppression_list.contains(container.sender_keys.list_hash(email), now=NOW)
    assert may_email(container, email) is False


def test_paging_skips_expired_entries_and_ends(container: Any) -> None:
    """Expired entries (DynamoDB deletes them days late, moto never) are left out; every page stays bounded and the
    cursor always moves on, so the export ends."""
    import hashlib

    queries: list[str] = []
    container.keys_table.client.meta.events.register("before-call.dynamodb.Query",
                                                     lambda model, **_: queries.append(model.name))
    live = sorted(hashlib.sha256(f"live{n}".encode()).hexdigest() for n in range(3))
    for n in range(60):
        container.suppression_list.add(hashlib.sha256(f"old{n}".encode()).hexdigest(), reason="opted_out",
                                       at=NOW - 400 * DAY, expires_at=NOW - DAY)
    for value in live:
        container.suppression_list.add(value, reason="erased", at=NOW, expires_at=NOW + DAY)
    found, cursor, pages = [], None, 0
    while True:
        before = len(queries)
        page = container.suppression_list.page(cursor, limit=1, now=NOW)
        assert len(page.hashes) <= 1 and len(queries) - before <= 32
        found += page.hashes
        pages += 1
        if page.cursor is None:
            break
        assert page.cursor != cursor
        cursor = page.cursor
    assert sorted(found) == live and pages < 100
