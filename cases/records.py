"""Reimbursement records that reach the tracker: entered by hand, or a report's lines staged by the sync."""

import uuid
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone

from accounts.models import SellerAccount

from .account_guard import GuardProblem, staged_account_check
from .locks import seller_account_lock
from .models import MANUAL_IDENTITY, Case, EventSource, RecordOrigin, ReimbursementRecord
from .money import plain
from .plausibility import record_problems
from .services import cases_recompute, records_match
from .signals import records_changed
from .sql.records import (
    CHUNK_SQL, CONFIRM_SQL, CREATE_MATCHES_SQL, DROP_SQL, MAX_CASE_AMOUNT, MAX_CASE_UNITS, STAGED_CASE_LIMITS_SQL,
    UNCONFIRMED_SQL, insert_sql, new_rows_sql,
)

SOURCE_MAX_LENGTH = ReimbursementRecord._meta.get_field("source").max_length
RECOMPUTE_CHUNK = 20_000
IDENTITY_DEFAULTS = {
    "case_reference": "", "quantity_cash": 0, "quantity_inventory": 0, "sku": "", "fnsku": "", "asin": "",
    "amazon_order_id": "",
}


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


def manual_record_problems(*, seller_account: SellerAccount, fields: dict) -> dict[str, str]:
    """What `cases.plausibility` finds wrong with a record typed in by hand for `seller_account`, by field."""
    return record_problems(
        paid_in=seller_account.currencies, account_label=seller_account.label, now=timezone.now(),
        approval_date=fields.get("approval_date"), currency=fields.get("currency"), reason=fields.get("reason", ""),
        amount_per_unit=fields.get("amount_per_unit"), amount_total=fields.get("amount_total"),
        quantity_cash=fields.get("quantity_cash"), quantity_inventory=fields.get("quantity_inventory"),
        original_reimbursement_id=fields.get("original_reimbursement_id", ""),
        original_reimbursement_type=fields.get("original_reimbursement_type", ""),
    )


def record_already_recorded(*, seller_account: SellerAccount, **identity) -> ReimbursementRecord | None:
    """The record, entered by hand or from a report and not voided, that is the same reimbursement as
    `identity` (the fields of `MANUAL_IDENTITY` but the account), or None.

    Exact only under the account's lock, which every writer of its records holds.
    """
    return (
        ReimbursementRecord.objects.filter(
            tenant_id=seller_account.tenant_id, seller_account=seller_account, voided_at__isnull=True,
            **{name: identity.get(name, IDENTITY_DEFAULTS.get(name)) for name in MANUAL_IDENTITY[1:]},
        )
        .exclude(origin=RecordOrigin.VOID)
        .order_by("id")
        .first()
    )


def record_case_limit_problems(*, seller_account: SellerAccount, fields: dict) -> dict[str, str]:
    """Why a record typed in by hand would take the case it counts towards beyond what a case can hold
    (`MAX_CASE_AMOUNT`, `MAX_CASE_UNITS`, as a report's lines are held to), by field; empty if it would not.

    The case is the one the record will be matched to; its figures are exact only under the account's
    lock, which every writer of its records holds.
    """
    case_reference, currency = fields.get("case_reference", ""), fields.get("currency", "")
    if not case_reference:
        return {}
    case = Case.objects.filter(
        tenant_id=seller_account.tenant_id, seller_account=seller_account, marketplace_case_id=case_reference,
        currency=currency,
    ).first()
    if case is None:
        return {}
    problems = {}
    recovered = case.recovered_amount + (fields.get("amount_total") or 0)
    if abs(recovered) >= MAX_CASE_AMOUNT:
        problems["amount_total"] = (
            f"Case {case.marketplace_case_id} would recover {plain(recovered)} {currency}, more than a case can "
            f"hold (under {MAX_CASE_AMOUNT:,}): not a real reimbursement.")
    for name, units, label in (
        ("quantity_cash", case.units_reimbursed_cash, "cash"),
        ("quantity_inventory", case.units_reimbursed_inventory, "inventory"),
    ):
        total = units + (fields.get(name) or 0)
        if abs(total) > MAX_CASE_UNITS:
            problems[name] = (f"Case {case.marketplace_case_id} would have {total:,} {label} units reimbursed, "
                              f"more than a case can hold ({MAX_CASE_UNITS:,}).")
    return problems


