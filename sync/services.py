"""Polling seller accounts' marketplaces: one poll of an account at a time, each recorded as a SyncRun."""

import datetime as dt
import logging

from django.db import DatabaseError, InterfaceError, OperationalError, transaction
from django.db.models import DateTimeField, ExpressionWrapper, F, Q, Value
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables
from django_scopes import scope

from accounts.models import SellerAccount, SyncBackend
from accounts.rls import across_tenants
from cases.locks import account_poll_lock
from monitoring.logs import log_context, log_context_bind
from monitoring.metrics import poll_observed
from sync.adapters.base import CredentialsRejected, MarketplaceError
from sync.adapters.registry import adapter_for
from sync.crypto import secret_encrypt
from sync.ingest import import_report
from sync.ledger_ingest import import_ledger
from sync.models import PendingPoll, RunKind, RunReport, RunStatus, SyncRun
from sync.report import ReportError

logger = logging.getLogger(__name__)

OVERLAP = dt.timedelta(days=7)
"""Rows appear in the report 4 to 5 days after approval: each window starts a week before the last sync."""
FIRST_LOOKBACK = dt.timedelta(days=548)
POLL_KINDS = (RunKind.POLL, RunKind.MANUAL_POLL)
UNEXPECTED = "The sync failed unexpectedly; our team has been told and will look into it."
INTERRUPTED = "Interrupted: the process running it stopped before it finished. Nothing of it was kept."
DATABASE_UNAVAILABLE = "The database was briefly unavailable; nothing of this run was kept and it is tried again."


class AccountNotPollable(Exception):
    def __init__(self, account: SellerAccount, why: str):
        self.account, self.why = account, why
        super().__init__(f"{account.label} cannot be polled: {why}")


def account_poll(*, seller_account_id: int, kind: RunKind) -> SyncRun:
    """Poll one account's marketplace now and ingest what it reports.

    Never overlaps another poll of the same account: if one is running, a SKIPPED run is
    recorded and returned. Otherwise the run goes from running to succeeded (with its counts,
    committed with the rows) or failed; the account's sync fields follow. Errors are logged with
    the account and run, recorded, and re-raised: MarketplaceError (see `retryable`), ReportError,
    anything else. Raises AccountNotPollable, recording nothing, when the account cannot be polled.
    """
    with across_tenants(reason=f"poll: the tenant of seller account {seller_account_id}"):
        tenant = SellerAccount.objects.select_related("tenant").get(pk=seller_account_id).tenant
    with (
        scope(tenant=tenant),
        log_context(tenant_id=tenant.pk, seller_account_id=seller_account_id),
        account_poll_lock(seller_account_id=seller_account_id) as acquired,
    ):
        account = SellerAccount.objects.get(pk=seller_account_id, tenant=tenant)  # fresh, under the lock
        problem = account.poll_problem
        if problem:
            raise AccountNotPollable(account, problem)
        if not acquired:
            now = timezone.now()
            logger.info("Poll of %s skipped: another poll of it is running", account.label)
            poll_observed(outcome=RunStatus.SKIPPED)
            return SyncRun.objects.create(
                tenant_id=account.tenant_id, seller_account=account, kind=kind, status=RunStatus.SKIPPED,
                finished_at=now, error="Another poll of this account was in progress.",
            )
        return _poll(account, kind)


def _poll(account: SellerAccount, kind: RunKind) -> SyncRun:
    """Both reports, each in its run: the ledger is fetched whether the reimbursements report succeeded or
    not, and its failure is recorded on its own run, never failing the poll (the next poll asks again for
    its window since its own last success)."""
    try:
        return _poll_reimbursements(account, kind)
    finally:
        if account.ledger_polled:
            _poll_ledger(account, kind)


def _poll_ledger(account: SellerAccount, kind: RunKind) -> SyncRun | None:
    run = None
    try:
        adapter = adapter_for(account)
        until = timezone.now()
        last = (
            SyncRun.objects.filter(tenant_id=account.tenant_id, seller_account=account, report=RunReport.LEDGER,
                                   kind__in=POLL_KINDS, status=RunStatus.SUCCEEDED)
            .order_by("-window_end").values_list("window_end", flat=True).first()
        )
        since = last - OVERLAP if last else until - FIRST_LOOKBACK
        run = SyncRun.objects.create(tenant_id=account.tenant_id, seller_account=account, kind=kind,
                                     report=RunReport.LEDGER, window_start=since, window_end=until)
        lines = adapter.fetch_ledger(account, since=since, until=until)
        run = import_ledger(seller_account=account, lines=lines, source=adapter.source, kind=kind, run=run)
    except (MarketplaceError, ReportError) as error:
        message = error.message if isinstance(error, MarketplaceError) else str(error)
        logger.warning("Ledger poll of %s (run %s) failed: %s", account.label, run and run.pk, message)
        _ledger_failed(run, message)
    except Exception:
        logger.exception("Ledger poll of %s (run %s) failed unexpectedly", account.label, run and run.pk)
        _ledger_failed(run, UNEXPECTED)
    else:
        logger.info("Ledger poll of %s (run %s): %s lines, %s new, %s identified amounts changed", account.label,
                    run.pk, run.rows_read, run.rows_new, run.opportunities_changed)
    return run


def _ledger_failed(run: SyncRun | None, message: str) -> None:
    if run is None:
        return
    try:
        SyncRun.objects.filter(pk=run.pk, tenant_id=run.tenant_id).update(
            status=RunStatus.FAILED, finished_at=timezone.now(), error=message)
    except DatabaseError:
        logger.warning("Ledger run %s stays running until the next poll: the database is unavailable", run.pk)


