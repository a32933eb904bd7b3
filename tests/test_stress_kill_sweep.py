"""The kill sweep: real Celery workers SIGKILLed at chosen and at random points of polls.

Each round creates a seller account with sandbox cases (tenants taken in turn), sends its poll,
kills the worker running it at the round's point, and starts a replacement. The poll's message,
never acknowledged, is redelivered after the broker's visibility timeout and the poll runs again.
Then the account's records must be exactly the sandbox's rows for the polled windows (none twice,
none missing), its cases must show exactly their rows' money, and the tenant's rollups must agree
with a recomputation. The points:

- `download`, `copy`, `after_commit`: hooks in `tests.killpoints` pause the poll there;
- `recompute`: the test holds the account's cases locked, so the poll blocks in the recompute's
  UPDATE after inserting the records, in its open transaction;
- `random`: no pause; the workers are killed a random fraction (0 to 1.2) of a poll's measured
  duration after it was sent, wherever that lands. These rounds poll accounts of
  `RANDOM_ROUND_CASES` cases, so that the download, COPY and recompute each last long enough
  to be hit; what the killed session was doing is recorded for each round.

`make test` runs one round at each of three points; `make stress` runs 100 rounds over all five.
"""

import datetime as dt
import os
import random
import time
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import psycopg
import pytest
import redis
from django.db import connection
from django.db.models import Max, Min
from django.utils import timezone

from accounts.models import SellerAccount
from cases.models import Case, ReimbursementRecord, ReimbursementType
from cases.rollups import rollup_differences
from casetracker.celery import app as celery_app
from sync.models import RunStatus, SyncRun
from sync.services import INTERRUPTED
from sync.tasks import poll_account
from tests import factories
from tests.stress_workers import NamedWorker
from tests.worker_helpers import BROKER_URL, make_sandbox_cases, sandbox_rows, wait_for

# Scopes off: the sweep checks the records and figures of five tenants, from outside any request.
pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("across_tenants")]

POINTS = ("download", "copy", "recompute", "after_commit", "random")
HOOKED = ("download", "copy", "after_commit")
STRESS_KILLS = int(os.environ.get("STRESS_KILLS", "100"))
VISIBILITY_TIMEOUT = 6
"""Seconds before an unacknowledged message is handed out again; every pause before a kill is shorter,
or the poll would be redelivered (and skipped, its account being locked) while the first one runs."""
CASES_PER_ACCOUNT = 40
RANDOM_ROUND_CASES = 1500
TENANTS = 5
WORKERS = 2


@dataclass(frozen=True)
class Round:
    number: int
    point: str
    account: SellerAccount
    sessions: list[tuple[str, str, str]]
    """What the killed workers' database sessions were doing when they were killed."""

    @property
    def seen(self) -> str:
        """The killed poll's database session at the kill: its statement's first word, or idle."""
        busy = [query.split(None, 1)[0].upper() for state, _, query in self.sessions if state != "idle" and query]
        return busy[0] if busy else "IDLE"


def record_differences(account: SellerAccount) -> tuple[int, int]:
    """(doubled, lost): records of the account beyond, and short of, the sandbox's rows for the
    union of its succeeded polls' windows (each reimbursement line counted with its multiplicity)."""
    window = SyncRun.objects.filter(seller_account=account, status=RunStatus.SUCCEEDED).aggregate(
        since=Min("window_start"), until=Max("window_end"))
    expected = Counter(
        (row["reimbursement-id"], row["case-id"], Decimal(row["amount-total"]),
         dt.datetime.fromisoformat(row["approval-date"]))
        for row in sandbox_rows(account, window["since"], window["until"])
    )
    actual = Counter(ReimbursementRecord.objects.filter(seller_account=account).values_list(
        "reimbursement_id", "case_reference", "amount_total", "approval_date"))
    return sum((actual - expected).values()), sum((expected - actual).values())


def case_money_differences(account: SellerAccount) -> dict[str, tuple[Decimal, Decimal]]:
    """Cases whose recovered amount is not the sum of their records: (shown, summed)."""
    summed = Counter()
    for case_id, amount in ReimbursementRecord.objects.filter(seller_account=account, case__isnull=False) \
            .values_list("case__marketplace_case_id", "amount_total"):
        summed[case_id] += amount
    return {
        case.marketplace_case_id: (case.recovered_amount, summed.get(case.marketplace_case_id, Decimal(0)))
        for case in Case.objects.filter(seller_account=account)
        if case.recovered_amount != summed.get(case.marketplace_case_id, Decimal(0))
    }


