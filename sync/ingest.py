"""Reimbursement report ingestion: one transaction, set-based, safe to run twice."""

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone

from accounts.models import SellerAccount
from cases.models import EventSource, ReimbursementRecord
from cases.services import case_match_sql, cases_recompute, seller_account_lock
from sync.models import RunKind, RunStatus, SyncRun
from sync.report import STAGING_COLUMNS, read_report_copy, staging_columns_sql

SOURCE_MAX_LENGTH = ReimbursementRecord._meta.get_field("source").max_length
RUN_SOURCE_MAX_LENGTH = SyncRun._meta.get_field("source").max_length

ROW_COLUMNS = STAGING_COLUMNS[2:]
"""The record's own columns: all but the line number and the fingerprint."""

CREATE_STAGING_SQL = f"""
DROP TABLE IF EXISTS pg_temp.sync_report_rows;
CREATE TEMP TABLE sync_report_rows (
{staging_columns_sql()}
) ON COMMIT DROP;
DROP TABLE IF EXISTS pg_temp.sync_new_rows;
DROP TABLE IF EXISTS pg_temp.sync_new_matches;
CREATE TEMP TABLE sync_new_matches (
    case_id bigint NOT NULL,
    record_id bigint NOT NULL,
    PRIMARY KEY (case_id, record_id)
) ON COMMIT DROP
"""

NEW_ROWS_SQL = """
CREATE TEMP TABLE sync_new_rows ON COMMIT DROP AS
SELECT s.* FROM (
    SELECT *, row_number() OVER (PARTITION BY fingerprint ORDER BY line) AS occurrence FROM sync_report_rows
) s
WHERE NOT EXISTS (
    SELECT FROM cases_reimbursementrecord r
    WHERE r.seller_account_id = %(seller_account_id)s AND r.fingerprint = s.fingerprint
      AND r.occurrence = s.occurrence
    OFFSET 0
)
"""
"""The lines not stored yet, each with its occurrence: a report seen before is set aside before
any of its lines is looked up among the cases. Each line is one probe of the unique index
`(seller_account, fingerprint, occurrence)` (an index-only scan), so the cost follows the size
of the report, not the account's history; `OFFSET 0` keeps the planner from turning the
NOT EXISTS into a hash anti-join that reads all of the account's records from the heap."""

INSERT_SQL = f"""
WITH inserted AS (
    INSERT INTO cases_reimbursementrecord (
        tenant_id, seller_account_id, case_id, {", ".join(ROW_COLUMNS)},
        fingerprint, occurrence, source, source_line, created_at
    )
    SELECT %(tenant_id)s, %(seller_account_id)s, c.id, {", ".join("s." + c for c in ROW_COLUMNS)},
        s.fingerprint, s.occurrence, %(source)s, s.line, now()
    FROM sync_new_rows s
    LEFT JOIN cases_case c ON c.seller_account_id = %(seller_account_id)s AND {case_match_sql(row="s")}
    ORDER BY s.line
    ON CONFLICT (seller_account_id, fingerprint, occurrence) DO NOTHING
    RETURNING id, case_id
), saved AS (
    INSERT INTO sync_new_matches (case_id, record_id) SELECT case_id, id FROM inserted WHERE case_id IS NOT NULL
)
SELECT count(*) FROM inserted
"""
"""Insert the new lines, each already attached to the case with its case ID in the same
seller account (never another account's or tenant's case). Matching while inserting writes each
record once, instead of inserting it and then updating it. The records attached to a case are
kept in `sync_new_matches`, for the cases to be recomputed chunk by chunk. `ON CONFLICT` stays
as the last guard of the unique line."""

SESSION_SQL = """
SET LOCAL jit = off; SET LOCAL work_mem = '64MB'; SET LOCAL random_page_cost = 1.1;
SET LOCAL synchronous_commit = off
"""
"""Settings for the rest of the ingestion's transaction, explained in `ingest_report`."""

RECOMPUTE_CHUNK = 20_000

CHUNK_SQL = """
WITH chunk AS (
    SELECT DISTINCT case_id FROM sync_new_matches WHERE case_id > %(after)s ORDER BY case_id LIMIT %(size)s
)
SELECT (SELECT array_agg(case_id ORDER BY case_id) FROM chunk),
    (SELECT array_agg(m.record_id ORDER BY m.record_id) FROM sync_new_matches m JOIN chunk USING (case_id))
"""
"""The next cases touched by the report, in id order, and their new records: Python holds one
chunk at a time, whatever the size of the report."""


