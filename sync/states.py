"""Seller accounts by sync state, in one query (the metrics count them).

States, first match wins: `not_connected` (not connected, or the reimbursement service not initiated),
`needs_reconnect`, `not_polled` (its backend has nothing to poll: manual, Walmart), `failing` (the
last attempt failed), `overdue` (no success for two intervals, or never one a whole interval after
it was added), `healthy`.
"""

import datetime as dt

from django.db.models import Case, CharField, Count, DateTimeField, ExpressionWrapper, F, Q, Value, When
from django.utils import timezone
from django_scopes import scopes_disabled

from accounts.models import SellerAccount
from accounts.rls import across_tenants

SYNC_STATES = ("healthy", "overdue", "failing", "needs_reconnect", "not_connected", "not_polled")


def _intervals_before(now: dt.datetime, count: int) -> ExpressionWrapper:
    return ExpressionWrapper(
        Value(now) - F("sync_interval_hours") * Value(dt.timedelta(hours=count)), output_field=DateTimeField()
    )


def sync_state_expression(*, now: dt.datetime) -> Case:
    """The sync state of a seller account as an SQL expression, to annotate accounts with (the
    accounts' queryset carries the tenant filter; the subquery naming pollable accounts needs none)."""
    with scopes_disabled():
        pollable = SellerAccount.objects.pollable().values("pk")
    return Case(
        When(Q(connected=False) | Q(service_initiated_on__isnull=True), then=Value("not_connected")),
        When(needs_reconnect=True, then=Value("needs_reconnect")),
        When(~Q(pk__in=pollable), then=Value("not_polled")),
        When(
            Q(last_sync_failed_at__isnull=False)
            & (Q(last_synced_at__isnull=True) | Q(last_sync_failed_at__gt=F("last_synced_at"))),
            then=Value("failing"),
        ),
        When(
            Q(last_synced_at__lt=_intervals_before(now, 2))
            | Q(last_synced_at__isnull=True, created_at__lt=_intervals_before(now, 1)),
            then=Value("overdue"),
        ),
        default=Value("healthy"),
        output_field=CharField(),
    )


def seller_accounts_by_sync_state(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Every state in SYNC_STATES with its count of accounts, across all tenants."""
    now = now or timezone.now()
    with across_tenants(reason="sync states: accounts of every tenant counted for metrics"):
        rows = (
            SellerAccount.objects.annotate(state=sync_state_expression(now=now))
            .values("state").annotate(n=Count("pk")).order_by()
        )
        counts = {row["state"]: row["n"] for row in rows}
    return {name: counts.get(name, 0) for name in SYNC_STATES}
