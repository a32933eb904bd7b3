"""PostgreSQL connections killed mid-load: only the requests in flight may fail; the next ones succeed.

gunicorn runs as the Procfile runs it, with persistent connections (CONN_MAX_AGE=60), while threads
of sellers ask for the case list, a filter, a case page, the reimbursed list and the dashboard. The
test ends every backend of the database (`pg_terminate_backend`, waiting for each to exit), as a
PostgreSQL restart or an operator would. A request counts as in flight when it was sent before a
kill had finished and answered after the kill had begun.
"""

import random
import threading
import time
from dataclasses import dataclass

import httpx
import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.urls import reverse

from tests.factories import make_case
from tests.stress_web import Answer, Gunicorn, fetch

pytestmark = pytest.mark.django_db(transaction=True)

TERMINATE_SQL = """
SELECT count(*) FILTER (WHERE pg_terminate_backend(pid, 10000)) FROM pg_stat_activity
WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'
"""


@dataclass(frozen=True)
class Kill:
    started: float
    ended: float
    terminated: int


def terminate_every_backend() -> Kill:
    started = time.monotonic()
    with connection.cursor() as cursor:
        cursor.execute(TERMINATE_SQL)
        (terminated,) = cursor.fetchone()
    return Kill(started, time.monotonic(), terminated)


class Sellers:
    """`threads` sellers asking for `urls` in turn, pausing up to `pause` seconds between pages, until
    stopped. Fewer sellers than server threads, and the pauses, leave some server connections idle at
    each kill: those are the ones whose next request would fail without a health check."""

    def __init__(self, server: Gunicorn, session: str, urls: list[str], *, threads: int, pause: float):
        self.server, self.session, self.urls, self.pause = server, session, urls, pause
        self.answers: list[Answer] = []
        self.stopping = threading.Event()
        self.threads = [threading.Thread(target=self._ask, args=(n,)) for n in range(threads)]

    def _ask(self, offset: int) -> None:
        with httpx.Client(base_url=self.server.url, cookies={settings.SESSION_COOKIE_NAME: self.session},
                          timeout=60) as client:
            turn = offset
            while not self.stopping.is_set():
                self.answers.append(fetch(client, self.urls[turn % len(self.urls)]))
                turn += 1
                time.sleep(random.uniform(0, self.pause))

    def __enter__(self) -> "Sellers":
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stopping.set()
        for thread in self.threads:
            thread.join(timeout=120)


@pytest.fixture
def server(tmp_path):
    server = Gunicorn(tmp_path).start()
    yield server
    server.stop()


@pytest.fixture
def seller_urls(alice, acme, acme_amazon):
    cases = [make_case(acme_amazon) for _ in range(20)]
    return [
        reverse("cases:overall", args=[acme.slug]),
        reverse("cases:overall", args=[acme.slug]) + "?status=open&sort=-claimed_amount",
        reverse("cases:detail", args=[acme.slug, cases[3].pk]),
        reverse("cases:reimbursed", args=[acme.slug]),
        reverse("dashboard:index", args=[acme.slug]),
    ]


@pytest.fixture
def alice_session(alice):
    client = Client()
    client.force_login(alice)
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def kill_mid_load(
    server, session, urls, *, threads: int, kills: int, every: float
) -> tuple[list[Answer], list[Kill]]:
    done: list[Kill] = []
    with Sellers(server, session, urls, threads=threads, pause=0.3) as sellers:
        time.sleep(every)
        for _ in range(kills):
            done.append(terminate_every_backend())
            time.sleep(every)
    return sellers.answers, done


def in_flight(answer: Answer, kills: list[Kill]) -> bool:
    return any(answer.started < kill.ended and answer.ended > kill.started for kill in kills)


def assert_only_in_flight_requests_failed(answers: list[Answer], kills: list[Kill]) -> None:
    assert all(kill.terminated > 0 for kill in kills), "a kill found no server connection to end"
    failed_outside = [answer for answer in answers if not answer.ok and not in_flight(answer, kills)]
    assert failed_outside == []
    after = [answer for answer in answers if answer.started > kills[-1].ended]
    assert after and all(answer.ok for answer in after)


def test_requests_after_every_database_connection_was_killed_succeed(server, alice_session, seller_urls):
    answers, kills = kill_mid_load(server, alice_session, seller_urls, threads=4, kills=1, every=2.0)

    assert_only_in_flight_requests_failed(answers, kills)


@pytest.mark.stress
def test_twenty_kills_of_every_database_connection_under_load_fail_only_requests_in_flight(
    server, alice_session, seller_urls
):
    answers, kills = kill_mid_load(server, alice_session, seller_urls, threads=6, kills=20, every=1.5)

    assert_only_in_flight_requests_failed(answers, kills)
    failed = [answer for answer in answers if not answer.ok]
    print(f"\nDatabase connections killed: {len(kills)} kills ending {sum(k.terminated for k in kills)} backends; "
          f"{len(answers)} requests, {sum(in_flight(a, kills) for a in answers)} in flight at a kill, "
          f"{len(failed)} failed (all in flight: {[a.status or a.error[:40] for a in failed]})")
