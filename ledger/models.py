"""The FBA Inventory Ledger's lines, the opportunities found in them, claim windows and staff prices.

An opportunity is money the marketplace probably owes (see `ledger.detection`). Its state is partly
stored (claimed, resolved, dismissed: facts) and partly a matter of the day it is read (future, ready,
expired: where today falls in its claim window), so `OpportunityQuerySet.with_state` computes it in SQL.
"""

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Case as SqlCase
from django.db.models import Q, Value, When
from django_scopes import ScopedManager

from accounts.models import Marketplace, SellerAccount, Tenant
from cases.models import MONEY, Case, ReimbursementType


class LedgerLine(models.Model):
    """One line of the ledger's detailed view. A fact: never edited but for Amazon's reconciliation
    counts, which a later download of the same line may bring up to date.

    Identified, like a reimbursement record, by `fingerprint` (a hash of the line's identifying values,
    see `sync.ledger_report`) and `occurrence` (its rank among identical lines of the same file).

    Its tenant and seller account carry no foreign key constraint in the database: a ledger brings a million
    lines at once, and checking two deferred constraints per line at commit took a sixth of the import's
    time. Only the ingestion writes lines, with the account it read under the account's lock, and tenants
    and accounts are never deleted (PROTECT), so the constraint would guard nothing the code can do.
    """

    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="+", db_index=False, db_constraint=False)
    seller_account = models.ForeignKey(
        SellerAccount, on_delete=models.PROTECT, related_name="+", db_index=False, db_constraint=False
    )
    date = models.DateField()
    event_time = models.DateTimeField(null=True, blank=True, help_text="`Date and Time`, where the file has it.")
    fnsku = models.CharField("FNSKU", max_length=20)
    asin = models.CharField("ASIN", max_length=20, blank=True)
    msku = models.CharField("MSKU", max_length=64, blank=True)
    title = models.CharField(max_length=500, blank=True)
    event_type = models.CharField(max_length=32)
    reference_id = models.CharField("reference ID", max_length=64, blank=True)
    quantity = models.IntegerField()
    fulfillment_center = models.CharField(max_length=16, blank=True)
    disposition = models.CharField(max_length=32, blank=True)
    reason = models.CharField(max_length=16, blank=True)
    country = models.CharField(max_length=8, blank=True)
    reconciled_quantity = models.IntegerField(null=True, blank=True)
    unreconciled_quantity = models.IntegerField(null=True, blank=True)
    store = models.CharField(max_length=64, blank=True)

    fingerprint = models.UUIDField(editable=False)
    occurrence = models.PositiveIntegerField(default=1, editable=False)
    source = models.CharField(max_length=200, blank=True)
    source_line = models.PositiveIntegerField(null=True, blank=True)
    sync_run_id = models.BigIntegerField(null=True, blank=True, editable=False)

    objects = ScopedManager(tenant="tenant")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["seller_account", "fingerprint", "occurrence"], name="ledger_unique_line"),
        ]
        indexes = [
            models.Index(
                fields=["seller_account", "fnsku"], name="ledger_detected_lines",
                condition=Q(event_type="Adjustments", reason__in=["M", "F", "E", "6", "7", "H", "K", "U"]),
            ),
        ]
        """Only the lines detection reads (`ledger.detection.DETECTED_CODES` on adjustments, about a tenth of a
        ledger): detection finds them without reading the rest, and an import writes one entry per ten lines."""

    def __str__(self) -> str:
        return f"{self.date} {self.fnsku} {self.event_type} {self.reason} {self.quantity}"


class ClaimWindow(models.Model):
    """When a claim of a type may be filed with a marketplace: from `opens_after_days` to
    `closes_after_days` after the event. Reference data staff edit in admin; not a tenant's."""

    marketplace = models.CharField(max_length=16, choices=Marketplace.choices)
    claim_type = models.CharField(max_length=32, choices=ReimbursementType.choices)
    opens_after_days = models.PositiveSmallIntegerField(
        help_text="Days after the event before a claim is worth filing (Amazon often pays warehouse losses "
                  "on its own within about 30 days)."
    )
    closes_after_days = models.PositiveSmallIntegerField(help_text="Days after the event when the window closes.")
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["marketplace", "claim_type"], name="claim_window_once"),
            models.CheckConstraint(
                condition=Q(closes_after_days__gte=models.F("opens_after_days")), name="claim_window_closes_after_open"
            ),
        ]
        ordering = ["marketplace", "claim_type"]

    def __str__(self) -> str:
        return (f"{self.get_marketplace_display()} {self.get_claim_type_display()}: "
                f"{self.opens_after_days}–{self.closes_after_days} days")

    def opens_on(self, event_date: dt.date) -> dt.date:
        return event_date + dt.timedelta(days=self.opens_after_days)

    def closes_on(self, event_date: dt.date) -> dt.date:
        return event_date + dt.timedelta(days=self.closes_after_days)