@dataclass(frozen=True)
class IngestResult:
    """Rows in the file; rows not seen before; new rows attached to a case of the account;
    cases whose figures or status changed; status changes among them."""

    rows_read: int
    rows_new: int
    rows_matched: int
    cases_changed: int
    status_changes: int


COPY_BATCH = 1000
"""Lines sent to COPY in one write."""


def _copy_rows(cursor, lines: Iterable[str]) -> int:
    count = 0
    batch: list[str] = []
    with cursor.copy(f"COPY sync_report_rows ({', '.join(STAGING_COLUMNS)}) FROM STDIN") as copy:
        for line in lines:
            batch.append(line)
            if len(batch) == COPY_BATCH:
                copy.write("".join(batch))
                count += COPY_BATCH
                batch.clear()
        if batch:
            copy.write("".join(batch))
            count += len(batch)
    return count


def _recompute_matched_cases(cursor, source: str) -> tuple[int, int, int]:
    rows_matched = cases_changed = status_changes = 0
    after = 0
    while True:
        cursor.execute(CHUNK_SQL, {"after": after, "size": RECOMPUTE_CHUNK})
        case_ids, record_ids = cursor.fetchone()
        if not case_ids:
            return rows_matched, cases_changed, status_changes
        outcome = cases_recompute(
            case_ids=case_ids, record_ids=record_ids, source=EventSource.SYNC, reason=f"Report {source}",
        )
        rows_matched += len(record_ids)
        cases_changed += outcome.cases_changed
        status_changes += outcome.status_changes
        after = case_ids[-1]


@transaction.atomic
def ingest_report(*, seller_account: SellerAccount, lines: Iterable[str], source: str) -> IngestResult:
    """Parse the report and add its new rows to `seller_account`, atomically.

    Takes the account's advisory lock, streams the rows into a temporary table, inserts the rows
    not seen before, attached to the account's cases by case ID, and recomputes those cases
    (`cases.services.cases_recompute`: status, history naming `source` and the row, rollups).
    Raises `sync.report.ReportError` and writes nothing if any line is bad. Running it again
    with the same or an overlapping report adds nothing. For the rest of the transaction JIT is
    off (compiling costs more than it saves here), `work_mem` is 64 MB (sorting 100,000 rows
    stays in memory), `random_page_cost` is 1.1 (the pages it reads are cached or on SSD; with
    the default 4.0 the planner reads all of the records to hash-join them with 20,000 cases,
    10 times slower than looking each case's records up in `record_case`) and
    `synchronous_commit` is off: the commit returns without waiting for its
    WAL to reach the disk. That is safe here: the data stays consistent after a crash, and what
    a crash can lose is at most the last ingestions committed in the previous fraction of a second
    (`wal_writer_delay`), which the next poll or a re-import brings back, since ingesting a report
    again adds exactly what is missing. Their SyncRun would be lost with them.

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
    seller_account_lock(seller_account_id=seller_account.pk)
    with connection.cursor() as cursor:
        cursor.execute(SESSION_SQL)
        cursor.execute(CREATE_STAGING_SQL)
        rows_read = _copy_rows(cursor, read_report_copy(lines, source=source))
        cursor.execute(NEW_ROWS_SQL, {"seller_account_id": seller_account.pk})
        rows_new = rows_matched = cases_changed = status_changes = 0
        if cursor.rowcount:
            cursor.execute(INSERT_SQL, {
                "tenant_id": seller_account.tenant_id, "seller_account_id": seller_account.pk, "source": source,
            })
            (rows_new,) = cursor.fetchone()
            rows_matched, cases_changed, status_changes = _recompute_matched_cases(cursor, source)
        cursor.execute("DROP TABLE sync_report_rows, sync_new_rows, sync_new_matches")
    return IngestResult(rows_read, rows_new, rows_matched, cases_changed, status_changes)


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
        run = SyncRun(tenant_id=seller_account.tenant_id, seller_account=seller_account, kind=kind, actor=actor)
    run.source = source[:RUN_SOURCE_MAX_LENGTH]
    run.save()
    counts = tuple(field.name for field in dataclasses.fields(IngestResult))
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
