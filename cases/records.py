"""Reimbursement records that reach the tracker: entered by hand, or a report's lines staged by the sync."""

import uuid
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import connection, transaction

from accounts.models import SellerAccount

from .locks import seller_account_lock
from .models import Case, EventSource, ReimbursementRecord
from .money import is_currency
from .services import cases_recompute, records_match
from .sql.records import CHUNK_SQL, CREATE_MATCHES_SQL, DROP_SQL, insert_sql, new_rows_sql

SOURCE_MAX_LENGTH = ReimbursementRecord._meta.get_field("source").max_length
RECOMPUTE_CHUNK = 20_000


def record_currency_problem(*, seller_account: SellerAccount, case_reference: str, currency: str) -> str | None:
    """Why a reimbursement in `currency` cannot count towards the case it names, or None."""
    claim = (
        Case.objects.filter(
            tenant_id=seller_account.tenant_id, seller_account=seller_account, marketplace_case_id=case_reference
        )
        .exclude(currency=currency)
        .first()
        if case_reference else None
    )
    if claim is None:
        return None
    return (f"Case {claim.marketplace_case_id} claims in {claim.currency}; "
            f"a reimbursement in {currency} cannot count towards it.")


@transaction.atomic
def record_add_manual(*, seller_account: SellerAccount, actor, **fields) -> ReimbursementRecord:
    """Staff enter a reimbursement the marketplace reported elsewhere (Walmart has no report).

    The record is matched to the case with the same case ID in the same seller account, and
    that case's figures and status follow, with a history entry naming the person. All of it in
    one transaction, under the account's lock, so the case cannot change currency in between.
    """
    seller_account_lock(seller_account_id=seller_account.pk)
    currency = fields.get("currency", "")
    if not is_currency(currency):
        raise ValidationError({"currency": f"{currency!r} is not an ISO 4217 currency code."})
    username = actor.get_username()
    problem = record_currency_problem(
        seller_account=seller_account, case_reference=fields.get("case_reference", ""), currency=currency
    )
    if problem:
        raise ValidationError({"currency": problem})
    record = ReimbursementRecord.objects.create(
        **fields,
        tenant_id=seller_account.tenant_id,
        seller_account=seller_account,
        fingerprint=uuid.uuid4(),
        occurrence=1,
        source=f"Entered by {username}",
    )
    records_match(
        seller_account_id=seller_account.pk,
        record_ids=[record.pk],
        source=EventSource.STAFF,
        actor=actor,
        reason=f"Reimbursement {record.reimbursement_id} entered by the reimbursement team",
    )
    record.refresh_from_db()
    return record


@dataclass(frozen=True)
class StagedRecordsResult:
    """Lines not stored before; those of them attached to a case of the account; cases whose
    figures or status changed; status changes among them."""

    rows_new: int
    rows_matched: int
    cases_changed: int
    status_changes: int


def records_insert_staged(
    *, seller_account: SellerAccount, staging_table: str, columns: tuple[str, ...], source: str
) -> StagedRecordsResult:
    """Store the lines of `staging_table` not stored yet as records of `seller_account`, attached to
    its cases by case ID, and recompute those cases (`cases_recompute`: status, history naming
    `source` and the line, rollups), chunk by chunk.

    `staging_table` is a temporary table the caller filled: `line` (its number in the report),
    `fingerprint` (see `sync.report.fingerprint`) and `columns`, named as the record's fields. A
    line is stored once: its identity is its fingerprint and its occurrence, the rank of the line
    among the identical lines of this table. Runs inside the caller's transaction, under the
    account's lock, and leaves `staging_table` to the caller.
    """
    source = source[:SOURCE_MAX_LENGTH]
    seller_account_lock(seller_account_id=seller_account.pk)
    rows_new = rows_matched = cases_changed = status_changes = 0
    with connection.cursor() as cursor:
        cursor.execute(CREATE_MATCHES_SQL)
        cursor.execute(new_rows_sql(staging_table=staging_table), {"seller_account_id": seller_account.pk})
        if cursor.rowcount:
            cursor.execute(insert_sql(columns=columns), {
                "tenant_id": seller_account.tenant_id, "seller_account_id": seller_account.pk, "source": source,
            })
            (rows_new,) = cursor.fetchone()
            rows_matched, cases_changed, status_changes = _recompute_matched_cases(cursor, source)
        cursor.execute(DROP_SQL)
    return StagedRecordsResult(rows_new, rows_matched, cases_changed, status_changes)


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