def _poll_reimbursements(account: SellerAccount, kind: RunKind) -> SyncRun:
    SyncRun.objects.filter(
        tenant_id=account.tenant_id, seller_account=account, kind__in=POLL_KINDS, status=RunStatus.RUNNING
    ).update(status=RunStatus.FAILED, finished_at=timezone.now(), error=INTERRUPTED)
    adapter = adapter_for(account)
    until = timezone.now()
    since = account.last_synced_at - OVERLAP if account.last_synced_at else until - FIRST_LOOKBACK
    run = SyncRun.objects.create(
        tenant_id=account.tenant_id, seller_account=account, kind=kind, report=RunReport.REIMBURSEMENTS,
        window_start=since, window_end=until,
    )
    log_context_bind(run_id=run.pk)
    try:
        lines = adapter.fetch_reimbursements(account, since=since, until=until)
        run = import_report(seller_account=account, lines=lines, source=adapter.source, kind=kind, run=run)
    except MarketplaceError as error:
        _poll_failed(account, run, error.message, reconnect=isinstance(error, CredentialsRejected))
        logger.warning("Poll of %s (run %s) failed, %s: %s", account.label, run.pk,
                       "will retry" if error.retryable else "not retryable", error.message)
        raise
    except (OperationalError, InterfaceError) as error:
        logger.warning("Poll of %s (run %s) failed, will retry: the database is unavailable: %s",
                       account.label, run.pk, error)
        _poll_failed_if_database_allows(account, run)
        raise
    except ReportError as error:
        _poll_failed(account, run, str(error))
        logger.error("Poll of %s (run %s): the report is unreadable: %s", account.label, run.pk, error)
        raise
    except Exception:
        _poll_failed(account, run, UNEXPECTED)
        logger.exception("Poll of %s (run %s) failed unexpectedly", account.label, run.pk)
        raise
    now = timezone.now()
    SellerAccount.objects.filter(pk=account.pk, tenant_id=account.tenant_id).update(
        last_synced_at=now, next_sync_at=now + dt.timedelta(hours=account.sync_interval_hours),
        last_sync_error="", needs_reconnect=False,
    )
    logger.info("Poll of %s (run %s): %s rows, %s new, %s cases changed", account.label, run.pk,
                run.rows_read, run.rows_new, run.cases_changed)
    poll_observed(outcome=RunStatus.SUCCEEDED)
    return run


def _poll_failed(account: SellerAccount, run: SyncRun, message: str, *, reconnect: bool = False) -> None:
    now = timezone.now()
    run.status, run.finished_at, run.error = RunStatus.FAILED, now, message
    run.save(update_fields=["status", "finished_at", "error"])
    poll_observed(outcome=RunStatus.FAILED)
    fields = {"last_sync_failed_at": now, "last_sync_error": message,
              "next_sync_at": now + dt.timedelta(hours=account.sync_interval_hours)}
    if reconnect:
        fields["needs_reconnect"] = True
    SellerAccount.objects.filter(pk=account.pk, tenant_id=account.tenant_id).update(**fields)


def _poll_failed_if_database_allows(account: SellerAccount, run: SyncRun) -> None:
    """Record a poll that the database failed, if it answers again; if not, the run stays running
    and the next poll marks it interrupted (the worker closes the broken connection after the task)."""
    try:
        _poll_failed(account, run, DATABASE_UNAVAILABLE)
    except DatabaseError:
        logger.warning("Run %s of %s stays running until the next poll: the database is unavailable",
                       run.pk, account.label)


def accounts_schedule_due_polls(*, now: dt.datetime) -> list[int]:
    """Claim every pollable account whose next sync is due (or was never set) and write its poll to
    the outbox (sync/outbox.py), which `polls_publish` hands to the broker.

    Claiming moves `next_sync_at` one interval ahead in the same transaction as the outbox row, so a
    second call (or a second beat) claims nothing more, and a broker that is down loses no poll.
    """
    with transaction.atomic(), across_tenants(reason="scheduler: the due accounts of every tenant"):
        due = list(
            SellerAccount.objects.select_for_update(skip_locked=True)
            .pollable()
            .filter(Q(next_sync_at__isnull=True) | Q(next_sync_at__lte=now))
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        SellerAccount.objects.filter(pk__in=due).update(next_sync_at=ExpressionWrapper(
            Value(now) + F("sync_interval_hours") * Value(dt.timedelta(hours=1)), output_field=DateTimeField()
        ))
        PendingPoll.objects.bulk_create(
            [PendingPoll(seller_account_id=pk, kind=RunKind.POLL) for pk in due], ignore_conflicts=True
        )
    return due


@transaction.atomic
@sensitive_variables("client_secret", "refresh_token")
def seller_account_set_credentials(
    *, seller_account: SellerAccount, client_id: str, client_secret: str, refresh_token: str
) -> SellerAccount:
    """Store the seller's SP-API authorization (encrypted) and poll it through SP-API from now on."""
    seller_account.lwa_client_id = client_id.strip()
    seller_account.lwa_client_secret_encrypted = secret_encrypt(plain=client_secret.strip())
    seller_account.lwa_refresh_token_encrypted = secret_encrypt(plain=refresh_token.strip())
    seller_account.sync_backend = SyncBackend.AMAZON_SP_API
    seller_account.needs_reconnect = False
    seller_account.save(update_fields=[
        "lwa_client_id", "lwa_client_secret_encrypted", "lwa_refresh_token_encrypted", "sync_backend",
        "needs_reconnect",
    ])
    return seller_account
