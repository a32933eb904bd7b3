"""Reads of cases for the seller pages. Each one filters by tenant explicitly, on top of the scoped manager."""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from accounts.models import Tenant

from .models import Case, CaseEvent, CaseStatus, ReimbursementRecord

COUNT_CAP = 10_000


LIST_UNREAD_FIELDS = (
    "created_at", "updated_at",
    *(f"seller_account__{name}" for name in (
        "created_at", "last_synced_at", "next_sync_at", "last_sync_failed_at", "last_sync_error",
        "lwa_client_id", "lwa_client_secret_encrypted", "lwa_refresh_token_encrypted",
    )),
)
"""Columns the case lists never show. Left unread: turning their timestamps into Python datetimes was
a tenth of a list page's Python time (50 rows, up to six timestamps each)."""


def case_list(*, tenant: Tenant, reimbursed_only: bool = False) -> QuerySet[Case]:
    cases = Case.objects.filter(tenant=tenant).select_related("seller_account").defer(*LIST_UNREAD_FIELDS)
    return cases.reimbursed() if reimbursed_only else cases


def case_get(*, tenant: Tenant, pk: int) -> Case:
    """The tenant's case, or 404: another tenant's case is as missing as one that never existed."""
    return get_object_or_404(Case.objects.select_related("seller_account"), tenant=tenant, pk=pk)


def case_record_list(*, tenant: Tenant, case: Case) -> list[ReimbursementRecord]:
    """The records that count: a voided record and its void cancel out and are left out (the timeline
    says what was voided and why)."""
    return list(
        ReimbursementRecord.objects.filter(tenant=tenant, case=case, voided_at__isnull=True, voids__isnull=True)
        .order_by("approval_date", "id")
    )


def case_event_list(*, tenant: Tenant, case: Case) -> list[CaseEvent]:
    """The case's history in the order it was written (each line says when it happened). By id, not
    by time: events written in one transaction may carry the transaction's start time (SQL `now()`)
    or the moment of the insert, and a reimbursement reported late is approved before lines written
    earlier: the story reads in the order the tracker learnt it."""
    return list(CaseEvent.objects.filter(tenant=tenant, case=case).order_by("id"))


@dataclass(frozen=True)
class Bucket:
    status: str
    reimbursement_type: str
    seller_account_id: int
    currency: str
    case_count: int
    reimbursed_count: int
    claimed: Decimal
    recovered: Decimal
    inventory: Decimal

    def count(self, *, reimbursed_only: bool) -> int:
        return self.reimbursed_count if reimbursed_only else self.case_count


BUCKETS_SQL = """
SELECT status, reimbursement_type, seller_account_id, currency, SUM(case_count)::bigint,
    SUM(reimbursed_count)::bigint, SUM(claimed_amount), SUM(recovered_amount), SUM(inventory_amount)
FROM cases_casetotals
WHERE tenant_id = %s AND case_count > 0
GROUP BY status, reimbursement_type, seller_account_id, currency
"""
"""A list page's counts and totals, from the `CaseTotals` rollup. Raw SQL: through the ORM, building the
query and converting its hundred-odd rows cost a tenth of a list page's Python time."""


def case_bucket_list(*, tenant: Tenant) -> list[Bucket]:
    """Case counts and amounts per status, type, seller account and currency, from the rollup."""
    with connection.cursor() as cursor:
        cursor.execute(BUCKETS_SQL, [tenant.pk])
        return [Bucket(*row) for row in cursor.fetchall()]


def _matching(
    buckets: Iterable[Bucket], *, statuses: Iterable[str], types: Iterable[str] | None,
    seller_account_ids: Iterable[int] | None,
) -> list[Bucket]:
    statuses = set(statuses)
    types = None if types is None else set(types)
    account_ids = None if seller_account_ids is None else set(seller_account_ids)
    return [
        b for b in buckets
        if b.status in statuses
        and (types is None or b.reimbursement_type in types)
        and (account_ids is None or b.seller_account_id in account_ids)
    ]


def case_count_in_buckets(
    buckets: Iterable[Bucket], *, statuses: Iterable[str], types: Iterable[str] | None = None,
    seller_account_ids: Iterable[int] | None = None, reimbursed_only: bool = False,
) -> int:
    """Exact count of the cases matching these rollup dimensions; None for a dimension means any.
    With `reimbursed_only`, only the cases that recovered money or units."""
    matching = _matching(buckets, statuses=statuses, types=types, seller_account_ids=seller_account_ids)
    return sum(b.count(reimbursed_only=reimbursed_only) for b in matching)


def case_status_counts(
    buckets: Iterable[Bucket], *, statuses: Iterable[str], reimbursed_only: bool = False
) -> list[tuple[CaseStatus, int]]:
    totals = {status: 0 for status in statuses}
    for bucket in buckets:
        if bucket.status in totals:
            totals[bucket.status] += bucket.count(reimbursed_only=reimbursed_only)
    return [(CaseStatus(status), n) for status, n in totals.items()]


@dataclass(frozen=True)
class CurrencyTotals:
    """What a list's rows add up to in one currency. Claimed is left out (None) where the rollup cannot
    tell it: the claims of Reimbursed Cases (a Closed bucket mixes cases with and without money)."""

    currency: str
    case_count: int
    claimed: Decimal | None
    recovered: Decimal
    inventory: Decimal


def case_totals_in_buckets(
    buckets: Iterable[Bucket], *, statuses: Iterable[str], types: Iterable[str] | None = None,
    seller_account_ids: Iterable[int] | None = None, reimbursed_only: bool = False,
) -> list[CurrencyTotals]:
    """Per currency, the totals of the cases matching these rollup dimensions, exact. Over every bucket
    they are the dashboard's claimed, recovered and returned-to-inventory figures; the recovered and
    inventory of Reimbursed Cases are the same (a case outside it recovered nothing)."""
    per_currency = defaultdict(list)
    for bucket in _matching(buckets, statuses=statuses, types=types, seller_account_ids=seller_account_ids):
        per_currency[bucket.currency].append(bucket)
    return [
        CurrencyTotals(
            currency=currency,
            case_count=sum(b.count(reimbursed_only=reimbursed_only) for b in rows),
            claimed=None if reimbursed_only else sum((b.claimed for b in rows), Decimal("0.00")),
            recovered=sum((b.recovered for b in rows), Decimal("0.00")),
            inventory=sum((b.inventory for b in rows), Decimal("0.00")),
        )
        for currency, rows in sorted(per_currency.items())
        if any(b.count(reimbursed_only=reimbursed_only) for b in rows)
    ]


def case_totals_capped(*, cases: QuerySet[Case], cap: int) -> tuple[int, bool, list[CurrencyTotals]]:
    """(count, capped, totals per currency) of the filtered cases, in one query reading at most `cap + 1`
    of them: past `cap`, the count is "cap+" and there are no totals (an empty list)."""
    rows = cases.order_by().values_list("currency", "claimed_amount", "recovered_amount", "inventory_value")
    inner, params = rows[: cap + 1].query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT s.col1, count(*), sum(s.col2), sum(s.col3), sum(s.col4) "
            f"FROM ({inner}) AS s(col1, col2, col3, col4) GROUP BY s.col1 ORDER BY s.col1",
            params,
        )
        found = cursor.fetchall()
    count = sum(row[1] for row in found)
    if count > cap:
        return cap, True, []
    return count, False, [CurrencyTotals(currency, n, claimed, recovered, inventory)
                          for currency, n, claimed, recovered, inventory in found]