def bulk_sandbox_cases(account: SellerAccount, count: int) -> None:
    """`make_sandbox_cases` in one INSERT (the triggers fill the rollups and search keys); no history."""
    today = dt.date.today()
    types = list(ReimbursementType)
    Case.objects.bulk_create([
        Case(tenant_id=account.tenant_id, seller_account=account,
             marketplace_case_id=f"{account.external_id[-4:]}{n:06d}", reimbursement_type=types[n % len(types)],
             units_claimed=None if n % 7 == 0 else 1 + n % 4,
             claimed_amount=Decimal(15 + 3 * n) + Decimal("0.50"), currency="USD",
             date_filed=today - dt.timedelta(days=200 - n % 60),
             last_event_on=today - dt.timedelta(days=200 - n % 60))
        for n in range(count)
    ], batch_size=1000)


def runs(account: SellerAccount, status: str) -> list[SyncRun]:
    return list(SyncRun.objects.filter(seller_account=account, status=status).order_by("pk"))


class Sweep:
    def __init__(self, tmp_path: Path, *, seed: int):
        self.tmp_path = tmp_path
        self.directory = tmp_path / "killpoints"
        self.directory.mkdir()
        self.rng = random.Random(seed)
        self.workers: list[NamedWorker] = []
        self.tenants = [factories.make_tenant(f"Kill sweep {n}") for n in range(TENANTS)]
        self.poll_seconds = 0.0
        self.rounds: list[Round] = []

    def spawn(self) -> NamedWorker:
        worker = NamedWorker(self.tmp_path, app="tests.killpoints", visibility_timeout=VISIBILITY_TIMEOUT,
                             extra_env={"KILLPOINT_DIR": str(self.directory)})
        self.workers.append(worker.spawn())
        return worker

    def stop(self) -> None:
        for worker in self.workers:
            worker.stop()

    def account(self, number: int, *, cases: int = CASES_PER_ACCOUNT) -> SellerAccount:
        account = factories.make_seller_account(self.tenants[number % TENANTS], f"A1KILL{number:06d}")
        if cases > CASES_PER_ACCOUNT:
            bulk_sandbox_cases(account, cases)
        else:
            make_sandbox_cases(account, cases)
        return account

    def send(self, account: SellerAccount) -> None:
        with celery_app.connection_for_write(BROKER_URL) as broker:
            poll_account.apply_async((account.pk,), connection=broker)

    def measure_poll(self) -> None:
        """One poll nobody kills: how long a poll takes from sending to success, for the random kills."""
        for worker in self.workers:
            worker.wait_ready()
        account = self.account(0, cases=RANDOM_ROUND_CASES)
        sent = timezone.now()
        self.send(account)
        (run,) = wait_for(lambda: runs(account, RunStatus.SUCCEEDED), timeout=120, what="the measured poll")
        self.poll_seconds = (run.finished_at - sent).total_seconds()
        assert record_differences(account) == (0, 0)

    def _reached(self) -> tuple[str, int] | None:
        try:
            point, parent = (self.directory / "reached").read_text().split()
        except FileNotFoundError:
            return None
        return point, int(parent)

    def _doomed(self, point: str) -> list[NamedWorker]:
        if point in HOOKED:
            reached, parent = wait_for(self._reached, timeout=60, what=f"a poll to reach {point}")
            assert reached == point
            return [worker for worker in self.workers if worker.process.pid == parent]
        if point == "recompute":
            def blocked():
                return [worker for worker in self.workers
                        if any(wait == "Lock" for _, wait, _ in worker.sessions())]
            return wait_for(blocked, timeout=60, what="a poll to block in the recompute")
        time.sleep(self.rng.uniform(0, 1.2 * self.poll_seconds))
        return list(self.workers)

    def round(self, number: int, point: str) -> Round:
        for worker in self.workers:
            worker.wait_ready()
        account = self.account(number, cases=RANDOM_ROUND_CASES if point == "random" else CASES_PER_ACCOUNT)
        (self.directory / "reached").unlink(missing_ok=True)
        if point in HOOKED:
            (self.directory / "armed").write_text(point)
        locker = self._lock_cases(account) if point == "recompute" else None
        try:
            self.send(account)
            doomed = self._doomed(point)
            sessions = [session for worker in doomed for session in worker.sessions()]
            for worker in doomed:
                worker.kill()
        finally:
            if locker is not None:
                locker.close()
        for worker in doomed:
            self.workers.remove(worker)
            self.spawn()
            worker.wait_sessions_gone()
        self._wait_completed(account, point)
        done = Round(number, point, account, sessions)
        self.rounds.append(done)
        return done

    def _lock_cases(self, account: SellerAccount) -> psycopg.Connection:
        settings = connection.settings_dict
        locker = psycopg.connect(dbname=settings["NAME"], host=settings["HOST"] or "127.0.0.1",
                                 port=settings["PORT"] or 5432, user=settings["USER"] or None)
        locker.execute("SELECT set_config('app.tenant_ids', %s, true)", [str(account.tenant_id)])  # its tenant's rows
        locker.execute("SELECT id FROM cases_case WHERE seller_account_id = %s FOR NO KEY UPDATE", [account.pk])
        return locker

    def _wait_completed(self, account: SellerAccount, point: str) -> None:
        """The redelivered poll has run: an interrupted run then a succeeded one, or (killed after its
        commit) a second succeeded run. A random kill may land anywhere, even before or after the poll."""
        def completed():
            if runs(account, RunStatus.RUNNING):
                return False
            succeeded, failed = runs(account, RunStatus.SUCCEEDED), runs(account, RunStatus.FAILED)
            if point == "after_commit":
                return len(succeeded) >= 2
            if point == "random":
                return succeeded
            return succeeded and [run.error for run in failed] == [INTERRUPTED]

        wait_for(completed, timeout=180, what=f"the poll of {account.external_id} killed at {point} to complete")
        if point == "after_commit":
            assert [run.rows_new for run in runs(account, RunStatus.SUCCEEDED)][1:] == [0]