class SkuPrice(models.Model):
    """What staff say one unit of a SKU is worth, where no reimbursement of it tells."""

    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="+", db_index=False)
    seller_account = models.ForeignKey(SellerAccount, on_delete=models.PROTECT, related_name="+", db_index=False)
    sku = models.CharField("SKU", max_length=64)
    amount = models.DecimalField(**MONEY)
    currency = models.CharField(max_length=3)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ScopedManager(tenant="tenant")

    class Meta:
        verbose_name = "staff SKU price"
        constraints = [
            models.UniqueConstraint(fields=["seller_account", "sku"], name="sku_price_once"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="sku_price_positive"),
            models.CheckConstraint(condition=Q(currency__regex=r"^[A-Z]{3}$"), name="sku_price_currency_iso"),
        ]

    def __str__(self) -> str:
        return f"{self.sku}: {self.amount} {self.currency}"


class ValueSource(models.TextChoices):
    REIMBURSEMENT = "reimbursement", "Latest reimbursement per unit"
    STAFF_PRICE = "staff_price", "Price set by our team"
    UNVALUED = "unvalued", "Not valued yet"


class OpportunityState(models.TextChoices):
    FUTURE = "future", "Future"
    READY = "ready", "Ready to claim"
    EXPIRED = "expired", "Expired"
    CLAIMED = "claimed", "Claimed"
    RESOLVED = "resolved", "Resolved"
    DISMISSED = "dismissed", "Dismissed"


IDENTIFIED_STATES = (OpportunityState.READY, OpportunityState.FUTURE)


class OpportunityQuerySet(models.QuerySet):
    def with_state(self, *, today: dt.date):
        """Each opportunity's state on `today`, as `state`: the stored facts first (dismissed, claimed,
        resolved), then where today falls in the claim window."""
        return self.annotate(state=SqlCase(
            When(dismissed_at__isnull=False, then=Value(OpportunityState.DISMISSED.value)),
            When(case__isnull=False, then=Value(OpportunityState.CLAIMED.value)),
            When(units_open__lte=0, then=Value(OpportunityState.RESOLVED.value)),
            When(window_opens_on__gt=today, then=Value(OpportunityState.FUTURE.value)),
            When(window_closes_on__gte=today, then=Value(OpportunityState.READY.value)),
            default=Value(OpportunityState.EXPIRED.value),
            output_field=models.CharField(),
        ))

    def in_state(self, state: str, *, today: dt.date):
        """The opportunities in `state` on `today`: the same rule as `with_state`, written as plain conditions on
        the columns, so that PostgreSQL can read the ready ones in window-close order from `opportunity_t_closes`
        and stop after a page, where a filter on the computed `state` reads every opportunity of the tenant."""
        return self.filter(state_condition(state, today=today))


def state_condition(state: str, *, today: dt.date) -> Q:
    """`with_state`'s rule for one state, as a condition on the stored columns."""
    not_dismissed = Q(dismissed_at__isnull=True)
    open_ = not_dismissed & Q(case__isnull=True, units_open__gt=0)
    conditions = {
        OpportunityState.DISMISSED: Q(dismissed_at__isnull=False),
        OpportunityState.CLAIMED: not_dismissed & Q(case__isnull=False),
        OpportunityState.RESOLVED: not_dismissed & Q(case__isnull=True, units_open__lte=0),
        OpportunityState.FUTURE: open_ & Q(window_opens_on__gt=today),
        OpportunityState.READY: open_ & Q(window_opens_on__lte=today, window_closes_on__gte=today),
        OpportunityState.EXPIRED: open_ & Q(window_opens_on__lte=today, window_closes_on__lt=today),
    }
    return conditions[OpportunityState(state)]


