from decimal import Decimal

from django.conf import settings
from django.contrib.postgres.indexes import OpClass
from django.db import models
from django.db.models import F
from django.db.models.functions import Greatest, Least, Round
from django_scopes import ScopedManager

from accounts.models import SellerAccount, Tenant

MONEY = {"max_digits": 14, "decimal_places": 2}

class CaseStatus(models.TextChoices):
    OPEN = "open", "Open"
    PARTIALLY_REIMBURSED = "partially_reimbursed", "Partially Reimbursed"
    FULLY_REIMBURSED = "fully_reimbursed", "Fully Reimbursed"
    NOT_ELIGIBLE = "not_eligible", "Not Eligible"
    CLOSED = "closed", "Closed"


ACTIVE_STATUSES = (CaseStatus.OPEN, CaseStatus.PARTIALLY_REIMBURSED)
REIMBURSED_STATUSES = (CaseStatus.PARTIALLY_REIMBURSED, CaseStatus.FULLY_REIMBURSED)
LOST_STATUSES = (CaseStatus.NOT_ELIGIBLE, CaseStatus.CLOSED)


REVERSAL_REASON = "Reimbursement_Reversal"


class RecordOrigin(models.TextChoices):
    REPORT = "report", "Marketplace report"
    MANUAL = "manual", "Entered by the reimbursement team"
    VOID = "void", "Void of another record"


MANUAL_IDENTITY = (
    "seller_account", "reimbursement_id", "case_reference", "currency", "amount_total",
    "quantity_cash", "quantity_inventory", "sku", "fnsku", "asin", "amazon_order_id",
)
"""What makes a reimbursement the same one, whoever wrote it down: staff cannot reproduce a report line's
fingerprint (it hashes every column), but they type these from the same payment. One reimbursement ID can
pay several lines (one per SKU or order, the same amount each): the product and the order tell them apart."""


class ReimbursementType(models.TextChoices):
    LOST_WAREHOUSE = "lost_warehouse", "Lost in warehouse"
    DAMAGED_WAREHOUSE = "damaged_warehouse", "Damaged in warehouse"
    LOST_INBOUND = "lost_inbound", "Lost inbound / shipment discrepancy"
    CUSTOMER_RETURN = "customer_return", "Customer return / refund"
    REMOVAL_ORDER = "removal_order", "Removal order"
    FEE_OVERCHARGE = "fee_overcharge", "Fee overcharge"
    OTHER = "other", "Other"


INVENTORY_VALUE = models.Case(
    models.When(
        models.Q(units_claimed__gt=0, units_reimbursed_inventory__gt=0),
        then=Least(
            Round(
                models.F("claimed_amount") * models.F("units_reimbursed_inventory") / models.F("units_claimed"),
                precision=2,
            ),
            Greatest(models.F("claimed_amount") - models.F("recovered_amount"), models.Value(Decimal("0"))),
        ),
    ),
    default=models.Value(Decimal("0")),
    output_field=models.DecimalField(**MONEY),
)
"""What a case's units returned to inventory are worth, at the claim's value per unit (claimed amount over
units claimed), capped at the claim left after the cash: with it, claimed = recovered in cash + returned to
inventory + what is still pending or lost, case by case. A claim on an amount only has no unit value: 0."""

RECOVERED_SOMETHING = ~models.Q(recovered_amount=0) | ~models.Q(units_reimbursed_cash=0) | ~models.Q(
    units_reimbursed_inventory=0
)
"""A case that recovered money or units, whatever its status now (a Closed case may have recovered money)."""


class CaseQuerySet(models.QuerySet):
    def reimbursed(self):
        """The cases of Reimbursed Cases: money or units recovered, net of reversals."""
        return self.filter(RECOVERED_SOMETHING)