@pytest.fixture
def sweep(tmp_path):
    redis.Redis.from_url(BROKER_URL).flushdb()
    sweep = Sweep(tmp_path, seed=int(os.environ.get("STRESS_SEED", "8")))
    for _ in range(WORKERS):
        sweep.spawn()
    yield sweep
    sweep.stop()


def assert_nothing_lost_or_doubled(sweep: Sweep) -> None:
    for done in sweep.rounds:
        assert record_differences(done.account) == (0, 0), f"round {done.number} ({done.point})"
        assert case_money_differences(done.account) == {}, f"round {done.number} ({done.point})"
    assert not SyncRun.objects.filter(status=RunStatus.RUNNING).exists()
    for tenant in sweep.tenants:
        assert rollup_differences(tenant_id=tenant.pk) == [], tenant.name


def test_a_worker_killed_in_the_copy_the_recompute_or_after_the_commit_loses_and_doubles_nothing(sweep):
    for number, point in enumerate(("copy", "recompute", "after_commit"), start=1):
        done = sweep.round(number, point)
        assert record_differences(done.account) == (0, 0)

    assert_nothing_lost_or_doubled(sweep)
    assert [done.seen for done in sweep.rounds] == ["COPY", "WITH", "IDLE"]


@pytest.mark.stress
def test_a_hundred_workers_killed_at_every_point_of_polls_lose_and_double_nothing(sweep):
    sweep.measure_poll()
    points = [POINTS[n % len(POINTS)] for n in range(STRESS_KILLS)]
    sweep.rng.shuffle(points)
    started = time.monotonic()
    for number, point in enumerate(points, start=1):
        sweep.round(number, point)

    assert_nothing_lost_or_doubled(sweep)
    records = ReimbursementRecord.objects.filter(seller_account__in=[done.account for done in sweep.rounds])
    print(f"\nKill sweep: {len(sweep.rounds)} kills in {time.monotonic() - started:.0f} s, poll measured at "
          f"{sweep.poll_seconds:.2f} s; {records.count()} records, 0 doubled, 0 lost; rollups verified for "
          f"{len(sweep.tenants)} tenants")
    for (point, seen), count in sorted(Counter((done.point, done.seen) for done in sweep.rounds).items()):
        print(f"  {point:13} {seen:8} {count}")