class Opportunity(models.Model):
    """Units the marketplace lost or damaged in one event (FNSKU and Reference ID), not yet found or reimbursed.

    Detection (`ledger.detection`) writes the figures; staff decisions (`case`, `dismissed_*`) are only
    ever written by `ledger.services`, and detection never touches them.

    Its tenant and seller account carry no foreign key constraint in the database, as a ledger line's: a first
    import detects 80,000 opportunities at once, and checking two deferred constraints per row at commit took
    about 2 s of it. Only detection adds opportunities, with the account it holds the lock of, and tenants and
    accounts are never deleted (PROTECT).
    """

    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="+", db_index=False, db_constraint=False)
    seller_account = models.ForeignKey(
        SellerAccount, on_delete=models.PROTECT, related_name="+", db_index=False, db_constraint=False
    )
    claim_type = models.CharField("type", max_length=32, choices=ReimbursementType.choices)
    fnsku = models.CharField("FNSKU", max_length=20)
    reference_id = models.CharField("reference ID", max_length=64)
    sku = models.CharField("SKU", max_length=64, blank=True)
    asin = models.CharField("ASIN", max_length=20, blank=True)
    title = models.CharField(max_length=500, blank=True)
    fulfillment_centers = models.CharField(max_length=100, blank=True)
    event_date = models.DateField()
    units_lost = models.PositiveIntegerField(help_text="Units lost or damaged in the event.")
    units_open = models.IntegerField(help_text="Units neither found nor reimbursed: what a claim would ask for.")
    value_per_unit = models.DecimalField(**MONEY, null=True, blank=True)
    amount = models.DecimalField(**MONEY, null=True, blank=True, help_text="Units open × value per unit.")
    currency = models.CharField(max_length=3, blank=True)
    value_source = models.CharField(max_length=16, choices=ValueSource.choices, default=ValueSource.UNVALUED)
    window_opens_on = models.DateField()
    window_closes_on = models.DateField()

    case = models.OneToOneField(
        Case, on_delete=models.PROTECT, null=True, blank=True, related_name="opportunity", db_index=False
    )
    dismissed_at = models.DateTimeField(null=True, blank=True)
    dismissed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+", db_index=False
    )
    dismiss_reason = models.TextField(blank=True)

    detected_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ScopedManager(tenant="tenant", _manager_class=models.Manager.from_queryset(OpportunityQuerySet))

    class Meta:
        verbose_name_plural = "opportunities"
        constraints = [
            models.UniqueConstraint(
                fields=["seller_account", "fnsku", "reference_id", "claim_type"], name="opportunity_once_per_event"
            ),
            models.CheckConstraint(
                condition=Q(currency="") | Q(currency__regex=r"^[A-Z]{3}$"), name="opportunity_currency_iso"
            ),
            models.CheckConstraint(
                condition=Q(amount__isnull=True) | ~Q(currency=""), name="opportunity_amount_has_currency"
            ),
        ]
        indexes = [
            models.Index(fields=["tenant", "window_closes_on", "-amount", "id"], name="opportunity_t_closes"),
            models.Index(fields=["tenant", "case"], name="opportunity_t_claimed", condition=Q(case__isnull=False)),
        ]
        """`opportunity_t_claimed`: the funnel's claimed side reads the opportunities that became cases, not all.
        Detection finds an account's opportunities of an FNSKU by `opportunity_once_per_event`, whose columns
        begin with those two."""

    def __str__(self) -> str:
        return f"{self.fnsku} {self.reference_id} ({self.get_claim_type_display()})"

    def state_on(self, today: dt.date) -> str:
        """The same rule as `OpportunityQuerySet.with_state`, for one object in hand."""
        if self.dismissed_at is not None:
            return OpportunityState.DISMISSED
        if self.case_id is not None:
            return OpportunityState.CLAIMED
        if self.units_open <= 0:
            return OpportunityState.RESOLVED
        if today < self.window_opens_on:
            return OpportunityState.FUTURE
        if today <= self.window_closes_on:
            return OpportunityState.READY
        return OpportunityState.EXPIRED


OPEN = "open"
"""`OpportunityTotals.stored_state` of opportunities neither dismissed, claimed nor resolved: future, ready or
expired, depending on the day they are read."""


class OpportunityTotals(models.Model):
    """Rollup of opportunities per bucket, kept by statement triggers on `ledger_opportunity` in the writer's
    transaction (`ledger.rollups`): detection's upserts, staff decisions, admin actions alike.

    A bucket holds the stored part of the state (dismissed, claimed, resolved, else open) and the window's
    dates, so the state on any day is read from a few hundred rows: an open bucket is future, ready or expired
    by where the day falls in its window, and a window that closes moves its amount to expired without a
    write. `amount` sums the valued opportunities; the unvalued ones are in the buckets of currency "".
    """

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+", db_index=False)
    seller_account = models.ForeignKey(SellerAccount, on_delete=models.CASCADE, related_name="+", db_index=False)
    claim_type = models.CharField(max_length=32, choices=ReimbursementType.choices)
    currency = models.CharField(max_length=3, blank=True)
    stored_state = models.CharField(max_length=16)
    window_opens_on = models.DateField()
    window_closes_on = models.DateField()
    opportunity_count = models.BigIntegerField(default=0)
    amount = models.DecimalField(max_digits=20, decimal_places=2, default=0)

    objects = ScopedManager(tenant="tenant")

    class Meta:
        verbose_name_plural = "opportunity totals"
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "seller_account", "claim_type", "currency", "stored_state", "window_opens_on",
                        "window_closes_on"],
                name="opportunity_totals_bucket",
            ),
        ]

    def __str__(self) -> str:
        return (f"{self.claim_type} {self.currency or 'unvalued'} {self.stored_state} "
                f"{self.window_opens_on}–{self.window_closes_on}: {self.opportunity_count}")
