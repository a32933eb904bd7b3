"""Helpers for the sync tests: sandbox cases, the figures a poll must produce, and a real Celery worker."""

import datetime as dt
import os
import signal
import socket
import subprocess
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path

import redis
from django.db import connection
from django.db.models import Sum

from accounts.models import SellerAccount
from cases.models import Case, CaseTotals, ReimbursementType
from cases.rollups import rollup_differences
from casetracker.celery import app as celery_app
from sync.adapters.sandbox import SandboxAdapter
from sync.models import SyncRun
from sync.report import COLUMNS
from tests import factories

ROOT = Path(__file__).resolve().parent.parent
BROKER_URL = os.environ.get("TEST_BROKER_URL", "redis://127.0.0.1:6379/15")
"""The workers' broker; give each concurrent test run its own Redis database."""
TYPES = list(ReimbursementType)
QUEUES = "polls,schedule,email"


def make_sandbox_cases(account: SellerAccount, count: int, *, days_ago: int = 200, currency: str = "USD") -> list[Case]:
    """Cases filed long enough ago that the sandbox has answered most of them by now."""
    today = dt.date.today()
    return [
        factories.make_case(
            account, marketplace_case_id=f"{account.external_id[-4:]}{n:06d}",
            reimbursement_type=TYPES[n % len(TYPES)],
            units_claimed=None if n % 7 == 0 else 1 + n % 4,
            claimed_amount=Decimal(15 + 3 * n) + Decimal("0.50"),
            currency=currency, date_filed=today - dt.timedelta(days=days_ago - n % 60),
        )
        for n in range(count)
    ]


def sandbox_rows(account: SellerAccount, since: dt.datetime, until: dt.datetime, **adapter) -> list[dict[str, str]]:
    lines = list(SandboxAdapter(delay_seconds=0, **adapter).fetch_reimbursements(account, since=since, until=until))
    assert lines[0].rstrip("\n") == "\t".join(COLUMNS)
    return [dict(zip(COLUMNS, line.rstrip("\n").split("\t"), strict=True)) for line in lines[1:]]


def assert_figures_exact(account: SellerAccount, run: SyncRun) -> None:
    """Every case holds exactly what the sandbox reported for the run's window, and the rollups agree."""
    assert_figures_exact_between(account, since=run.window_start, until=run.window_end)


def assert_figures_exact_between(account: SellerAccount, *, since: dt.datetime, until: dt.datetime) -> None:
    """Every case holds exactly what the sandbox reports from `since` to `until` (the windows of all
    the account's polls), and the rollups agree."""
    expected: dict[str, Decimal] = defaultdict(Decimal)
    for row in sandbox_rows(account, since, until):
        if row["case-id"]:
            expected[row["case-id"]] += Decimal(row["amount-total"])
    cases = Case.objects.filter(tenant_id=account.tenant_id, seller_account=account)
    assert {c.marketplace_case_id: c.recovered_amount for c in cases if c.recovered_amount} == {
        case_id: amount for case_id, amount in expected.items() if amount
    }
    totals = CaseTotals.objects.filter(tenant_id=account.tenant_id, seller_account=account)
    assert totals.aggregate(s=Sum("recovered_amount"))["s"] == sum(expected.values(), Decimal("0.00"))
    assert rollup_differences(tenant_id=account.tenant_id) == []


def subprocess_database_url() -> str:
    """The test database, for processes the tests start."""
    db = connection.settings_dict
    host = db.get("HOST") or "127.0.0.1"
    user = db.get("USER") or ""
    auth = f"{user}@" if user else ""
    return f"postgres://{auth}{host}:{db.get('PORT') or 5432}/{db['NAME']}"


def wait_for(condition: Callable[[], object], *, timeout: float, what: str) -> object:
    """Poll `condition` until it returns something truthy; fail naming `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


class Worker:
    """A real `celery worker` process on the test database and a dedicated Redis database."""

    def __init__(self, log_dir: Path, *, visibility_timeout: int, concurrency: int = 1, broker_url: str = BROKER_URL):
        """It consumes every queue of the settings' task routes, and loads the test-only tasks."""
        self.log_dir = log_dir
        self.broker_url = broker_url
        self.visibility_timeout = visibility_timeout
        self.concurrency = concurrency
        self.process: subprocess.Popen | None = None
        self.starts = 0

    def environment(self, sandbox_delay: int) -> dict[str, str]:
        return {
            **os.environ,
            "DEBUG": "true",
            "DATABASE_URL": subprocess_database_url(),
            "REDIS_URL": self.broker_url,
            "CELERY_VISIBILITY_TIMEOUT": str(self.visibility_timeout),
            "SANDBOX_DELAY_SECONDS": str(sandbox_delay),
            "CONN_MAX_AGE": "0",
        }

    def start(self, *, sandbox_delay: int = 0) -> None:
        self.starts += 1
        log = open(self.log_dir / f"worker-{self.starts}.log", "w")  # noqa: SIM115 (closed by the OS with the process)
        self.process = subprocess.Popen(
            [str(ROOT / ".venv/bin/celery"), "-A", "casetracker", "worker", "--pool", "prefork",
             "--concurrency", str(self.concurrency), "--loglevel", "INFO", "--queues", QUEUES,
             "--include", "tests.worker_tasks",
             "--without-gossip", "--without-mingle", "--without-heartbeat"],
            cwd=ROOT, env=self.environment(sandbox_delay), stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        wait_for(lambda: "ready." in self.log(), timeout=60, what="the Celery worker to start")

    def log(self) -> str:
        return (self.log_dir / f"worker-{self.starts}.log").read_text()

    def kill(self) -> None:
        """SIGKILL the worker and its pool: no chance to acknowledge or clean up anything."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()


def spare_port() -> int:
    """A TCP port that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class RedisServer:
    """A `redis-server` of the test's own on a spare port, without persistence: stopping it loses what
    it held, as a Redis without persistence does when it restarts."""

    def __init__(self, log_dir: Path):
        self.log_dir = log_dir
        self.port = spare_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None
        self.starts = 0

    def start(self) -> None:
        """Start it (again, on the same port) and wait until it answers."""
        self.starts += 1
        log = open(self.log_dir / f"redis-{self.starts}.log", "w")  # noqa: SIM115 (closed by the OS with the process)
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--daemonize", "no"],
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        wait_for(self.answers, timeout=30, what=f"redis-server on port {self.port} to start")

    def answers(self) -> bool:
        try:
            return redis.Redis.from_url(self.url, socket_connect_timeout=1).ping()
        except redis.ConnectionError:
            return False

    def client(self) -> redis.Redis:
        return redis.Redis.from_url(self.url)

    def stop(self) -> None:
        """Stop it (SIGTERM) and wait until the port refuses connections."""
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=15)
        wait_for(lambda: not self.answers(), timeout=10, what=f"redis-server on port {self.port} to stop")


@contextmanager
def app_broker(url: str) -> Iterator[None]:
    """Make this process's Celery app send to `url` (as `polls_publish()` does with no connection),
    then back to the settings' broker.

    The app keeps a pool of broker connections made from its configuration; it is dropped with the
    URL, as Celery itself drops it in a forked child.
    """
    before = celery_app.conf.broker_url

    def switch(to: str) -> None:
        if celery_app._pool is not None:
            celery_app._pool.force_close_all()
        celery_app.conf.broker_url = to
        celery_app._after_fork()

    switch(url)
    try:
        yield
    finally:
        switch(before)
