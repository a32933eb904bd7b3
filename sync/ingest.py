"""Reimbursement report ingestion: one transaction, set-based, safe to run twice."""

from collections.abc import Iterable
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone

from accounts.models import SellerAccount
from cases.models import EventSource
from cases.services import cases_recompute
from sync.models import RunKind, RunStatus, SyncRun
from sync.report import ReportRow, read_report

INGEST_LOCK_NAMESPACE = 0x5EB1
"""First key of `pg_advisory_xact_lock(namespace, seller_account_id)`: one ingestion per account at a time."""

SOURCE_MAX_LENGTH = 200

ROW_COLUMNS = (
    "case_reference", "approval_date", "reimbursement_id", "amazon_order_id", "reason", "sku", "fnsku",
    "asin", "product_name", "condition", "currency", "amount_per_unit", "amount_total", "quantity_cash",
    "quantity_inventory", "original_reimbursement_id", "original_reimbursement_type",
)

STAGING_COLUMNS = ("line", "fingerprint", *ROW_COLUMNS)
"""In the order of `sync.report.ReportRow`."""

CREATE_STAGING_SQL = """
DROP TABLE IF EXISTS pg_temp.sync_report_rows;
CREATE TEMP TABLE sync_report_rows (
    line integer NOT NULL,
    fingerprint uuid NOT NULL,
    case_reference text NOT NULL,
    approval_date timestamptz NOT NULL,
    reimbursement_id text NOT NULL,
    amazon_order_id text NOT NULL,
    reason text NOT NULL,
    sku text NOT NULL,
    fnsku text NOT NULL,
    asin text NOT NULL,
    product_name text NOT NULL,
    condition text NOT NULL,
    currency text NOT NULL,
    amount_per_unit numeric NOT NULL,
    amount_total numeric NOT NULL,
    quantity_cash integer NOT NULL,
    quantity_inventory integer NOT NULL,
    original_reimbursement_id text NOT NULL,
    original_reimbursement_type text NOT NULL
) ON COMMIT DROP
"""

INSERT_SQL = f"""
WITH inserted AS (
    INSERT INTO cases_reimbursementrecord (
        tenant_id, seller_account_id, case_id, {", ".join(ROW_COLUMNS)},
        fingerprint, occurrence, source, source_line, created_at
    )
    SELECT %(tenant_id)s, %(seller_account_id)s, c.id, {", ".join("s." + c for c in ROW_COLUMNS)},
        s.fingerprint, s.occurrence, %(source)s, s.line, now()
    FROM (
        SELECT *, row_number() OVER (PARTITION BY fingerprint ORDER BY line) AS occurrence FROM sync_report_rows
    ) s
    LEFT JOIN cases_case c
        ON c.seller_account_id = %(seller_account_id)s AND c.marketplace_case_id = s.case_reference
        AND s.case_reference <> ''
    ORDER BY s.line
    ON CONFLICT (seller_account_id, fingerprint, occurrence) DO NOTHING
    RETURNING id, case_id
)
SELECT (SELECT count(*) FROM inserted),
    (SELECT coalesce(array_agg(id ORDER BY id), '{{}}') FROM inserted WHERE case_id IS NOT NULL),
    (SELECT coalesce(array_agg(DISTINCT case_id), '{{}}') FROM inserted WHERE case_id IS NOT NULL)
"""
"""Insert the lines not seen before, each already attached to the case with its case ID in the same
seller account (never another account's or tenant's case). Matching while inserting writes each
record once, instead of inserting it and then updating it. Answers how many rows were new, the
new records attached to a case and those cases, as two arrays: a report of a million new rows
costs two lists of integers in Python, not a million tuples."""


@dataclass(frozen=True)
class IngestResult:
    rows_read: int
    rows_new: int
    rows_matched: int
    cases_changed: int
    status_changes: int


