"""In-memory ports for the webhook services (imported by the service and property tests), and checks that the
fakes behave like the real ports where the services rely on it."""

from __future__ import annotations

from tests.conftest import NOW
from tests.fakes.webhooks import memory


def test_memory_ports_share_one_suppression_view() -> None:
    world = memory()
    subject = world.subject("a@example.org")
    assert not world.records.is_suppressed(subject, NOW)
    world.suppress("a@example.org")
    assert world.records.is_suppressed(subject, NOW) and world.events.is_suppressed(subject, NOW)


def test_subject_of_email_refuses_non_addresses() -> None:
    ports = memory().ports
    assert ports.subject_of_email("") is None and ports.subject_of_email("no-at-sign") is None
    assert ports.subject_of_email("Jana@Example.org") == ports.subject_of_email("jana@example.org ")
