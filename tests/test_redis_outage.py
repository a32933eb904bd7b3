"""Redis stopped: a Redis of the test's own is stopped under a real worker, then started again.

While it is down, seller pages answer and the scheduler's claims wait in the outbox; once it is back,
the outbox is published, the worker reconnects, and every due account is polled exactly once.
`make test` stops it for 5 s; `STRESS=1` (make stress) for 60 s.
"""

import os
import sys
import time
from urllib.parse import urlsplit

import pytest
from django.conf import settings as django_settings
from django.urls import reverse
from django.utils import timezone

from accounts.models import SellerAccount
from cases.models import Case
from cases.rollups import rollup_differences
from sync.models import PendingPoll, RunStatus, SyncRun
from sync.tasks import poll_due_accounts
from tests import factories
from tests.worker_helpers import (
    RedisServer,
    Worker,
    app_broker,
    assert_figures_exact_between,
    make_sandbox_cases,
    wait_for,
)

# Scopes off: the test checks the figures and polls of two tenants, from outside any request.
pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("across_tenants")]

SCHEDULER_EVERY = 2
"""Seconds between the scheduler's runs during the outage (the beat runs it every 60 s)."""

_recording: list[tuple] | None = None
"""While `connects` runs its call: the address of each socket this process connects."""
_hook_installed = False


def _record_connect(event: str, args: tuple) -> None:
    if event == "socket.connect" and _recording is not None:
        _recording.append(args[1])


def connects(call) -> tuple[object, list[tuple]]:
    """Run `call`; return its result and the address of every socket it connected, seen by a Python
    audit hook (installed once, for the rest of the process; it records only inside this function)."""
    global _recording, _hook_installed
    if not _hook_installed:
        sys.addaudithook(_record_connect)
        _hook_installed = True
    _recording = []
    try:
        return call(), _recording
    finally:
        _recording = None


@pytest.fixture
def redis_server(tmp_path):
    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def worker(tmp_path, redis_server):
    """A real worker on the test's own Redis; stopped before that Redis is."""
    started = Worker(tmp_path, visibility_timeout=30, broker_url=redis_server.url)
    started.start()
    yield started
    started.stop()


@pytest.fixture
def accounts(acme, globex):
    """Three accounts of two tenants, each with cases the sandbox answers."""
    made = [
        factories.make_seller_account(acme, "A1ACMEAMAZON"),
        factories.make_seller_account(acme, "A1ACMEAMAZEU", region="EU", marketplace_ids=["A1PA6795UKMFR9"]),
        factories.make_seller_account(globex, "A1GLOBEXAMAZ"),
    ]
    for account, currency in zip(made, ["USD", "EUR", "USD"], strict=True):
        make_sandbox_cases(account, 20, currency=currency)
    return made


def seller_pages(acme) -> list[str]:
    case = Case.objects.filter(tenant=acme).order_by("pk").first()
    return [
        reverse("dashboard:index", args=[acme.slug]),
        reverse("cases:overall", args=[acme.slug]),
        reverse("cases:overall", args=[acme.slug]) + "?sort=-recovered_amount&status=partially_reimbursed",
        reverse("cases:reimbursed", args=[acme.slug]),
        reverse("cases:detail", args=[acme.slug, case.pk]),
        reverse("cases:export", args=[acme.slug]),
    ]


def get_all(client, urls: list[str]) -> list[int]:
    statuses = []
    for url in urls:
        response = client.get(url)
        if response.streaming:
            b"".join(response.streaming_content)
        statuses.append(response.status_code)
    return statuses


def succeeded_since(account: SellerAccount, since) -> list[SyncRun]:
    return list(SyncRun.objects.filter(seller_account=account, started_at__gte=since, status=RunStatus.SUCCEEDED))


def polls_of(account: SellerAccount, *, since=None, until=None) -> list[SyncRun]:
    runs = SyncRun.objects.filter(seller_account=account).order_by("pk")
    if since:
        runs = runs.filter(started_at__gte=since)
    if until:
        runs = runs.filter(started_at__lt=until)
    return list(runs)


