"""Polls through a real Celery worker process, on the test database and the test broker."""

import psycopg
import pytest
import redis
from django.db import connection

from cases.models import ReimbursementRecord
from casetracker.celery import app as celery_app
from jobs.models import SetAsideTask
from sync.models import RunStatus, SyncRun
from sync.services import DATABASE_UNAVAILABLE, INTERRUPTED
from sync.tasks import poll_account, poll_due_accounts
from tests.worker_helpers import BROKER_URL, Worker, assert_figures_exact, make_sandbox_cases, wait_for
from tests.worker_tasks import crash_runs_key, crash_worker

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("acme_scope")]


@pytest.fixture(autouse=True)
def empty_test_broker():
    redis.Redis.from_url(BROKER_URL).flushdb()


def send(task, *args) -> None:
    """Enqueue on the workers' broker, not the one in the settings."""
    with celery_app.connection_for_write(BROKER_URL) as connection:
        task.apply_async(args, connection=connection)


@pytest.fixture
def start_worker(tmp_path):
    workers: list[Worker] = []

    def start(*, visibility_timeout: int = 30, concurrency: int = 1, sandbox_delay: int = 0) -> Worker:
        worker = Worker(tmp_path, visibility_timeout=visibility_timeout, concurrency=concurrency)
        workers.append(worker)
        worker.start(sandbox_delay=sandbox_delay)
        return worker

    yield start
    for worker in workers:
        worker.stop()


def runs(account, status: str):
    return list(SyncRun.objects.filter(seller_account=account, status=status).order_by("pk"))


def test_a_poll_through_the_worker_moves_cases_and_running_it_again_changes_nothing(acme_amazon, start_worker):
    make_sandbox_cases(acme_amazon, 30)
    start_worker()

    send(poll_due_accounts)
    (first,) = wait_for(lambda: runs(acme_amazon, RunStatus.SUCCEEDED), timeout=60, what="the scheduled poll")
    assert first.rows_new > 0 and first.cases_changed > 0
    assert_figures_exact(acme_amazon, first)
    records = ReimbursementRecord.objects.filter(seller_account=acme_amazon).count()

    send(poll_account, acme_amazon.pk)
    second = wait_for(lambda: runs(acme_amazon, RunStatus.SUCCEEDED)[1:], timeout=60, what="the second poll")[0]

    assert (second.rows_new, second.cases_changed, second.status_changes) == (0, 0, 0)
    assert ReimbursementRecord.objects.filter(seller_account=acme_amazon).count() == records
    assert_figures_exact(acme_amazon, first)


def test_a_worker_killed_during_a_poll_loses_nothing_and_doubles_nothing(acme_amazon, start_worker, tmp_path):
    make_sandbox_cases(acme_amazon, 30)
    doomed = start_worker(visibility_timeout=4, sandbox_delay=60)

    send(poll_account, acme_amazon.pk)
    wait_for(lambda: runs(acme_amazon, RunStatus.RUNNING), timeout=60, what="the poll to start")
    doomed.kill()
    assert not ReimbursementRecord.objects.filter(seller_account=acme_amazon).exists()

    start_worker(visibility_timeout=4)
    (done,) = wait_for(lambda: runs(acme_amazon, RunStatus.SUCCEEDED), timeout=60, what="the redelivered poll")

    assert [run.error for run in runs(acme_amazon, RunStatus.FAILED)] == [INTERRUPTED]
    assert runs(acme_amazon, RunStatus.RUNNING) == []
    assert_figures_exact(acme_amazon, done)


def test_two_polls_of_one_account_at_once_run_one_and_skip_the_other(acme_amazon, start_worker):
    make_sandbox_cases(acme_amazon, 30)
    start_worker(concurrency=2, sandbox_delay=3)

    send(poll_account, acme_amazon.pk)
    send(poll_account, acme_amazon.pk)
    finished = wait_for(
        lambda: len(runs(acme_amazon, RunStatus.SUCCEEDED) + runs(acme_amazon, RunStatus.SKIPPED)) == 2,
        timeout=60, what="both polls",
    )

    assert finished
    assert len(runs(acme_amazon, RunStatus.SKIPPED)) == 1
    (done,) = runs(acme_amazon, RunStatus.SUCCEEDED)
    assert_figures_exact(acme_amazon, done)


def test_a_poll_whose_database_connection_is_killed_is_retried_and_completes(acme_amazon, start_worker):
    make_sandbox_cases(acme_amazon, 30)
    worker = start_worker(visibility_timeout=10, sandbox_delay=3)

    send(poll_account, acme_amazon.pk)
    wait_for(lambda: runs(acme_amazon, RunStatus.RUNNING), timeout=60, what="the poll to start")
    settings = connection.settings_dict
    with psycopg.connect(host=settings["HOST"] or "127.0.0.1", port=settings["PORT"] or 5432,
                         user=settings["USER"] or None, dbname=settings["NAME"], autocommit=True) as admin:
        killed = admin.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid() AND pid <> %s",
            [connection.connection.info.backend_pid],
        ).fetchone()[0]
    (done,) = wait_for(lambda: runs(acme_amazon, RunStatus.SUCCEEDED), timeout=60, what="the retried poll")

    assert killed >= 1
    assert "Retry in" in worker.log()
    assert {run.error for run in runs(acme_amazon, RunStatus.FAILED)} <= {INTERRUPTED, DATABASE_UNAVAILABLE}
    assert len(runs(acme_amazon, RunStatus.FAILED)) == 1
    assert_figures_exact(acme_amazon, done)


def test_a_message_that_kills_its_worker_every_time_is_set_aside_after_three_runs(acme_amazon, start_worker):
    make_sandbox_cases(acme_amazon, 10)
    start_worker(visibility_timeout=4)

    send(crash_worker, "poison")
    aside = wait_for(lambda: SetAsideTask.objects.first(), timeout=90, what="the message to be set aside")

    assert (aside.task_name, aside.args, aside.deliveries) == ("tests.worker_tasks.crash_worker", ["poison"], 4)
    assert "worker was lost" in aside.last_error
    assert int(redis.Redis.from_url(BROKER_URL).get(crash_runs_key("poison"))) == 3
    send(poll_account, acme_amazon.pk)
    wait_for(lambda: runs(acme_amazon, RunStatus.SUCCEEDED), timeout=60, what="a poll after the poison message")
    assert int(redis.Redis.from_url(BROKER_URL).get(crash_runs_key("poison"))) == 3, "never run again"