class Case(models.Model):
    """A claim filed with a marketplace on a seller's behalf.

    The recovered figures are derived from the case's reimbursement records by
    `cases.services.cases_recompute`; nobody types them in.
    """

    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="+", db_index=False)
    seller_account = models.ForeignKey(
        SellerAccount, on_delete=models.PROTECT, related_name="cases", db_index=False
    )
    marketplace_case_id = models.CharField("case ID", max_length=64)
    reimbursement_type = models.CharField("type", max_length=32, choices=ReimbursementType.choices)
    status = models.CharField(max_length=32, choices=CaseStatus.choices, default=CaseStatus.OPEN)

    asin = models.CharField("ASIN", max_length=20, blank=True)
    sku = models.CharField("SKU", max_length=64, blank=True)
    fnsku = models.CharField("FNSKU", max_length=20, blank=True)
    product_title = models.CharField(max_length=500, blank=True)

    order_id = models.CharField("order ID", max_length=64, blank=True)
    shipment_id = models.CharField("shipment ID", max_length=64, blank=True)
    removal_order_id = models.CharField("removal order ID", max_length=64, blank=True)

    units_claimed = models.PositiveIntegerField(
        null=True, blank=True, help_text="Leave empty for a claim on an amount only (a fee, say)."
    )
    claimed_amount = models.DecimalField(**MONEY)
    currency = models.CharField(max_length=3, help_text="ISO 4217, e.g. USD.")

    recovered_amount = models.DecimalField(**MONEY, default=0, editable=False)
    units_reimbursed_cash = models.IntegerField(default=0, editable=False)
    units_reimbursed_inventory = models.IntegerField(default=0, editable=False)
    last_reimbursed_on = models.DateField(null=True, blank=True, editable=False)
    inventory_value = models.GeneratedField(
        expression=INVENTORY_VALUE, output_field=models.DecimalField(**MONEY), db_persist=True,
        verbose_name="returned to inventory value",
        help_text="The units returned to inventory at the claim's value per unit, never more than the "
                  "claim left unpaid in cash: the part of the claim settled in units, not money.",
    )

    date_filed = models.DateField()
    claim_deadline = models.DateField(null=True, blank=True)
    event_date = models.DateField(
        null=True, blank=True, editable=False,
        help_text="The marketplace event claimed for, on a case created from an identified amount.",
    )
    claim_window_closes_on = models.DateField(
        null=True, blank=True, editable=False,
        help_text="When the claim window of that event closes: the derived claim deadline.",
    )
    closed_on = models.DateField(null=True, blank=True)
    last_event_on = models.DateField(
        "last update", editable=False,
        help_text="When the latest thing in the case's history happened (its latest `CaseEvent.happened_on`).",
    )
    seller_note = models.TextField(blank=True, help_text="Shown to the seller.")
    internal_note = models.TextField(blank=True, help_text="Never shown to the seller.")

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ScopedManager(tenant="tenant", _manager_class=models.Manager.from_queryset(CaseQuerySet))

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["seller_account", "marketplace_case_id"], name="case_unique_per_seller_account"
            ),
            models.CheckConstraint(condition=models.Q(claimed_amount__gte=0), name="case_claimed_not_negative"),
            models.CheckConstraint(condition=models.Q(currency__regex=r"^[A-Z]{3}$"), name="case_currency_iso"),
        ]
        indexes = [
            models.Index(fields=["tenant", "-date_filed", "-id"], name="case_t_filed"),
            models.Index(fields=["tenant", "marketplace_case_id", "id"], name="case_t_caseid"),
            models.Index(fields=["tenant", "reimbursement_type", "id"], name="case_t_type"),
            models.Index(fields=["tenant", "sku", "id"], name="case_t_sku"),
            models.Index(fields=["tenant", "status", "id"], name="case_t_status"),
            models.Index(fields=["tenant", "currency", "claimed_amount", "id"], name="case_t_cur_claimed"),
            models.Index(fields=["tenant", "currency", "recovered_amount", "id"], name="case_t_cur_recovered"),
            models.Index(fields=["tenant", "last_reimbursed_on", "id"], name="case_t_reimbursed",
                         condition=RECOVERED_SOMETHING),
            models.Index(fields=["tenant", "last_event_on", "id"], name="case_t_last_event"),
        ]

        """Amounts sort by currency first (`cases.tables.SORT_PREFIXES`); Reimbursed Cases sorts by last
        reimbursed on the index of its own rows."""

    def __str__(self) -> str:
        return self.marketplace_case_id

    def save(self, *args, **kwargs):
        """A case with no history yet was last updated the day it was filed."""
        if self.last_event_on is None:
            self.last_event_on = self.date_filed
        super().save(*args, **kwargs)