def already_recorded_message(record: ReimbursementRecord) -> str:
    return (f"This reimbursement is already recorded: {record.describe()}. Nothing was added; "
            "to correct that record, void it and enter the right one.")


def record_add_manual(*, seller_account: SellerAccount, actor, **fields) -> ReimbursementRecord:
    """Staff enter a reimbursement the marketplace reported elsewhere (Walmart has no report).

    The record is matched to the case with the same case ID in the same seller account, and
    that case's figures and status follow, with a history entry naming the person. All of it in
    one transaction, under the account's lock, so the case cannot change currency in between.

    A record that `cases.plausibility` refuses raises a ValidationError naming each field, as the form
    does. The same reimbursement (`MANUAL_IDENTITY`) already recorded, by hand or from a report, and not
    voided, is refused with a ValidationError naming that record; the unique index
    `record_manual_once` backs it for records entered by hand. A report line that brings this
    reimbursement later confirms the record instead of adding a second one. A record that would
    take its case beyond what a case can hold (`record_case_limit_problems`) is refused with a
    ValidationError naming the field, before anything is written. The identified amounts of its FNSKU
    are detected again in the same transaction (`cases.signals.records_changed`).
    """
    with transaction.atomic():
        seller_account_lock(seller_account_id=seller_account.pk)
        problems = manual_record_problems(seller_account=seller_account, fields=fields)
        if problems:
            raise ValidationError(problems)
        currency = fields.get("currency", "")
        username = actor.get_username()
        problem = record_currency_problem(
            seller_account=seller_account, case_reference=fields.get("case_reference", ""), currency=currency
        )
        if problem:
            raise ValidationError({"currency": problem})
        existing = record_already_recorded(seller_account=seller_account, **fields)
        if existing is not None:
            raise ValidationError(already_recorded_message(existing), code="already_recorded")
        limits = record_case_limit_problems(seller_account=seller_account, fields=fields)
        if limits:
            raise ValidationError(limits)
        record = ReimbursementRecord.objects.create(
            **fields,
            tenant_id=seller_account.tenant_id,
            seller_account=seller_account,
            fingerprint=uuid.uuid4(),
            occurrence=1,
            source=f"Entered by {username}",
            origin=RecordOrigin.MANUAL,
        )
        records_match(
            seller_account_id=seller_account.pk,
            record_ids=[record.pk],
            source=EventSource.STAFF,
            actor=actor,
            reason=f"Reimbursement {record.reimbursement_id} entered by the reimbursement team",
        )
        if record.fnsku:
            records_changed.send(sender=ReimbursementRecord, seller_account=seller_account, fnskus=[record.fnsku])
        record.refresh_from_db()
        return record


class StagedLinesRefused(Exception):
    """New lines would take a case out of what it can hold, or below zero with nothing to explain it:
    nothing was written. `problems` name the first line of each such case."""

    def __init__(self, problems: list[GuardProblem]):
        self.problems = problems
        super().__init__("; ".join(f"line {p.line}, {p.field}: {p.message}" for p in problems))


def _case_limit_problems(cursor, *, seller_account: SellerAccount) -> list[GuardProblem]:
    cursor.execute(STAGED_CASE_LIMITS_SQL, {"seller_account_id": seller_account.pk})
    problems = []
    for case_id, currency, first_line, first_negative, recovered, cash, inventory in cursor.fetchall():
        case = f"case {case_id}"
        if abs(recovered) >= MAX_CASE_AMOUNT:
            problems.append(GuardProblem(first_line, "amount-total", (
                f"{case} would recover {plain(recovered)} {currency}, more than a case can hold "
                f"(under {MAX_CASE_AMOUNT:,}): not a real reimbursement")))
        elif max(abs(cash), abs(inventory)) > MAX_CASE_UNITS:
            field = "quantity-reimbursed-cash" if abs(cash) > MAX_CASE_UNITS else "quantity-reimbursed-inventory"
            problems.append(GuardProblem(first_line, field, (
                f"{case} would have {cash} cash and {inventory} inventory units, more than a case can hold")))
        else:
            problems.append(GuardProblem(first_negative or first_line, "amount-total", (
                f"{case} would recover {plain(recovered)} {currency}: below zero, and no reversal or "
                "adjustment explains it")))
    return problems


