"""Reads of cases for the seller pages. Each one filters by tenant explicitly, on top of the scoped manager."""

from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import QuerySet, Sum
from django.shortcuts import get_object_or_404

from accounts.models import Tenant

from .models import Case, CaseEvent, CaseStatus, CaseTotals, ReimbursementRecord

COUNT_CAP = 10_000


def case_list(*, tenant: Tenant, reimbursed_only: bool = False) -> QuerySet[Case]:
    cases = Case.objects.filter(tenant=tenant).select_related("seller_account")
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
    case_count: int


def case_bucket_list(*, tenant: Tenant) -> list[Bucket]:
    """Case counts per status, type and seller account from the rollup (all currencies together)."""
    rows = (
        CaseTotals.objects.filter(tenant=tenant, case_count__gt=0)
        .values("status", "reimbursement_type", "seller_account_id")
        .annotate(n=Sum("case_count"))
        .order_by()
    )
    return [Bucket(r["status"], r["reimbursement_type"], r["seller_account_id"], r["n"]) for r in rows]


def case_count_in_buckets(
    buckets: Iterable[Bucket], *, statuses: Iterable[str], types: Iterable[str] | None = None,
    seller_account_ids: Iterable[int] | None = None,
) -> int:
    """Exact count of the cases matching these rollup dimensions; None for a dimension means any."""
    statuses = set(statuses)
    types = None if types is None else set(types)
    account_ids = None if seller_account_ids is None else set(seller_account_ids)
    return sum(
        b.case_count for b in buckets
        if b.status in statuses
        and (types is None or b.reimbursement_type in types)
        and (account_ids is None or b.seller_account_id in account_ids)
    )


def case_status_counts(buckets: Iterable[Bucket], *, statuses: Iterable[str]) -> list[tuple[CaseStatus, int]]:
    totals = {status: 0 for status in statuses}
    for bucket in buckets:
        if bucket.status in totals:
            totals[bucket.status] += bucket.case_count
    return [(CaseStatus(status), n) for status, n in totals.items()]


def case_count_capped(*, cases: QuerySet[Case], cap: int) -> int:
    """How many rows match, counting at most `cap + 1` of them: more than `cap` means "cap+"."""
    return cases.order_by().values("id")[: cap + 1].count()