class CaseSearchKey(models.Model):
    """One identifier of a case (case ID, SKU, FNSKU, ASIN, order or shipment ID), trimmed and upper-cased,
    or one word of its product name, upper-cased (as PostgreSQL's `simple` text search splits the name).

    Kept by database triggers on `cases_case` (see `cases.sql.search`) that fire only when an
    identifier changes, so the recompute of a case's figures never writes here.
    """

    pk = models.CompositePrimaryKey("tenant", "key", "case")
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+", db_index=False)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="+", db_index=False)
    key = models.CharField(max_length=64)

    objects = ScopedManager(tenant="tenant")

    class Meta:
        indexes = [
            models.Index(fields=["case"], name="case_search_key_case"),
            models.Index(F("tenant"), OpClass(F("key"), name="text_pattern_ops"), name="case_search_key_prefix"),
        ]
        """`case_search_key_prefix` serves the search by the start of a key (`starts_with(key, 'ACME-KN')`,
        which PostgreSQL turns into a range of this index): the database's collation is not C, so the
        primary key's own index cannot."""

    def __str__(self) -> str:
        return self.key


class ReimbursementRecord(models.Model):
    """One line of a marketplace reimbursement report (or one entered by staff).

    Records are facts: never edited, never deleted. A line is identified by
    `fingerprint` (a hash of all its values) and `occurrence` (how many identical
    lines came before it in the same report), so that a re-import or an
    overlapping report adds nothing, while two truly separate identical lines
    still both count.

    A record entered by hand is identified by `MANUAL_IDENTITY` (the constraint `record_manual_once`):
    the same reimbursement typed twice is refused, and the report line that later brings it
    confirms it (`confirmed_at`): the record takes the line's fingerprint and occurrence, once,
    instead of a second record being added.

    A mistaken record is voided, never changed: a compensating record (`origin` void, `voids` the
    original) carries the opposite amount and units in the same case, month and currency, so every
    sum (case figures, rollups) nets it out, and the original is marked `voided_at`.
    """

    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="+", db_index=False)
    seller_account = models.ForeignKey(
        SellerAccount, on_delete=models.PROTECT, related_name="records", db_index=False
    )
    case = models.ForeignKey(
        Case, on_delete=models.PROTECT, null=True, blank=True, related_name="records", db_index=False
    )
    case_reference = models.CharField(
        "case ID in report", max_length=64, blank=True, help_text="Empty for automatic reimbursements."
    )
    approval_date = models.DateTimeField()
    reimbursement_id = models.CharField(max_length=64)
    amazon_order_id = models.CharField("order ID", max_length=64, blank=True)
    reason = models.CharField(max_length=64)
    sku = models.CharField("SKU", max_length=64, blank=True)
    fnsku = models.CharField("FNSKU", max_length=20, blank=True)
    asin = models.CharField("ASIN", max_length=20, blank=True)
    product_name = models.CharField(max_length=500, blank=True)
    condition = models.CharField(max_length=64, blank=True)
    currency = models.CharField(max_length=3)
    amount_per_unit = models.DecimalField(**MONEY)
    amount_total = models.DecimalField(**MONEY, help_text="Negative for a reversal.")
    quantity_cash = models.IntegerField(default=0)
    quantity_inventory = models.IntegerField(default=0)
    original_reimbursement_id = models.CharField(max_length=64, blank=True)
    original_reimbursement_type = models.CharField(max_length=64, blank=True)

    fingerprint = models.UUIDField(editable=False)
    occurrence = models.PositiveIntegerField(default=1, editable=False)
    source = models.CharField(max_length=200, blank=True, help_text="The report or person it came from.")
    source_line = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    origin = models.CharField(
        max_length=8, choices=RecordOrigin.choices, db_default=RecordOrigin.REPORT, editable=False
    )
    sync_run_id = models.BigIntegerField(
        "sync run", null=True, blank=True, editable=False,
        help_text="The SyncRun whose report brought the line (or confirmed a manual record). "
                  "A plain id: cases sits below sync and knows none of its models.",
    )
    confirmed_at = models.DateTimeField(
        null=True, blank=True, editable=False, help_text="When a report line confirmed this manual record."
    )
    voids = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="+", db_index=False,
        editable=False, help_text="The record this one cancels.",
    )
    voided_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = ScopedManager(tenant="tenant")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["seller_account", "fingerprint", "occurrence"], name="record_unique_line"
            ),
            models.UniqueConstraint(
                fields=MANUAL_IDENTITY, name="record_manual_once",
                condition=models.Q(origin=RecordOrigin.MANUAL, voided_at__isnull=True),
            ),
            models.UniqueConstraint(
                fields=["voids"], name="record_void_once", condition=models.Q(voids__isnull=False)
            ),
            models.CheckConstraint(condition=models.Q(currency__regex=r"^[A-Z]{3}$"), name="record_currency_iso"),
            models.CheckConstraint(
                condition=models.Q(origin=RecordOrigin.VOID, voids__isnull=False, voided_at__isnull=True)
                | (~models.Q(origin=RecordOrigin.VOID) & models.Q(voids__isnull=True)),
                name="record_void_names_its_original",
            ),
            models.CheckConstraint(
                condition=models.Q(confirmed_at__isnull=True) | models.Q(origin=RecordOrigin.MANUAL),
                name="record_only_manual_confirmed",
            ),
        ]
        indexes = [
            models.Index(fields=["case", "approval_date"], name="record_case"),
            models.Index(
                fields=["seller_account", "case_reference"], name="record_unmatched",
                condition=models.Q(case__isnull=True) & ~models.Q(case_reference=""),
            ),
            models.Index(fields=["sync_run_id"], name="record_run", condition=models.Q(sync_run_id__isnull=False)),
        ]
        """Only the index entries a read uses: a report's 100,000 lines write each one 100,000 times.
        `record_unmatched` serves matching a new case to the records that came before it, and the
        admin's Unmatched filter; the lines matched on arrival (nearly all) never enter it.
        `record_run` finds an import's records to void them (one run id, appended at the index's
        right end); `record_manual_once` and `record_void_once` hold only manual and void records."""

    def __str__(self) -> str:
        return f"{self.reimbursement_id} {self.amount_total} {self.currency}"

    @property
    def is_automatic(self) -> bool:
        return not self.case_reference

    @property
    def is_reversal(self) -> bool:
        return self.origin != RecordOrigin.VOID and (self.amount_total < 0 or self.reason == REVERSAL_REASON)

    @property
    def is_voided(self) -> bool:
        return self.voided_at is not None

    def describe(self) -> str:
        """`record 12 (reimbursement R1, case 100, 20.00 USD, entered by sam)`: how staff are told which one."""
        case = f"case {self.case_reference}" if self.case_reference else "no case ID"
        origin = self.source or RecordOrigin(self.origin).label
        return f"record {self.pk} (reimbursement {self.reimbursement_id}, {case}, {self.amount_total} {self.currency}, {origin})"


