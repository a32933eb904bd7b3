"""Reads of opportunities for the seller's Identified page and the dashboard. Every selector filters by tenant
explicitly, on top of the scoped manager."""

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connection
from django.db.models import Case as SqlCase
from django.db.models import F, Q, QuerySet, Sum, Value, When

from accounts.models import SellerAccount, Tenant
from cases.models import ACTIVE_STATUSES

from .models import OPEN, Opportunity, OpportunityState, OpportunityTotals

ZERO = Decimal("0.00")
CLOSING_HORIZONS = (7, 14, 30)


def opportunity_list(*, tenant: Tenant, today: dt.date, state: str = "", claim_type: str = "",
                     seller_account: SellerAccount | None = None) -> QuerySet[Opportunity]:
    """The tenant's opportunities with their state on `today`, the soonest window close first, then the
    largest value."""
    opportunities = Opportunity.objects.filter(tenant=tenant).with_state(today=today).select_related(
        "seller_account", "case"
    )
    if seller_account is not None:
        opportunities = opportunities.filter(seller_account=seller_account)
    if claim_type:
        opportunities = opportunities.filter(claim_type=claim_type)
    if state:
        opportunities = opportunities.in_state(state, today=today)
    return opportunities.order_by("window_closes_on", "-amount", "id")


def opportunity_state_counts(*, tenant: Tenant, today: dt.date, claim_type: str = "",
                             seller_account: SellerAccount | None = None) -> dict[str, int]:
    """How many of the tenant's opportunities are in each state on `today`, read from the rollup
    (`OpportunityTotals`): a few hundred buckets, where counting the opportunities reads every one."""
    totals = OpportunityTotals.objects.filter(tenant=tenant, opportunity_count__gt=0)
    if seller_account is not None:
        totals = totals.filter(seller_account=seller_account)
    if claim_type:
        totals = totals.filter(claim_type=claim_type)
    state = SqlCase(
        When(~Q(stored_state=OPEN), then=F("stored_state")),
        When(window_opens_on__gt=today, then=Value(OpportunityState.FUTURE.value)),
        When(window_closes_on__gte=today, then=Value(OpportunityState.READY.value)),
        default=Value(OpportunityState.EXPIRED.value),
    )
    counts = dict(totals.order_by().annotate(state=state).values_list("state").annotate(n=Sum("opportunity_count")))
    return {state: int(counts.get(state, 0)) for state in OpportunityState.values}


@dataclass
class Funnel:
    """One currency's funnel: identified (ready + future), claimed, and what the claims became."""

    currency: str
    ready: Decimal = ZERO
    future: Decimal = ZERO
    expired_unclaimed: Decimal = ZERO
    claimed: Decimal = ZERO
    recovered: Decimal = ZERO
    returned_to_inventory: Decimal = ZERO
    pending: Decimal = ZERO
    lost: Decimal = ZERO
    closing: dict[int, Decimal] = field(default_factory=dict)

    @property
    def identified(self) -> Decimal:
        return self.ready + self.future

    @property
    def lost_with_expired(self) -> Decimal:
        return self.lost + self.expired_unclaimed


@dataclass(frozen=True)
class FunnelSummary:
    funnels: list[Funnel]
    unvalued: int
    """Opportunities still open that no reimbursement or staff price values yet: listed, in no amount."""


def funnel_list(*, tenant: Tenant, today: dt.date, seller_account: SellerAccount | None = None) -> list[Funnel]:
    return funnel_summary(tenant=tenant, today=today, seller_account=seller_account).funnels


OPEN_TOTALS_SQL = """
SELECT currency, SUM(opportunity_count)::bigint,
    SUM(amount) FILTER (WHERE window_opens_on > %(today)s),
    SUM(amount) FILTER (WHERE window_opens_on <= %(today)s AND window_closes_on >= %(today)s),
    SUM(amount) FILTER (WHERE window_closes_on < %(today)s),
    {closing}
FROM ledger_opportunitytotals
WHERE tenant_id = %(tenant_id)s AND stored_state = %(open)s AND opportunity_count > 0 {account}
GROUP BY currency
"""
"""The open buckets of `OpportunityTotals` by currency: their count, and their amounts future, ready, expired
and closing within each horizon on `today`. In SQL: the ORM's six filtered sums cost more to build than the
statement takes to run. The tenant is filtered explicitly."""