@dataclass(frozen=True)
class StagedRecordsResult:
    """Lines not stored before; those of them attached to a case of the account; cases whose
    figures or status changed; status changes among them; lines that confirmed a record entered by
    hand instead of being stored; and, when the wrong-account guard was overridden, what it said."""

    rows_new: int
    rows_matched: int
    cases_changed: int
    status_changes: int
    rows_confirmed: int = 0
    account_guard_overridden: str = ""


def records_insert_staged(
    *, seller_account: SellerAccount, staging_table: str, columns: tuple[str, ...], source: str,
    run_id: int | None = None, override_account_guard: bool = False,
) -> StagedRecordsResult:
    """Store the lines of `staging_table` not stored yet as records of `seller_account`, attached to
    its cases by case ID, and recompute those cases (`cases_recompute`: status, history naming
    `source` and the line, rollups), chunk by chunk.

    `staging_table` is a temporary table the caller filled: `line` (its number in the report),
    `fingerprint` (see `sync.report.fingerprint`) and `columns`, named as the record's fields. A
    line is stored once: its identity is its fingerprint and its occurrence, the rank of the line
    among the identical lines of this table. A new line that is a reimbursement staff entered by
    hand (`MANUAL_IDENTITY`) confirms that record instead (`cases.sql.records.CONFIRM_SQL`). The
    records keep `run_id`, the SyncRun that brought them, so that the import can be voided.

    Raises `StagedLinesRefused`, having written nothing, if the new lines would take a case beyond what
    it can hold, or below zero without a reversal or an adjustment to explain it (the report parser's
    plausibility rules refuse such lines first; this holds for any staging table). Raises
    `WrongAccount`, having written nothing, if the new lines look like another account's
    (`cases.account_guard`), unless `override_account_guard`: then the result says what the guard
    saw. Runs inside the caller's transaction, under the account's lock, and leaves `staging_table`
    to the caller.
    """
    source = source[:SOURCE_MAX_LENGTH]
    seller_account_lock(seller_account_id=seller_account.pk)
    rows_new = rows_matched = cases_changed = status_changes = rows_confirmed = 0
    overridden = ""
    with connection.cursor() as cursor:
        cursor.execute(CREATE_MATCHES_SQL)
        cursor.execute(new_rows_sql(staging_table=staging_table), {"seller_account_id": seller_account.pk})
        if cursor.rowcount:
            wrong = staged_account_check(cursor=cursor, seller_account=seller_account)
            if wrong is not None and not override_account_guard:
                cursor.execute(DROP_SQL)
                raise wrong
            overridden = wrong.describe() if wrong is not None else ""
            limits = _case_limit_problems(cursor, seller_account=seller_account)
            if limits:
                cursor.execute(DROP_SQL)
                raise StagedLinesRefused(limits)
            params = {"seller_account_id": seller_account.pk, "run_id": run_id}
            cursor.execute(UNCONFIRMED_SQL, params)
            if cursor.fetchone()[0]:
                cursor.execute(CONFIRM_SQL, params)
                rows_confirmed = cursor.rowcount
            cursor.execute(insert_sql(columns=columns), {
                **params, "tenant_id": seller_account.tenant_id, "source": source,
            })
            (rows_new,) = cursor.fetchone()
            rows_matched, cases_changed, status_changes = records_recompute_matched(
                cursor=cursor, source=EventSource.SYNC, reason=f"Report {source}",
            )
        cursor.execute(DROP_SQL)
    return StagedRecordsResult(
        rows_new, rows_matched, cases_changed, status_changes, rows_confirmed, overridden
    )


def records_recompute_matched(*, cursor, source: str, reason: str, actor=None) -> tuple[int, int, int]:
    """Recompute the cases of the (case, record) pairs in `sync_new_matches`, chunk by chunk: records
    attached to them, cases whose figures or status changed, status changes among them."""
    rows_matched = cases_changed = status_changes = 0
    after = 0
    while True:
        cursor.execute(CHUNK_SQL, {"after": after, "size": RECOMPUTE_CHUNK})
        case_ids, record_ids = cursor.fetchone()
        if not case_ids:
            return rows_matched, cases_changed, status_changes
        outcome = cases_recompute(
            case_ids=case_ids, record_ids=record_ids, source=source, reason=reason, actor=actor,
        )
        rows_matched += len(record_ids)
        cases_changed += outcome.cases_changed
        status_changes += outcome.status_changes
        after = case_ids[-1]
