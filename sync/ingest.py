"""Reimbursement report ingestion: one transaction, set-based, safe to run twice."""

from collections.abc import Iterable
from dataclasses import dataclass

from accounts.models import SellerAccount
from sync.models import RunKind, SyncRun

INGEST_LOCK_NAMESPACE = 0x5EB1
"""First key of `pg_advisory_xact_lock(namespace, seller_account_id)`: one ingestion per account at a time."""


@dataclass(frozen=True)
class IngestResult:
    rows_read: int
    rows_new: int
    rows_matched: int
    cases_changed: int
    status_changes: int


def ingest_report(*, seller_account: SellerAccount, lines: Iterable[str], source: str) -> IngestResult:
    """Parse the report and add its new rows to `seller_account`, atomically.

    Takes the account's advisory lock, streams the rows into a temporary table, inserts the rows
    not seen before, matches them to the account's cases and recomputes those cases (status,
    history naming `source` and the row, rollups). Raises `sync.report.ReportError` and writes
    nothing if any line is bad. Running it again with the same or an overlapping report adds
    nothing.
    """
    raise NotImplementedError


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
    otherwise a new run is created.
    """
    raise NotImplementedError