class EventSource(models.TextChoices):
    STAFF = "staff", "Reimbursement team"
    SYNC = "sync", "Marketplace sync"
    SYSTEM = "system", "System"


class CaseEvent(models.Model):
    """A line of a case's history. Never updated or deleted (a database trigger refuses it).

    `happened_on` is when it happened: the filing date, the approval date of the reimbursement that
    moved the case, the date the marketplace answered (as staff enter it); `created_at` is when it
    was recorded here.
    """

    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="+", db_index=False)
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="events", db_index=False)
    from_status = models.CharField(max_length=32, choices=CaseStatus.choices, blank=True)
    to_status = models.CharField(max_length=32, choices=CaseStatus.choices)
    source = models.CharField(max_length=16, choices=EventSource.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        db_index=False,
    )
    reason = models.TextField(blank=True)
    record = models.ForeignKey(
        ReimbursementRecord, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        db_index=False,
    )
    happened_on = models.DateField()
    created_at = models.DateTimeField("recorded at", auto_now_add=True, db_index=True)

    objects = ScopedManager(tenant="tenant")

    class Meta:
        indexes = [
            models.Index(fields=["case", "created_at", "id"], name="event_case"),
            models.Index(fields=["actor"], name="event_actor", condition=models.Q(actor__isnull=False)),
        ]
        """No index on `record` (records are never deleted, so nothing looks events up by record) and
        `actor` only where there is one (staff events): a sync writes neither for its events."""

    def __str__(self) -> str:
        before = CaseStatus(self.from_status).label if self.from_status else "—"
        return f"{self.case}: {before} → {CaseStatus(self.to_status).label}"

    @property
    def is_status_change(self) -> bool:
        return self.from_status != self.to_status


