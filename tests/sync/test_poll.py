"""account_poll, the due-poll scheduler and the poll_marketplaces command, on the real database."""

import datetime as dt
import io
import logging
import re

import psycopg
import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone
from django_scopes import scopes_disabled

from accounts.models import Marketplace, SyncBackend
from cases.locks import LockNamespace
from cases.models import Case, CaseStatus, ReimbursementRecord
from sync.models import PendingPoll, RunKind, RunStatus, SyncRun
from sync.services import (
    INTERRUPTED,
    AccountNotPollable,
    account_poll,
    accounts_schedule_due_polls,
)
from tests import factories
from tests.worker_helpers import assert_figures_exact, make_sandbox_cases

pytestmark = pytest.mark.usefixtures("acme_scope")


@pytest.fixture
def cases(acme_amazon):
    return make_sandbox_cases(acme_amazon, 40)


def test_a_poll_moves_cases_and_figures_exactly(acme_amazon, cases):
    run = account_poll(seller_account_id=acme_amazon.pk, kind=RunKind.POLL)

    assert run.status == RunStatus.SUCCEEDED and run.rows_new == run.rows_read > 0 and run.cases_changed > 0
    assert run.source == "sandbox seed 1"
    assert Case.objects.filter(seller_account=acme_amazon, status=CaseStatus.OPEN).count() < len(cases)
    assert_figures_exact(acme_amazon, run)
    acme_amazon.refresh_from_db()
    assert acme_amazon.last_synced_at and acme_amazon.next_sync_at - acme_amazon.last_synced_at == dt.timedelta(hours=4)


def test_polling_again_changes_nothing(acme_amazon, cases):
    first = account_poll(seller_account_id=acme_amazon.pk, kind=RunKind.POLL)
    records = ReimbursementRecord.objects.filter(seller_account=acme_amazon).count()

    again = account_poll(seller_account_id=acme_amazon.pk, kind=RunKind.POLL)

    assert (again.status, again.rows_new, again.cases_changed) == (RunStatus.SUCCEEDED, 0, 0)
    assert again.window_start < first.window_end, "the next window overlaps the last one"
    assert ReimbursementRecord.objects.filter(seller_account=acme_amazon).count() == records
    assert_figures_exact(acme_amazon, first)


def test_a_poll_while_another_poll_of_the_account_runs_is_skipped(acme_amazon, cases):
    settings = connection.settings_dict
    with psycopg.connect(host=settings["HOST"] or "127.0.0.1", port=settings["PORT"] or 5432,
                         user=settings["USER"] or None, dbname=settings["NAME"], autocommit=True) as other:
        other.execute("SELECT pg_advisory_lock(%s, %s)", [LockNamespace.ACCOUNT_POLL, acme_amazon.pk])
        run = account_poll(seller_account_id=acme_amazon.pk, kind=RunKind.POLL)

    assert run.status == RunStatus.SKIPPED
    assert not ReimbursementRecord.objects.filter(seller_account=acme_amazon).exists()
    acme_amazon.refresh_from_db()
    assert acme_amazon.last_synced_at is None


def test_a_run_left_running_by_a_killed_process_is_marked_interrupted(acme_amazon, cases):
    orphan = SyncRun.objects.create(tenant=acme_amazon.tenant, seller_account=acme_amazon, kind=RunKind.POLL)

    account_poll(seller_account_id=acme_amazon.pk, kind=RunKind.POLL)

    orphan.refresh_from_db()
    assert (orphan.status, orphan.error) == (RunStatus.FAILED, INTERRUPTED)


def test_a_walmart_account_is_not_polled(acme):
    walmart = factories.make_seller_account(acme, "10001234", marketplace=Marketplace.WALMART, region="",
                                            sync_backend=SyncBackend.MANUAL)

    with pytest.raises(AccountNotPollable):
        account_poll(seller_account_id=walmart.pk, kind=RunKind.POLL)
    assert not SyncRun.objects.exists()


def test_the_scheduler_claims_due_accounts_into_the_outbox_once(acme, globex_amazon):
    now = timezone.now()
    due = factories.make_seller_account(acme, "A1DUE", next_sync_at=now - dt.timedelta(minutes=1))
    never = factories.make_seller_account(acme, "A1NEVER", sync_interval_hours=12)
    factories.make_seller_account(acme, "A1LATER", next_sync_at=now + dt.timedelta(hours=1))
    factories.make_seller_account(acme, "A1RECONNECT", needs_reconnect=True)
    factories.make_seller_account(acme, "A1OFF", connected=False)
    factories.make_seller_account(acme, "A1MANUAL", sync_backend=SyncBackend.MANUAL)
    factories.make_seller_account(acme, "10009999", marketplace=Marketplace.WALMART, region="")

    claimed = accounts_schedule_due_polls(now=now)
    again = accounts_schedule_due_polls(now=now)

    assert sorted(claimed) == sorted([due.pk, never.pk, globex_amazon.pk])
    assert sorted(PendingPoll.objects.values_list("seller_account_id", "kind")) == sorted(
        (pk, RunKind.POLL) for pk in claimed
    )
    assert again == []
    due.refresh_from_db()
    assert due.next_sync_at == now + dt.timedelta(hours=4)
    never.refresh_from_db()
    assert never.next_sync_at == now + dt.timedelta(hours=12), "each account's own interval"


