"""The dashboard's figures, read only from the rollup tables (a fixed number of small queries).

Every amount stays beside its currency: one `CurrencySummary` per currency, never a total across them.
"""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db import connection

from accounts.models import SellerAccount, Tenant
from cases.models import ACTIVE_STATUSES, CaseStatus, ReimbursementType

ZERO = Decimal("0.00")
MONTHS_SHOWN = 12
TOP_PRODUCTS = 10


@dataclass(frozen=True)
class StatusFigures:
    status: str
    label: str
    case_count: int
    claimed: Decimal
    recovered: Decimal


@dataclass(frozen=True)
class TypeFigures:
    reimbursement_type: str
    label: str
    case_count: int
    recovered: Decimal


@dataclass(frozen=True)
class MonthFigures:
    month: dt.date
    recovered: Decimal
    automatic: Decimal


@dataclass(frozen=True)
class CurrencySummary:
    currency: str
    case_count: int
    claimed: Decimal
    recovered: Decimal
    inventory: Decimal
    pending: Decimal
    lost: Decimal
    beyond_claims: Decimal
    recovery_rate: Decimal | None
    statuses: list[StatusFigures]
    types: list[TypeFigures]
    months: list[MonthFigures]
    automatic_total: Decimal
    automatic_count: int

    @property
    def accounted(self) -> Decimal:
        """Recovered + returned to inventory + pending + lost: the claimed amount, plus what cases
        recovered beyond their claims."""
        return self.recovered + self.inventory + self.pending + self.lost


def recovery_rate(*, recovered: Decimal, claimed: Decimal, inventory: Decimal = ZERO) -> Decimal | None:
    """Recovered in cash plus the value returned to inventory, as a percentage of claimed, to one
    decimal; None when nothing was claimed."""
    if not claimed:
        return None
    return ((recovered + inventory) * 100 / claimed).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def month_window(*, today: dt.date, count: int = MONTHS_SHOWN) -> list[dt.date]:
    """The first days of the `count` months ending with today's, oldest first."""
    months = []
    year, month = today.year, today.month
    for _ in range(count):
        months.append(dt.date(year, month, 1))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return months[::-1]


CASE_TOTALS_SQL = """
SELECT currency, status, reimbursement_type, SUM(case_count)::bigint AS cases, SUM(claimed_amount) AS claimed,
    SUM(recovered_amount) AS recovered, SUM(shortfall_amount) AS shortfall, SUM(inventory_amount) AS inventory
FROM cases_casetotals
WHERE tenant_id = %(tenant_id)s {account}
GROUP BY currency, status, reimbursement_type
HAVING SUM(case_count) > 0
"""
MONTHLY_RECOVERY_SQL = """
SELECT currency, month, automatic, SUM(amount) AS amount, SUM(record_count)::bigint AS records
FROM cases_monthlyrecovery
WHERE tenant_id = %(tenant_id)s {account}
GROUP BY currency, month, automatic
"""
DAILY_RECOVERY_SQL = """
SELECT currency, automatic, SUM(amount) AS amount, SUM(record_count)::bigint AS records
FROM cases_dailyrecovery
WHERE tenant_id = %(tenant_id)s AND day BETWEEN %(start)s AND %(end)s {account}
GROUP BY currency, automatic
"""
"""The rollups' grouped reads, in SQL: through the ORM, building these queries and converting their few
hundred rows cost a fifth of the dashboard's Python time. The tenant is filtered explicitly."""


def _rollup_rows(sql: str, *, tenant: Tenant, seller_account: SellerAccount | None, **params) -> list[dict]:
    """The rows of one of the statements above, each a dict by column name, for the tenant or one of its
    seller accounts."""
    account = "" if seller_account is None else "AND seller_account_id = %(seller_account_id)s"
    params.update(tenant_id=tenant.pk, seller_account_id=None if seller_account is None else seller_account.pk)
    with connection.cursor() as cursor:
        cursor.execute(sql.format(account=account), params)
        names = [column.name for column in cursor.description]
        return [dict(zip(names, row)) for row in cursor.fetchall()]