def _open_rows(*, tenant: Tenant, seller_account: SellerAccount | None, today: dt.date) -> list[tuple]:
    closing = ",\n    ".join(
        f"SUM(amount) FILTER (WHERE window_opens_on <= %(today)s AND window_closes_on >= %(today)s "
        f"AND window_closes_on <= %(closes_{days})s)" for days in CLOSING_HORIZONS
    )
    account = "" if seller_account is None else "AND seller_account_id = %(seller_account_id)s"
    params = {"today": today, "tenant_id": tenant.pk, "open": OPEN,
              "seller_account_id": None if seller_account is None else seller_account.pk,
              **{f"closes_{days}": today + dt.timedelta(days=days) for days in CLOSING_HORIZONS}}
    with connection.cursor() as cursor:
        cursor.execute(OPEN_TOTALS_SQL.format(closing=closing, account=account), params)
        return cursor.fetchall()


def funnel_summary(*, tenant: Tenant, today: dt.date, seller_account: SellerAccount | None = None) -> FunnelSummary:
    """Per currency: the amounts identified (ready, future), expired unclaimed, closing within 7, 14 and 30
    days; and, for the cases filed from opportunities, claimed → recovered in cash / returned to inventory
    (valued at the claim's amount per unit) / pending / lost. Never added across currencies.

    The claimed side reads only the cases linked to an opportunity: the funnel follows identified money to its
    outcome. The dashboard's Claimed Amount section shows every case. What a case falls short of its claim is
    pending while the case is active, lost once it is decided (Fully Reimbursed for less counts as lost too),
    so claimed = recovered + returned + pending + lost wherever no case recovered more than it claimed.

    The open side reads the rollup `OpportunityTotals` (its open buckets, a few hundred rows: a bucket is
    future, ready or expired by where `today` falls in its window); the claimed side, the opportunities that
    became cases (`opportunity_t_claimed`) and their cases, whose figures the sync keeps changing."""
    opportunities = Opportunity.objects.filter(tenant=tenant)
    if seller_account is not None:
        opportunities = opportunities.filter(seller_account=seller_account)
    funnels: dict[str, Funnel] = {}

    def of(currency: str) -> Funnel:
        if currency not in funnels:
            funnels[currency] = Funnel(currency, closing={days: ZERO for days in CLOSING_HORIZONS})
        return funnels[currency]

    rows = _open_rows(tenant=tenant, seller_account=seller_account, today=today)
    unvalued = 0
    for currency, count, future, ready, expired, *closing in rows:
        if not currency:
            unvalued = count
            continue
        funnel = of(currency)
        funnel.future, funnel.ready, funnel.expired_unclaimed = future or ZERO, ready or ZERO, expired or ZERO
        funnel.closing = {days: amount or ZERO for days, amount in zip(CLOSING_HORIZONS, closing, strict=True)}
    claimed = (
        opportunities.filter(case__isnull=False).order_by()
        .values_list("case__currency", "case__status", "case__claimed_amount", "case__recovered_amount",
                     "case__units_claimed", "case__units_reimbursed_inventory")
    )
    for currency, status, claimed_amount, recovered, units, inventory in claimed:
        funnel = of(currency)
        returned = ZERO
        if units and inventory:
            returned = min(claimed_amount, (claimed_amount * inventory / units).quantize(Decimal("0.01")))
        shortfall = max(claimed_amount - recovered - returned, ZERO)
        funnel.claimed += claimed_amount
        funnel.recovered += recovered
        funnel.returned_to_inventory += returned
        if status in ACTIVE_STATUSES:
            funnel.pending += shortfall
        else:
            funnel.lost += shortfall
    return FunnelSummary([funnels[currency] for currency in sorted(funnels)], unvalued)