def _copy_rows(cursor, rows: Iterable[ReportRow]) -> int:
    count = 0
    with cursor.copy(f"COPY sync_report_rows ({', '.join(STAGING_COLUMNS)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
            count += 1
    return count


@transaction.atomic
def ingest_report(*, seller_account: SellerAccount, lines: Iterable[str], source: str) -> IngestResult:
    """Parse the report and add its new rows to `seller_account`, atomically.

    Takes the account's advisory lock, streams the rows into a temporary table, inserts the rows
    not seen before, attached to the account's cases by case ID, and recomputes those cases
    (`cases.services.cases_recompute`: status, history naming `source` and the row, rollups).
    For the rest of the transaction JIT is off (compiling costs more than it saves on these
    statements) and `work_mem` is 64 MB, so that sorting 100,000 rows stays in memory. Raises `sync.report.ReportError` and writes
    nothing if any line is bad. Running it again with the same or an overlapping report adds
    nothing.

    Why a line is new or not: a line's identity is its fingerprint (a hash of its values, see
    `sync.report.fingerprint`) and its occurrence, the rank of the line among the identical
    lines of this report (1, 2, ... in file order). `reimbursement-id` alone cannot identify a
    line (one reimbursement covers several lines), and the fingerprint alone cannot either (two
    truly separate identical lines must both count). Identical lines share the approval date,
    so every report that covers that date holds all of them: re-importing the same file, a
    later overlapping poll window, or the region-wide report fetched once per marketplace
    yields the same (fingerprint, occurrence) pairs and the unique constraint turns them into
    no-ops, while the second of two identical lines stays occurrence 2 and counts once.
    """
    source = source[:SOURCE_MAX_LENGTH]
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, %s::integer)", [INGEST_LOCK_NAMESPACE, seller_account.pk])
        cursor.execute("SET LOCAL jit = off; SET LOCAL work_mem = '64MB'")
        cursor.execute(CREATE_STAGING_SQL)
        rows_read = _copy_rows(cursor, read_report(lines, source=source))
        cursor.execute(INSERT_SQL, {
            "tenant_id": seller_account.tenant_id, "seller_account_id": seller_account.pk, "source": source,
        })
        rows_new, matched_record_ids, case_ids = cursor.fetchone()
        cursor.execute("DROP TABLE sync_report_rows")
    outcome = cases_recompute(
        case_ids=case_ids, record_ids=matched_record_ids, source=EventSource.SYNC, reason=f"Report {source}",
    )
    return IngestResult(rows_read, rows_new, len(matched_record_ids), outcome.cases_changed, outcome.status_changes)


def import_report(
    *,
    seller_account: SellerAccount,
    lines: Iterable[str],
    source: str,
    kind: RunKind,
    actor=None,
    run: SyncRun | None = None,
) -> SyncRun:
    """`ingest_report` with its SyncRun: saved as succeeded with the counts, in the same transaction
    as the rows; or, on any error, saved as failed with the error (outside the rolled-back
    ingestion) and the error re-raised.

    Pass `run` to complete a run created earlier (a poll creates it before downloading);
    otherwise a new run is created. Called inside an outer transaction, the failed run lasts
    only as long as that transaction does.
    """
    if run is None:
        run = SyncRun.objects.create(
            tenant_id=seller_account.tenant_id, seller_account=seller_account, kind=kind,
            source=source[:300], actor=actor,
        )
    counts = ("rows_read", "rows_new", "rows_matched", "cases_changed", "status_changes")
    try:
        with transaction.atomic():
            result = ingest_report(seller_account=seller_account, lines=lines, source=source)
            for name in counts:
                setattr(run, name, getattr(result, name))
            run.status, run.error, run.finished_at = RunStatus.SUCCEEDED, "", timezone.now()
            run.save(update_fields=[*counts, "status", "error", "finished_at"])
    except BaseException as error:
        for name in counts:
            setattr(run, name, 0)
        run.status, run.error, run.finished_at = RunStatus.FAILED, str(error) or type(error).__name__, timezone.now()
        run.save(update_fields=[*counts, "status", "error", "finished_at"])
        raise
    return run