def _case_totals(*, tenant: Tenant, seller_account: SellerAccount | None) -> list[dict]:
    return _rollup_rows(CASE_TOTALS_SQL, tenant=tenant, seller_account=seller_account)


def _monthly_recovery(*, tenant: Tenant, seller_account: SellerAccount | None) -> list[dict]:
    return _rollup_rows(MONTHLY_RECOVERY_SQL, tenant=tenant, seller_account=seller_account)


def _summarise(currency: str, totals: list[dict], monthly: list[dict], months: list[dt.date]) -> CurrencySummary:
    def total(key: str, rows) -> Decimal:
        return sum((row[key] for row in rows), ZERO)

    by_status = defaultdict(list)
    by_type = defaultdict(list)
    for row in totals:
        by_status[row["status"]].append(row)
        by_type[row["reimbursement_type"]].append(row)

    case_months = defaultdict(lambda: ZERO)
    automatic_months = defaultdict(lambda: ZERO)
    for row in monthly:
        (automatic_months if row["automatic"] else case_months)[row["month"]] += row["amount"]
    automatic_rows = [row for row in monthly if row["automatic"]]

    claimed, recovered, inventory = total("claimed", totals), total("recovered", totals), total("inventory", totals)
    active = [row for row in totals if row["status"] in ACTIVE_STATUSES]
    finished = [row for row in totals if row["status"] not in ACTIVE_STATUSES]
    return CurrencySummary(
        currency=currency,
        case_count=sum(row["cases"] for row in totals),
        claimed=claimed,
        recovered=recovered,
        inventory=inventory,
        pending=total("shortfall", active) - total("inventory", active),
        lost=total("shortfall", finished) - total("inventory", finished),
        beyond_claims=recovered + total("shortfall", totals) - claimed,
        recovery_rate=recovery_rate(recovered=recovered, claimed=claimed, inventory=inventory),
        statuses=[
            StatusFigures(
                status=status.value,
                label=status.label,
                case_count=sum(row["cases"] for row in by_status[status]),
                claimed=total("claimed", by_status[status]),
                recovered=total("recovered", by_status[status]),
            )
            for status in CaseStatus
        ],
        types=[
            TypeFigures(
                reimbursement_type=kind.value,
                label=kind.label,
                case_count=sum(row["cases"] for row in by_type[kind]),
                recovered=total("recovered", by_type[kind]),
            )
            for kind in ReimbursementType
            if by_type[kind]
        ],
        months=[
            MonthFigures(month=month, recovered=case_months[month], automatic=automatic_months[month])
            for month in months
        ],
        automatic_total=total("amount", automatic_rows),
        automatic_count=sum(row["records"] for row in automatic_rows),
    )


def currency_summary_list(
    *, tenant: Tenant, today: dt.date, seller_account: SellerAccount | None = None
) -> list[CurrencySummary]:
    """One summary per currency the tenant (or one of its seller accounts) has cases or reimbursements in."""
    totals = _case_totals(tenant=tenant, seller_account=seller_account)
    monthly = _monthly_recovery(tenant=tenant, seller_account=seller_account)
    currencies = sorted(
        {row["currency"] for row in totals}
        | {row["currency"] for row in monthly if row["amount"] or row["records"]}
    )
    months = month_window(today=today)
    return [
        _summarise(
            currency,
            [row for row in totals if row["currency"] == currency],
            [row for row in monthly if row["currency"] == currency],
            months,
        )
        for currency in currencies
    ]


def seller_account_from_query(*, value: str | None, seller_accounts: list[SellerAccount]) -> SellerAccount | None:
    """The account a `?account=` value names among the tenant's own; anything else means all accounts."""
    return next((account for account in seller_accounts if str(account.pk) == (value or "")), None)


