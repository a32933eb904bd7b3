"""Inventory Ledger ingestion: parse, stage with COPY, store the new lines, detect again; one transaction."""

import time
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone

from accounts.models import SellerAccount
from ledger.models import LedgerLine
from ledger.services import ledger_lines_insert_staged, opportunities_detect
from monitoring.metrics import import_observed
from sync.ingest import SESSION_SQL, copy_lines
from sync.ledger_report import STAGING_COLUMNS, read_ledger_copy, staging_columns_sql
from sync.models import RunKind, RunReport, RunStatus, SyncRun

SOURCE_MAX_LENGTH = LedgerLine._meta.get_field("source").max_length
RUN_SOURCE_MAX_LENGTH = SyncRun._meta.get_field("source").max_length
STAGING_TABLE = "sync_ledger_rows"
CREATE_STAGING_SQL = f"""
DROP TABLE IF EXISTS pg_temp.{STAGING_TABLE};
CREATE TEMP TABLE {STAGING_TABLE} (
{staging_columns_sql()}
) ON COMMIT DROP
"""
COPY_BATCH = 2000
"""Lines sent to COPY in one write."""


@dataclass(frozen=True)
class LedgerIngestResult:
    rows_read: int
    rows_new: int
    rows_reconciled: int
    opportunities_changed: int


@transaction.atomic
def ingest_ledger(
    *, seller_account: SellerAccount, lines: Iterable[str], source: str, run_id: int | None = None
) -> LedgerIngestResult:
    """Add the ledger's new lines to `seller_account` and detect its opportunities again for the FNSKUs
    they touch, atomically. A bad file raises `sync.report.ReportError` naming each bad line and column,
    and nothing is written. Running it again with the same or an overlapping file adds nothing: a line is
    known by its fingerprint and its rank among identical lines of the file, as a reimbursement line is
    (see `sync.ingest.ingest_report`, whose session settings this shares)."""
    source = source[:SOURCE_MAX_LENGTH]
    with connection.cursor() as cursor:
        cursor.execute(SESSION_SQL)
        cursor.execute(CREATE_STAGING_SQL)
        rows_read = copy_lines(
            cursor, table=STAGING_TABLE, columns=STAGING_COLUMNS, lines=read_ledger_copy(lines, source=source),
            batch_size=COPY_BATCH,
        )
        stored = ledger_lines_insert_staged(
            seller_account=seller_account, staging_table=STAGING_TABLE, source=source, run_id=run_id
        )
        cursor.execute(f"DROP TABLE {STAGING_TABLE}")
    changed = opportunities_detect(seller_account=seller_account, fnskus=stored.fnskus) if stored.fnskus else 0
    return LedgerIngestResult(rows_read, stored.rows_new, stored.rows_reconciled, changed)


RUN_COUNTS = ("rows_read", "rows_new", "opportunities_changed")


def import_ledger(
    *, seller_account: SellerAccount, lines: Iterable[str], source: str, kind: RunKind, actor=None,
    run: SyncRun | None = None,
) -> SyncRun:
    """`ingest_ledger` with its SyncRun (report Inventory Ledger): succeeded with the counts, in the same
    transaction as the lines; or failed with the error, outside the rolled-back ingestion, and re-raised."""
    if run is None:
        run = SyncRun(tenant_id=seller_account.tenant_id, seller_account=seller_account, kind=kind, actor=actor)
    run.report = RunReport.LEDGER
    run.source = source[:RUN_SOURCE_MAX_LENGTH]
    run.save()
    started = time.monotonic()
    try:
        with transaction.atomic():
            result = ingest_ledger(seller_account=seller_account, lines=lines, source=source, run_id=run.pk)
            for name in RUN_COUNTS:
                setattr(run, name, getattr(result, name))
            run.status, run.error, run.finished_at = RunStatus.SUCCEEDED, "", timezone.now()
            run.save(update_fields=[*RUN_COUNTS, "status", "error", "finished_at"])
    except BaseException as error:
        for name in RUN_COUNTS:
            setattr(run, name, 0)
        run.status, run.error, run.finished_at = RunStatus.FAILED, str(error) or type(error).__name__, timezone.now()
        run.save(update_fields=[*RUN_COUNTS, "status", "error", "finished_at"])
        import_observed(run=run, seconds=time.monotonic() - started)
        raise
    import_observed(run=run, seconds=time.monotonic() - started)
    return run
