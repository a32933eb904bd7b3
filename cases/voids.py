"""Taking a record back: staff void one record, or every record an import brought, with a reason.

Records are never edited or deleted. A void is a compensating record (`cases.sql.voids`): the cases'
figures and status, the rollups and the seller's timeline follow in the same transaction, and a
second void of the same record changes nothing.
"""

from dataclasses import dataclass

from django.db import connection, transaction

from accounts.models import SellerAccount

from .locks import seller_account_lock
from .models import EventSource, RecordOrigin, ReimbursementRecord
from .records import SOURCE_MAX_LENGTH, records_recompute_matched
from .signals import records_changed
from .sql import literal
from .sql.records import CREATE_MATCHES_SQL
from .sql.voids import void_sql


class VoidRefused(Exception):
    """The void cannot be done; nothing changed."""


@dataclass(frozen=True)
class VoidResult:
    """Records voided now (0 when they all were already); cases whose figures or status changed."""

    records_voided: int
    cases_changed: int
    status_changes: int


def _reason(reason: str) -> str:
    reason = " ".join(reason.split())
    if not reason:
        raise VoidRefused("A reason is required to void: it is shown on the seller's timeline.")
    return reason


def records_void(
    *, seller_account: SellerAccount, actor, reason: str, what: str, record_ids: list[int] | None = None,
    sync_run_id: int | None = None,
) -> VoidResult:
    """Void the account's records `record_ids`, or those the SyncRun `sync_run_id` brought (not the
    records entered by hand that it confirmed: staff entered those, and void them one by one).

    `what` names it for the timeline (`Reimbursement R1`, `Import report.txt`): each case that changes
    gets a history line "<what> voided by the reimbursement team: <reason>", with its new figures, and
    the identified amounts of the records' FNSKUs are detected again (`cases.signals.records_changed`).
    Runs in the caller's transaction (or its own), under the account's lock.
    """
    reason = _reason(reason)
    if record_ids is not None:
        scope, params = "r.id = ANY(%(ids)s::bigint[])", {"ids": list(record_ids)}
    elif sync_run_id is not None:
        scope = f"r.sync_run_id = %(run_id)s AND r.origin = {literal(RecordOrigin.REPORT)}"
        params = {"run_id": sync_run_id}
    else:
        raise ValueError("records_void needs record_ids or sync_run_id")
    source = f"Void by {actor.get_username()}: {reason}"[:SOURCE_MAX_LENGTH]
    with transaction.atomic():
        seller_account_lock(seller_account_id=seller_account.pk)
        with connection.cursor() as cursor:
            cursor.execute(CREATE_MATCHES_SQL)
            cursor.execute(void_sql(scope=scope), {**params, "seller_account_id": seller_account.pk, "source": source})
            (voided,) = cursor.fetchone()
            _, cases_changed, status_changes = records_recompute_matched(
                cursor=cursor, source=EventSource.STAFF, actor=actor,
                reason=f"{what} voided by the reimbursement team: {reason}",
            )
            cursor.execute("DROP TABLE sync_new_matches")
            cursor.execute(
                f"SELECT DISTINCT r.fnsku FROM cases_reimbursementrecord r WHERE {scope} "
                "AND r.seller_account_id = %(seller_account_id)s AND r.fnsku <> '' ORDER BY r.fnsku",
                {**params, "seller_account_id": seller_account.pk},
            )
            fnskus = [fnsku for (fnsku,) in cursor.fetchall()]
        if voided and fnskus:
            records_changed.send(sender=ReimbursementRecord, seller_account=seller_account, fnskus=fnskus)
    return VoidResult(voided, cases_changed, status_changes)


def record_void(*, record: ReimbursementRecord, actor, reason: str) -> VoidResult:
    """Void one record (a report line or one entered by hand). A void itself cannot be voided; a record
    voided already changes nothing."""
    if record.origin == RecordOrigin.VOID:
        raise VoidRefused(f"{record.describe()} is itself a void: it cannot be voided.")
    return records_void(
        seller_account=record.seller_account, actor=actor, reason=reason, record_ids=[record.pk],
        what=f"Reimbursement {record.reimbursement_id}",
    )
