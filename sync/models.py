from django.conf import settings
from django.db import models
from django_scopes import ScopedManager

from accounts.models import SellerAccount, Tenant


class RunKind(models.TextChoices):
    POLL = "poll", "Scheduled poll"
    MANUAL_POLL = "manual_poll", "Poll run by an operator"
    FILE = "file", "Report file import"


class RunReport(models.TextChoices):
    """Which report a run ingested: a poll fetches each in a run of its own, so each fails apart."""

    REIMBURSEMENTS = "reimbursements", "FBA Reimbursements"
    LEDGER = "ledger", "Inventory Ledger"


class RunStatus(models.TextChoices):
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
    SKIPPED = "skipped", "Skipped (another run of the account was in progress)"


class SyncRun(models.Model):
    """One ingestion of marketplace responses for one seller account: a poll or a file import."""

    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="+", db_index=False)
    seller_account = models.ForeignKey(SellerAccount, on_delete=models.PROTECT, related_name="sync_runs")
    kind = models.CharField(max_length=16, choices=RunKind.choices)
    report = models.CharField(max_length=16, choices=RunReport.choices, default=RunReport.REIMBURSEMENTS)
    status = models.CharField(max_length=16, choices=RunStatus.choices, default=RunStatus.RUNNING)
    source = models.CharField(max_length=300, blank=True, help_text="Report ID, file name or sandbox seed.")
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    window_start = models.DateTimeField(null=True, blank=True)
    window_end = models.DateTimeField(null=True, blank=True)
    rows_read = models.PositiveIntegerField(default=0)
    rows_new = models.PositiveIntegerField(default=0)
    rows_matched = models.PositiveIntegerField(default=0)
    cases_changed = models.PositiveIntegerField(default=0)
    status_changes = models.PositiveIntegerField(default=0)
    rows_confirmed = models.PositiveIntegerField(
        default=0, help_text="Lines that confirmed a record the reimbursement team had entered by hand."
    )
    opportunities_changed = models.PositiveIntegerField(
        default=0, help_text="Inventory Ledger: opportunities added or changed by the lines it brought."
    )
    error = models.TextField(blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    account_guard_override = models.TextField(
        blank=True, help_text="Who imported the report although it looked like another account's, and what "
                              "the guard said. Empty when the guard was not overridden.",
    )
    voided_at = models.DateTimeField(null=True, blank=True)
    voided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        db_index=False,
    )
    void_reason = models.TextField(blank=True)

    objects = ScopedManager(tenant="tenant")

    class Meta:
        indexes = [models.Index(fields=["tenant", "-started_at"], name="syncrun_t_started")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} of {self.seller_account} ({self.get_status_display()})"


class PendingPoll(models.Model):
    """A poll claimed but not yet handed to the broker: the scheduler's outbox (see sync/outbox.py).

    Written in the transaction that claims the account, deleted once the broker has the message.
    Operational, not tenant data: no page shows it.
    """

    seller_account = models.ForeignKey(SellerAccount, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=16, choices=RunKind.choices)
    requested_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["seller_account", "kind"], name="pendingpoll_account_kind")]

    def __str__(self) -> str:
        return f"{RunKind(self.kind).label} of account {self.seller_account_id}, requested {self.requested_at}"