class CaseTotals(models.Model):
    """Rollup of cases per bucket, kept by database triggers on `cases_case` in the same transaction.

    `shortfall_amount` is the sum over cases of max(claimed − recovered, 0); less `inventory_amount`
    (what units returned to inventory settled of it), it is pending on active cases and lost on the
    others. Per case claimed − recovered = shortfall − max(recovered − claimed, 0), so what cases
    recovered beyond their claims is recovered + shortfall − claimed, summed over any buckets.
    """

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+", db_index=False)
    seller_account = models.ForeignKey(SellerAccount, on_delete=models.CASCADE, related_name="+")
    currency = models.CharField(max_length=3)
    status = models.CharField(max_length=32, choices=CaseStatus.choices)
    reimbursement_type = models.CharField(max_length=32, choices=ReimbursementType.choices)
    case_count = models.BigIntegerField(default=0)
    claimed_amount = models.DecimalField(max_digits=20, decimal_places=2, default=0)
    recovered_amount = models.DecimalField(max_digits=20, decimal_places=2, default=0)
    shortfall_amount = models.DecimalField(max_digits=20, decimal_places=2, default=0)
    inventory_amount = models.DecimalField(
        max_digits=20, decimal_places=2, default=0, help_text="Sum of the cases' `inventory_value`."
    )
    reimbursed_count = models.BigIntegerField(
        default=0, help_text="Cases that recovered money or units (`CaseQuerySet.reimbursed`)."
    )

    objects = ScopedManager(tenant="tenant")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "seller_account", "currency", "status", "reimbursement_type"],
                name="case_totals_bucket",
            ),
        ]


class MonthlyRecovery(models.Model):
    """Net reimbursed per approval month, kept by a database trigger on `cases_reimbursementrecord`."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+", db_index=False)
    seller_account = models.ForeignKey(SellerAccount, on_delete=models.CASCADE, related_name="+")
    currency = models.CharField(max_length=3)
    month = models.DateField(help_text="First day of the month of approval (UTC).")
    automatic = models.BooleanField(help_text="Paid without a case (no case ID in the report).")
    amount = models.DecimalField(max_digits=20, decimal_places=2, default=0)
    record_count = models.BigIntegerField(default=0)

    objects = ScopedManager(tenant="tenant")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "seller_account", "currency", "month", "automatic"],
                name="monthly_recovery_bucket",
            ),
        ]


class DailyRecovery(models.Model):
    """Net reimbursed per approval day (UTC), kept by a database trigger on `cases_reimbursementrecord`:
    what the dashboard adds up for a period, by approval date."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+", db_index=False)
    seller_account = models.ForeignKey(SellerAccount, on_delete=models.CASCADE, related_name="+", db_index=False)
    currency = models.CharField(max_length=3)
    day = models.DateField(help_text="Day of approval (UTC).")
    automatic = models.BooleanField(help_text="Paid without a case (no case ID in the report).")
    amount = models.DecimalField(max_digits=20, decimal_places=2, default=0)
    record_count = models.BigIntegerField(default=0)

    objects = ScopedManager(tenant="tenant")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "seller_account", "currency", "day", "automatic"], name="daily_recovery_bucket",
            ),
        ]
        indexes = [models.Index(fields=["tenant", "day"], name="daily_recovery_t_day")]


class ProductTotals(models.Model):
    """Cases and their figures per SKU and currency, all seller accounts together, kept by a database
    trigger on `cases_case`: the dashboard's top products are two short index scans per currency, never a
    read of the cases. A case without a SKU counts under the empty SKU."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+", db_index=False)
    currency = models.CharField(max_length=3)
    sku = models.CharField("SKU", max_length=64)
    case_count = models.BigIntegerField(default=0)
    claimed_amount = models.DecimalField(max_digits=20, decimal_places=2, default=0)
    recovered_amount = models.DecimalField(max_digits=20, decimal_places=2, default=0)
    inventory_amount = models.DecimalField(max_digits=20, decimal_places=2, default=0)

    objects = ScopedManager(tenant="tenant")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "currency", "sku"], name="product_totals_bucket"),
        ]
        indexes = [
            models.Index(fields=["tenant", "currency", "-claimed_amount", "sku"], name="product_totals_claimed"),
            models.Index(fields=["tenant", "currency", "-recovered_amount", "sku"], name="product_totals_recovered"),
        ]
