"""One CSV export at a time per organisation: a second one while the first streams is refused with 429.

The exports run in threads of their own, each with its own database connection, as the server's
threads do; the first export is held open (read up to its header) while the others are asked for.
"""

import threading

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from tests.factories import make_case

pytestmark = pytest.mark.django_db(transaction=True)


class HeldExport:
    """An export started in a thread of its own, kept open after its first line until `finish()`."""

    def __init__(self, user, tenant):
        self.user, self.tenant = user, tenant
        self.started, self.release = threading.Event(), threading.Event()
        self.status: int | None = None
        self.body = b""
        self.thread = threading.Thread(target=self._run)

    def _run(self) -> None:
        try:
            client = Client()
            client.force_login(self.user)
            response = client.get(reverse("cases:export", args=[self.tenant.slug]))
            self.status = response.status_code
            content = iter(response.streaming_content)
            self.body = next(content)
            self.started.set()
            self.release.wait(timeout=30)
            self.body += b"".join(content)
        finally:
            self.started.set()
            connection.close()

    def __enter__(self) -> "HeldExport":
        self.thread.start()
        assert self.started.wait(timeout=30), "the held export never started"
        return self

    def finish(self) -> bytes:
        self.release.set()
        self.thread.join(timeout=30)
        return self.body

    def __exit__(self, *exc) -> None:
        self.finish()


def export(client, tenant):
    response = client.get(reverse("cases:export", args=[tenant.slug]))
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return response, body


@pytest.fixture
def cases(acme_amazon, globex_amazon):
    for account in (acme_amazon, globex_amazon):
        for _ in range(3):
            make_case(account)


def test_a_second_export_of_the_same_organisation_while_one_streams_is_refused_with_retry_after(
    alice, alice_client, acme, cases
):
    with HeldExport(alice, acme) as first:
        assert first.status == 200
        response, body = export(alice_client, acme)

    assert response.status_code == 429
    assert response["Retry-After"] == "60"
    assert b"An export is already running" in body
    assert b"Try again in a minute" in body
    assert len(first.finish().decode().splitlines()) == 1 + 3


def test_another_organisation_can_export_while_one_export_streams(alice, acme, charlie_client, globex, cases):
    with HeldExport(alice, acme):
        response, body = export(charlie_client, globex)

    assert response.status_code == 200
    assert len(body.decode().splitlines()) == 1 + 3


def test_once_the_first_export_has_finished_a_new_one_is_allowed(alice, alice_client, acme, cases):
    with HeldExport(alice, acme) as first:
        assert export(alice_client, acme)[0].status_code == 429
    first.finish()

    response, body = export(alice_client, acme)
    assert response.status_code == 200
    assert len(body.decode().splitlines()) == 1 + 3


def test_an_export_abandoned_before_its_first_line_frees_the_organisation(alice, alice_client, acme, cases):
    """The abandoning thread keeps its database connection open: only closing the response can free the lock."""
    abandoned, checked = threading.Event(), threading.Event()
    statuses = []

    def abandon() -> None:
        try:
            client = Client()
            client.force_login(alice)
            response = client.get(reverse("cases:export", args=[acme.slug]))
            statuses.append(response.status_code)
            response.close()
            abandoned.set()
            checked.wait(timeout=30)
        finally:
            abandoned.set()
            connection.close()

    thread = threading.Thread(target=abandon)
    thread.start()
    try:
        assert abandoned.wait(timeout=30)
        assert statuses == [200]
        assert export(alice_client, acme)[0].status_code == 200
    finally:
        checked.set()
        thread.join(timeout=30)