def redis_ports(server: RedisServer) -> set[int]:
    """The test's own Redis, and the one the settings name."""
    return {server.port, urlsplit(django_settings.REDIS_URL).port or 6379}


@pytest.mark.parametrize("outage_seconds", [
    5,
    pytest.param(60, marks=[
        pytest.mark.stress,
        pytest.mark.skipif(os.environ.get("STRESS") != "1", reason="60 s outage: STRESS=1 (make stress)"),
    ]),
])
def test_with_redis_stopped_pages_answer_and_every_due_poll_runs_once_it_is_back(
    outage_seconds, accounts, acme, alice_client, redis_server, worker, settings, caplog,
):
    ports = redis_ports(redis_server)
    settings.REDIS_URL = settings.CELERY_BROKER_URL = redis_server.url
    pages = seller_pages(acme)
    with app_broker(redis_server.url):
        assert poll_due_accounts() == 3
        wait_for(lambda: all(succeeded_since(a, a.created_at) for a in accounts), timeout=60,
                 what="the polls before the outage")
        wait_for(lambda: redis_server.client().hlen("unacked") == 0, timeout=30, what="the polls' acks")
        SellerAccount.objects.update(next_sync_at=timezone.now())
        _, connected = connects(lambda: redis_server.client().ping())
        assert redis_server.port in [address[1] for address in connected], "the audit hook sees connections"

        redis_server.stop()
        outage_start = timezone.now()
        statuses: list[int] = []
        redis_connects: list[tuple] = []
        scheduler_runs = 0
        ends = time.monotonic() + outage_seconds
        next_schedule = time.monotonic()
        while time.monotonic() < ends:
            if time.monotonic() >= next_schedule:
                assert poll_due_accounts() == 0, "nothing can be sent while Redis is down"
                scheduler_runs += 1
                next_schedule += SCHEDULER_EVERY
            answered, connected = connects(lambda: get_all(alice_client, pages))
            statuses += answered
            redis_connects += [address for address in connected if address[1] in ports]
            assert sorted(PendingPoll.objects.values_list("seller_account_id", flat=True)) == [a.pk for a in accounts]
            assert not SyncRun.objects.filter(started_at__gte=outage_start).exists()

        assert statuses and set(statuses) == {200}, f"pages during the outage answered {sorted(set(statuses))}"
        assert redis_connects == [], "a seller page connected to Redis"
        assert "polls wait for the next try" in caplog.text
        assert all(a.next_sync_at > outage_start for a in SellerAccount.objects.all()), "claimed once"

        redis_server.start()
        back = time.monotonic()
        assert poll_due_accounts() == 3, "the next scheduler run publishes the outbox"
        assert not PendingPoll.objects.exists()
        wait_for(lambda: all(succeeded_since(a, outage_start) for a in accounts), timeout=120,
                 what="the polls after the outage")
        caught_up = time.monotonic() - back
        wait_for(lambda: redis_server.client().llen("polls") + redis_server.client().hlen("unacked") == 0,
                 timeout=30, what="the polls queue to drain")
        assert poll_due_accounts() == 0

    for account in accounts:
        before, after = polls_of(account, until=outage_start), polls_of(account, since=outage_start)
        assert [run.status for run in after] == [RunStatus.SUCCEEDED], f"{account}: polled exactly once"
        assert after[0].window_start <= before[0].window_end
        assert_figures_exact_between(account, since=before[0].window_start, until=after[0].window_end)
    for tenant_id in {a.tenant_id for a in accounts}:
        assert rollup_differences(tenant_id=tenant_id) == []
    assert "Connection to broker lost" in worker.log()
    assert worker.log().count("Connected to redis://") == 2, "the worker reconnected by itself"
    print(f"\nRedis stopped {outage_seconds} s: {len(statuses)} seller page requests, all 200; "
          f"{scheduler_runs} scheduler runs during the outage sent 0 and kept 3 polls; "
          f"after it: 3 polls sent, each account polled once, {caught_up:.0f} s after Redis was back")