@dataclass(frozen=True)
class PeriodFigures:
    """What was reimbursed in one currency between two approval dates (UTC days, both included)."""

    currency: str
    recovered: Decimal
    automatic: Decimal
    record_count: int


def period_recovery_list(
    *, tenant: Tenant, start: dt.date, end: dt.date, seller_account: SellerAccount | None = None
) -> list[PeriodFigures]:
    """Per currency, net reimbursed on cases and paid without a case, approved from `start` to `end`."""
    rows = _rollup_rows(DAILY_RECOVERY_SQL, tenant=tenant, seller_account=seller_account, start=start, end=end)
    sums = defaultdict(lambda: {True: ZERO, False: ZERO, "records": 0})
    for row in rows:
        sums[row["currency"]][row["automatic"]] += row["amount"]
        sums[row["currency"]]["records"] += row["records"]
    return [
        PeriodFigures(currency=currency, recovered=figures[False], automatic=figures[True],
                      record_count=figures["records"])
        for currency, figures in sorted(sums.items())
        if figures["records"] or figures[False] or figures[True]
    ]


@dataclass(frozen=True)
class ProductFigures:
    sku: str
    case_count: int
    claimed: Decimal
    recovered: Decimal
    inventory: Decimal


@dataclass(frozen=True)
class TopProducts:
    """A currency's SKUs with the most claimed, and those with the most recovered (in cash)."""

    currency: str
    by_claimed: list[ProductFigures]
    by_recovered: list[ProductFigures]


TOP_PRODUCTS_SQL = """
SELECT 'claimed', cur.currency, p.sku, p.case_count, p.claimed_amount, p.recovered_amount, p.inventory_amount
FROM unnest(%(currencies)s::text[]) AS cur(currency) CROSS JOIN LATERAL (
    SELECT * FROM cases_producttotals t
    WHERE t.tenant_id = %(tenant_id)s AND t.currency = cur.currency AND t.case_count > 0
    ORDER BY t.claimed_amount DESC, t.sku LIMIT %(top)s
) p
UNION ALL
SELECT 'recovered', cur.currency, p.sku, p.case_count, p.claimed_amount, p.recovered_amount, p.inventory_amount
FROM unnest(%(currencies)s::text[]) AS cur(currency) CROSS JOIN LATERAL (
    SELECT * FROM cases_producttotals t
    WHERE t.tenant_id = %(tenant_id)s AND t.currency = cur.currency AND t.recovered_amount > 0
    ORDER BY t.recovered_amount DESC, t.sku LIMIT %(top)s
) p
"""
"""Read from the `ProductTotals` rollup, never the cases: per currency, two short scans of its indexes by
claimed and by recovered. Raw SQL for the lateral joins; the tenant is filtered explicitly."""


def top_product_list(*, tenant: Tenant, currencies: list[str], top: int = TOP_PRODUCTS) -> dict[str, TopProducts]:
    """Per currency, the `top` SKUs by claimed amount and the `top` by recovered amount (cash), all seller
    accounts together, in one query whatever the number of currencies."""
    with connection.cursor() as cursor:
        cursor.execute(TOP_PRODUCTS_SQL, {"tenant_id": tenant.pk, "currencies": currencies, "top": top})
        rows = cursor.fetchall()
    ranked = {(kind, currency): [] for kind in ("claimed", "recovered") for currency in currencies}
    for kind, currency, sku, cases, claimed, recovered, inventory in rows:
        ranked[kind, currency].append(ProductFigures(sku, cases, claimed, recovered, inventory))
    return {
        currency: TopProducts(
            currency,
            by_claimed=sorted(ranked["claimed", currency], key=lambda p: (-p.claimed, p.sku)),
            by_recovered=sorted(ranked["recovered", currency], key=lambda p: (-p.recovered, p.sku)),
        )
        for currency in currencies
        if ranked["claimed", currency]
    }