def test_the_command_polls_every_account_and_prints_a_line_for_each(acme_amazon, globex_amazon, cases, capsys):
    call_command("poll_marketplaces")

    out = capsys.readouterr().out
    assert f"{acme_amazon.label}: " in out and f"{globex_amazon.label}: " in out
    assert "rows read" in out and "cases changed" in out
    with scopes_disabled():  # the runs of both tenants, as the operator's command sees them
        assert SyncRun.objects.filter(kind=RunKind.MANUAL_POLL, status=RunStatus.SUCCEEDED).count() == 2


def test_the_command_polls_only_the_seller_account_named(acme_amazon, globex_amazon, cases):
    call_command("poll_marketplaces", "--seller-account", acme_amazon.external_id)

    assert list(SyncRun.objects.values_list("seller_account", flat=True)) == [acme_amazon.pk]


def test_the_command_skips_an_account_with_nothing_to_poll_and_says_why(acme, acme_amazon, cases, capsys):
    walmart = factories.make_seller_account(acme, "10001234", marketplace=Marketplace.WALMART, region="")
    manual = factories.make_seller_account(acme, sync_backend=SyncBackend.MANUAL)

    call_command("poll_marketplaces")

    out = capsys.readouterr().out
    assert f"{walmart.label}: skipped: there is nothing to poll for Walmart with the " in out
    assert f"{manual.label}: skipped: there is nothing to poll for Amazon with the " in out
    assert out.splitlines()[-1] == "1 polled, 2 skipped, 0 failed."
    assert list(SyncRun.objects.values_list("seller_account", flat=True)) == [acme_amazon.pk]


def test_the_command_skips_accounts_not_connected_or_needing_reconnecting_in_a_sweep(acme, capsys):
    reconnect = factories.make_seller_account(acme, needs_reconnect=True)
    unconnected = factories.make_seller_account(acme, connected=False)

    call_command("poll_marketplaces")

    out = capsys.readouterr().out
    assert f"{reconnect.label}: skipped: it needs reconnecting" in out
    assert f"{unconnected.label}: skipped: it is not connected" in out
    assert not SyncRun.objects.exists()


def test_a_walmart_account_named_is_skipped_not_failed(acme, capsys):
    factories.make_seller_account(acme, "10001234", marketplace=Marketplace.WALMART, region="")

    call_command("poll_marketplaces", "--seller-account", "10001234")

    assert "Walmart 10001234: skipped: there is nothing to poll for Walmart" in capsys.readouterr().out


def test_the_command_fails_when_the_account_named_needs_reconnecting(acme, capsys):
    account = factories.make_seller_account(acme, needs_reconnect=True)

    with pytest.raises(CommandError, match="1 of 1 polls failed"):
        call_command("poll_marketplaces", "--seller-account", account.external_id)
    assert f"{account.label}: not polled: it needs reconnecting" in capsys.readouterr().err


def test_the_command_prints_plain_lines_in_order_when_stdout_is_not_a_terminal(acme, acme_amazon, cases):
    walmart = factories.make_seller_account(acme, "10001234", marketplace=Marketplace.WALMART, region="")
    out = io.StringIO()

    call_command("poll_marketplaces", stdout=out)

    run = SyncRun.objects.get()
    polled, skipped, summary = out.getvalue().splitlines()
    assert re.fullmatch(
        rf"{acme_amazon.label}: run {run.pk}: {run.rows_read} rows read, {run.rows_new} new, "
        rf"{run.cases_changed} cases changed, {run.status_changes} status changes \(\d+\.\d s\)", polled)
    assert skipped.startswith(f"{walmart.label}: skipped: there is nothing to poll for Walmart with the ")
    assert summary == "1 polled, 1 skipped, 0 failed."
    assert "\x1b" not in out.getvalue() and "\r" not in out.getvalue()


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_the_command_draws_a_progress_bar_when_stdout_is_a_terminal(acme, acme_amazon, cases):
    out = Terminal()

    call_command("poll_marketplaces", stdout=out)

    assert "Polling" in out.getvalue() and "1/1" in out.getvalue()
    assert f"{acme_amazon.label}: run " in out.getvalue()


def test_the_info_log_of_each_poll_is_not_repeated_while_the_command_prints_it(acme_amazon, cases, caplog):
    call_command("poll_marketplaces", stdout=io.StringIO())

    assert not [record for record in caplog.records
                if record.name == "sync.services" and record.levelno < logging.WARNING]
    assert logging.getLogger("sync.services").getEffectiveLevel() == logging.INFO, "restored afterwards"
