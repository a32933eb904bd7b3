"""Reimbursement report ingestion: one transaction, set-based, safe to run twice."""

import dataclasses
import time
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone

from accounts.models import SellerAccount
from cases.account_guard import WrongAccount
from cases.models import ReimbursementRecord
from cases.records import StagedLinesRefused, records_insert_staged
from ledger.services import opportunities_detect
from monitoring.metrics import import_observed
from sync.models import RunKind, RunStatus, SyncRun
from sync.report import STAGING_COLUMNS, ReportError, ReportProblem, read_report_copy, staging_columns_sql

SOURCE_MAX_LENGTH = ReimbursementRecord._meta.get_field("source").max_length
RUN_SOURCE_MAX_LENGTH = SyncRun._meta.get_field("source").max_length

ROW_COLUMNS = STAGING_COLUMNS[2:]
"""The record's own columns: all but the line number and the fingerprint."""

CREATE_STAGING_SQL = f"""
DROP TABLE IF EXISTS pg_temp.sync_report_rows;
CREATE TEMP TABLE sync_report_rows (
{staging_columns_sql()}
) ON COMMIT DROP
"""

SESSION_SQL = """
SET LOCAL jit = off; SET LOCAL work_mem = '64MB'; SET LOCAL random_page_cost = 1.1;
SET LOCAL synchronous_commit = off
"""
"""Settings for the rest of the ingestion's transaction, explained in `ingest_report`."""


@dataclass(frozen=True)
class IngestResult:
    """Rows in the file; rows not seen before; new rows attached to a case of the account;
    cases whose figures or status changed; status changes among them; rows that confirmed a
    record entered by hand; what the wrong-account guard said, if it was overridden."""

    rows_read: int
    rows_new: int
    rows_matched: int
    cases_changed: int
    status_changes: int
    rows_confirmed: int = 0
    account_guard_overridden: str = ""


RUN_COUNTS = ("rows_read", "rows_new", "rows_matched", "cases_changed", "status_changes", "rows_confirmed")
"""The counts of IngestResult that its SyncRun keeps, under the same names."""

OVERRIDE_HINT = ("If it really is this account's report, import the file with the override: the admin "
                 "upload's checkbox, or import_reimbursements --force-account.")


class WrongAccountReport(ReportError):
    """The report looks like another seller account's (`cases.account_guard`); nothing was written."""

    def __init__(self, *, source: str, wrong: WrongAccount):
        self.wrong = wrong
        super().__init__(
            source=source, problems=[ReportProblem(p.line, p.field, p.message) for p in wrong.problems]
        )

    def describe(self) -> str:
        lines = [f"{self.source}: {self.wrong.summary}; nothing was imported."]
        lines += [f"  {problem}" for problem in self.problems]
        lines.append(f"  {OVERRIDE_HINT}")
        return "\n".join(lines)


OPPORTUNITY_FNSKUS_SQL = """
SELECT DISTINCT o.fnsku FROM ledger_opportunity o
WHERE o.seller_account_id = %(seller_account_id)s
  AND o.fnsku IN (SELECT fnsku FROM sync_report_rows WHERE fnsku <> '')
"""
"""The FNSKUs of the report that have opportunities: a reimbursement of one may settle or value them, so
detection looks at them again (in the same transaction)."""

COPY_BATCH = 1000
"""Lines sent to COPY in one write."""


def copy_lines(
    cursor, *, table: str, columns: Iterable[str], lines: Iterable[str], batch_size: int = COPY_BATCH
) -> int:
    """COPY `lines` (PostgreSQL's text format, values in `columns`' order) into `table`, `batch_size` lines
    per write; return how many lines were copied."""
    count = 0
    batch: list[str] = []
    with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for line in lines:
            batch.append(line)
            if len(batch) == batch_size:
                copy.write("".join(batch))
                count += len(batch)
                batch.clear()
        if batch:
            copy.write("".join(batch))
            count += len(batch)
    return count


