"""Database faults: the web's statement and lock timeouts, its 503 page, and a poll the database fails."""

import json
import os
import subprocess

import psycopg
import pytest
from django.db import OperationalError, connection
from django.urls import reverse

from sync.models import RunKind, RunStatus, SyncRun
from sync.services import DATABASE_UNAVAILABLE, account_poll
from tests.worker_helpers import ROOT, make_sandbox_cases, subprocess_database_url

pytestmark = pytest.mark.usefixtures("acme_scope")

SHOW_TIMEOUTS = (
    "import json\n"
    "from django.db import connection\n"
    "seen = {}\n"
    "with connection.cursor() as cursor:\n"
    "    for name in ('statement_timeout', 'lock_timeout', 'idle_in_transaction_session_timeout'):\n"
    "        cursor.execute('SHOW ' + name)\n"
    "        seen[name] = cursor.fetchone()[0]\n"
    "print('TIMEOUTS', json.dumps(seen))\n"
)


def timeouts_seen_by(command: list[str]) -> dict[str, str]:
    environment = {key: value for key, value in os.environ.items() if key != "CASETRACKER_WEB"}
    environment.update(DEBUG="true", DATABASE_URL=subprocess_database_url())
    out = subprocess.run(command, cwd=ROOT, env=environment, capture_output=True, text=True, check=True).stdout
    (line,) = [line for line in out.splitlines() if line.startswith("TIMEOUTS ")]
    return json.loads(line.removeprefix("TIMEOUTS "))


@pytest.fixture
def other_connection(db):
    settings = connection.settings_dict
    with psycopg.connect(host=settings["HOST"] or "127.0.0.1", port=settings["PORT"] or 5432,
                         user=settings["USER"] or None, dbname=settings["NAME"]) as other:
        yield other


@pytest.fixture
def lock_timeout_of_a_blink():
    with connection.cursor() as cursor:
        cursor.execute("SET lock_timeout = '200ms'")
    yield
    with connection.cursor() as cursor:
        cursor.execute("RESET lock_timeout")


def test_the_web_process_connects_with_the_statement_lock_and_idle_timeouts(db):
    python = str(ROOT / ".venv/bin/python")
    seen = timeouts_seen_by([python, "-c", "import casetracker.wsgi\n" + SHOW_TIMEOUTS])

    assert seen == {"statement_timeout": "30s", "lock_timeout": "10s", "idle_in_transaction_session_timeout": "1min"}


def test_management_commands_and_workers_are_not_bound_by_the_web_timeouts(db):
    python = str(ROOT / ".venv/bin/python")
    seen = timeouts_seen_by([python, "manage.py", "shell", "-c", SHOW_TIMEOUTS])

    assert seen == {"statement_timeout": "0", "lock_timeout": "0", "idle_in_transaction_session_timeout": "0"}


@pytest.mark.django_db(transaction=True)
def test_a_page_kept_waiting_past_the_lock_timeout_answers_503_and_the_next_one_succeeds(
    alice_client, acme, other_connection, lock_timeout_of_a_blink
):
    url = reverse("cases:overall", args=[acme.slug])
    alice_client.raise_request_exception = False
    other_connection.execute("LOCK TABLE accounts_membership IN ACCESS EXCLUSIVE MODE")

    busy = alice_client.get(url)
    other_connection.rollback()
    after = alice_client.get(url)

    assert busy.status_code == 503
    assert busy["Retry-After"] == "30"
    assert "Briefly unavailable" in busy.content.decode()
    assert after.status_code == 200


@pytest.mark.django_db(transaction=True)
def test_a_poll_the_database_fails_is_recorded_as_such_and_raised_for_the_retry(
    acme_amazon, other_connection, lock_timeout_of_a_blink
):
    make_sandbox_cases(acme_amazon, 10)
    other_connection.execute("LOCK TABLE cases_reimbursementrecord IN ACCESS EXCLUSIVE MODE")

    with pytest.raises(OperationalError):
        account_poll(seller_account_id=acme_amazon.pk, kind=RunKind.POLL)
    other_connection.rollback()

    (run,) = SyncRun.objects.filter(seller_account=acme_amazon)
    assert (run.status, run.error) == (RunStatus.FAILED, DATABASE_UNAVAILABLE)
    acme_amazon.refresh_from_db()
    assert acme_amazon.last_sync_error == DATABASE_UNAVAILABLE