def ingest_report(
    *, seller_account: SellerAccount, lines: Iterable[str], source: str, run_id: int | None = None,
    override_account_guard: bool = False,
) -> IngestResult:
    """Parse the report and add its new rows to `seller_account`, atomically.

    Streams the rows into a temporary table and hands it to `cases.records.records_insert_staged`,
    which, under the account's advisory lock, inserts the rows not seen before, attached to the
    account's cases by case ID, and recomputes those cases (status, history naming `source` and
    the row, rollups).
    Raises `sync.report.ReportError` and writes nothing if any line is bad or the new lines would
    take a case beyond what it holds or below zero unexplained (`StagedLinesRefused`), and its subclass
    `WrongAccountReport` if the lines look like another account's (`cases.account_guard`), unless
    `override_account_guard`. The records keep `run_id`, to void the import later. Running it again
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

    The transaction is opened in the body rather than by `@transaction.atomic` so that mutation testing
    (which skips decorated functions) reaches it.
    """
    with transaction.atomic():
        source = source[:SOURCE_MAX_LENGTH]
        with connection.cursor() as cursor:
            cursor.execute(SESSION_SQL)
            cursor.execute(CREATE_STAGING_SQL)
            rows_read = copy_lines(
                cursor, table="sync_report_rows", columns=STAGING_COLUMNS, lines=read_report_copy(lines, source=source)
            )
            try:
                stored = records_insert_staged(
                    seller_account=seller_account, staging_table="sync_report_rows", columns=ROW_COLUMNS,
                    source=source, run_id=run_id, override_account_guard=override_account_guard,
                )
            except WrongAccount as wrong:
                raise WrongAccountReport(source=source, wrong=wrong) from None
            except StagedLinesRefused as refused:
                raise ReportError(
                    source=source, problems=[ReportProblem(p.line, p.field, p.message) for p in refused.problems]
                ) from None
            cursor.execute(OPPORTUNITY_FNSKUS_SQL, {"seller_account_id": seller_account.pk})
            fnskus = [row[0] for row in cursor.fetchall()]
            cursor.execute("DROP TABLE sync_report_rows")
        if fnskus:
            opportunities_detect(seller_account=seller_account, fnskus=fnskus)
        return IngestResult(rows_read, **dataclasses.asdict(stored))


def import_report(
    *,
    seller_account: SellerAccount,
    lines: Iterable[str],
    source: str,
    kind: RunKind,
    actor=None,
    run: SyncRun | None = None,
    account_guard_overridden_by: str = "",
) -> SyncRun:
    """`ingest_report` with its SyncRun: saved as succeeded with the counts, in the same transaction
    as the rows; or, on any error, saved as failed with the error (outside the rolled-back
    ingestion) and the error re-raised.

    Pass `run` to complete a run created earlier (a poll creates it before downloading);
    otherwise a new run is created. Called inside an outer transaction, the failed run lasts
    only as long as that transaction does. `account_guard_overridden_by` (who, in words) imports
    a report that looks like another account's; the run then keeps who and what the guard said.
    """
    if run is None:
        run = SyncRun(tenant_id=seller_account.tenant_id, seller_account=seller_account, kind=kind, actor=actor)
    run.source = source[:RUN_SOURCE_MAX_LENGTH]
    run.save()
    counts = RUN_COUNTS
    started = time.monotonic()
    try:
        with transaction.atomic():
            result = ingest_report(
                seller_account=seller_account, lines=lines, source=source, run_id=run.pk,
                override_account_guard=bool(account_guard_overridden_by),
            )
            for name in counts:
                setattr(run, name, getattr(result, name))
            if result.account_guard_overridden:
                run.account_guard_override = (
                    f"Overridden by {account_guard_overridden_by}: {result.account_guard_overridden}"
                )
            run.status, run.error, run.finished_at = RunStatus.SUCCEEDED, "", timezone.now()
            run.save(update_fields=[*counts, "account_guard_override", "status", "error", "finished_at"])
    except BaseException as error:
        for name in counts:
            setattr(run, name, 0)
        run.status, run.error, run.finished_at = RunStatus.FAILED, str(error) or type(error).__name__, timezone.now()
        run.save(update_fields=[*counts, "status", "error", "finished_at"])
        raise
    finally:
        import_observed(run=run, seconds=time.monotonic() - started)
    return run
