from dataclasses import dataclass

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django_scopes import ScopedManager


class Tenant(models.Model):
    """A seller organisation: the unit of isolation."""

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=60, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Marketplace(models.TextChoices):
    AMAZON = "amazon", "Amazon"
    WALMART = "walmart", "Walmart"


class Region(models.TextChoices):
    NA = "NA", "North America"
    EU = "EU", "Europe"
    FE = "FE", "Far East"


MARKETPLACE_CURRENCIES: dict[tuple[str, str], tuple[str, ...]] = {
    (Marketplace.AMAZON, Region.NA): ("USD", "CAD", "MXN", "BRL"),
    (Marketplace.AMAZON, Region.EU): (
        "EUR", "GBP", "SEK", "PLN", "TRY", "AED", "SAR", "EGP", "INR", "ZAR",
    ),
    (Marketplace.AMAZON, Region.FE): ("JPY", "AUD", "SGD"),
    (Marketplace.WALMART, ""): ("USD",),
}
"""The currencies each marketplace (Amazon: per SP-API region) pays reimbursements in: the currencies of
its marketplaces (Amazon's EU region includes the UK, Turkey, the Gulf, Egypt, India and South Africa;
its Far East region Japan, Australia and Singapore)."""


class SyncBackend(models.TextChoices):
    """Where an account's reimbursements come from; `POLLED_MARKETPLACES` says which ones it polls."""

    SANDBOX = "sandbox", "Sandbox (simulated marketplace)"
    AMAZON_SP_API = "amazon_sp_api", "Amazon Selling Partner API"
    MANUAL = "manual", "Manual (staff and report files only)"


POLLED_MARKETPLACES: dict[str, tuple[str, ...]] = {
    SyncBackend.SANDBOX: (Marketplace.AMAZON,),
    SyncBackend.AMAZON_SP_API: (Marketplace.AMAZON,),
    SyncBackend.MANUAL: (),
}
"""The marketplaces each backend has something to poll for. `manual` has none: staff and report files
move those cases. `sync.adapters.registry` holds an adapter for each pair (a test checks they agree),
so that this app can say which accounts are pollable without importing sync."""


class SellerAccountQuerySet(models.QuerySet):
    """The readiness vocabulary of `SellerAccount` as filters: each method matches the property of its name."""

    def ready(self) -> "SellerAccountQuerySet":
        """`SellerAccount.is_ready`: connected, with the reimbursement service initiated."""
        return self.filter(connected=True, service_initiated_on__isnull=False)

    def pollable(self) -> "SellerAccountQuerySet":
        """`SellerAccount.is_pollable`: ready, no reconnect pending, on a backend that polls its marketplace."""
        backend_polls = Q(pk__in=[])
        for backend, marketplaces in POLLED_MARKETPLACES.items():
            if marketplaces:
                backend_polls |= Q(sync_backend=backend, marketplace__in=marketplaces)
        return self.ready().filter(backend_polls, needs_reconnect=False)


class SellerAccount(models.Model):
    """One marketplace account of a tenant: an Amazon seller ID or a Walmart partner ID."""

    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="seller_accounts")
    marketplace = models.CharField(max_length=16, choices=Marketplace.choices)
    external_id = models.CharField(
        "seller ID / partner ID", max_length=64, help_text="Amazon seller ID or Walmart partner ID."
    )
    name = models.CharField(max_length=200, blank=True)
    region = models.CharField(
        max_length=2, choices=Region.choices, blank=True, help_text="Amazon only."
    )
    marketplace_ids = ArrayField(
        models.CharField(max_length=20), default=list, blank=True, help_text="Amazon marketplace IDs."
    )
    connected = models.BooleanField(
        default=False, help_text="The seller added us as an Authorized Partner in Seller Central."
    )
    service_initiated_on = models.DateField(
        null=True, blank=True, help_text="When the reimbursement service was initiated for this account."
    )
    needs_reconnect = models.BooleanField(
        default=False, help_text="The marketplace refused our credentials; the seller must re-authorize."
    )
    sync_interval_hours = models.PositiveSmallIntegerField(default=4)
    last_synced_at = models.DateTimeField(null=True, blank=True)
    next_sync_at = models.DateTimeField(null=True, blank=True)
    last_sync_failed_at = models.DateTimeField(null=True, blank=True)
    last_sync_error = models.TextField(blank=True)
    ledger_polled = models.BooleanField(
        "poll the inventory ledger", default=False,
        help_text="Also fetch the FBA Inventory Ledger on each poll, to identify amounts owed (the seller's "
                  "authorization must include the Amazon Fulfillment role).",
    )
    sync_backend = models.CharField(
        max_length=16, choices=SyncBackend.choices, default=SyncBackend.SANDBOX,
        help_text="Walmart has no reimbursements report: use Manual.",
    )
    lwa_client_id = models.CharField("LWA client ID", max_length=200, blank=True)
    lwa_client_secret_encrypted = models.TextField(blank=True, editable=False)
    lwa_refresh_token_encrypted = models.TextField(
        blank=True, editable=False, help_text="Fernet ciphertext; see sync.crypto. Never displayed."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedManager(tenant="tenant", _manager_class=models.Manager.from_queryset(SellerAccountQuerySet))

    class Meta:
        ordering = ["marketplace", "region", "external_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["marketplace", "external_id"], name="seller_account_unique_external_id"
            ),
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        """How the account is named everywhere: `Amazon NA A1DEMOSELLERA`, `Walmart 10001234`."""
        parts = [self.get_marketplace_display()]
        if self.region:
            parts.append(self.region)
        parts.append(self.external_id)
        return " ".join(parts)

    @property
    def currencies(self) -> tuple[str, ...]:
        """What this account's marketplace pays in (`MARKETPLACE_CURRENCIES`); an Amazon account whose
        region is not set yet may be paid in any Amazon region's currencies."""
        if (self.marketplace, self.region) in MARKETPLACE_CURRENCIES:
            return MARKETPLACE_CURRENCIES[(self.marketplace, self.region)]
        return tuple(dict.fromkeys(
            code for (marketplace, _), codes in MARKETPLACE_CURRENCIES.items()
            if marketplace == self.marketplace for code in codes
        ))

    @property
    def is_ready(self) -> bool:
        """Connected and with the reimbursement service initiated: its cases are tracked."""
        return self.connected and self.service_initiated_on is not None

    @property
    def backend_polls_marketplace(self) -> bool:
        """Its sync backend has something to poll for its marketplace (see `POLLED_MARKETPLACES`)."""
        return self.marketplace in POLLED_MARKETPLACES.get(self.sync_backend, ())

    @property
    def is_pollable(self) -> bool:
        """A poll can reach it now: ready, not waiting for a reconnect, on a backend that polls its marketplace."""
        return self.poll_problem is None

    @property
    def poll_problem(self) -> str | None:
        """Why a poll cannot reach this account now, in words for the reimbursement team; None when it can."""
        if not self.backend_polls_marketplace:
            return (f"there is nothing to poll for {self.get_marketplace_display()} "
                    f"with the {self.get_sync_backend_display()} backend")
        if not self.connected:
            return "it is not connected"
        if self.service_initiated_on is None:
            return "its reimbursement service has not been initiated"
        if self.needs_reconnect:
            return "it needs reconnecting"
        return None

    @property
    def last_sync_failed(self) -> bool:
        """The latest sync attempt failed (a success since then clears it)."""
        return self.last_sync_failed_at is not None and (
            self.last_synced_at is None or self.last_sync_failed_at > self.last_synced_at
        )

    @property
    def portal(self) -> str:
        """Where the seller manages the account: Amazon Seller Central, Walmart Seller Center."""
        return "Amazon Seller Central" if self.marketplace == Marketplace.AMAZON else "Walmart Seller Center"

    @property
    def awaits_our_credentials(self) -> bool:
        """On the SP-API backend without the credentials staff store: our team's step, not the seller's."""
        return self.sync_backend == SyncBackend.AMAZON_SP_API and not (
            self.lwa_client_id and self.lwa_refresh_token_encrypted and self.lwa_client_secret_encrypted
        )

    @property
    def sync_status(self) -> "SyncStatus":
        """What the seller reads about this account's sync, in words they can act on (or that say our team
        is on it). The technical error stays in `last_sync_error`, for staff."""
        marketplace, portal = self.get_marketplace_display(), self.portal
        if not self.connected:
            return SyncStatus("Not connected", f"We cannot read this account until you add us as an Authorized "
                                               f"Partner in {portal}.", problem=True)
        if self.service_initiated_on is None:
            return SyncStatus("Not started", "The reimbursement service has not been started for this account: "
                                             "your account manager will start it.")
        if not self.backend_polls_marketplace:
            return SyncStatus("Recorded by our team", f"{marketplace} has no reimbursements report to read: "
                                                      "our team records this account's reimbursements.")
        if self.awaits_our_credentials:
            return SyncStatus("Being connected", "Our team is finishing the connection of this account; "
                                                 "there is nothing to do on your side.")
        if self.needs_reconnect:
            return SyncStatus("Needs your authorization", f"We can no longer read this account: authorize us "
                                                          f"again in {portal}.", problem=True)
        if self.last_sync_failed:
            return SyncStatus("Sync delayed", "The last sync did not go through. Our team has been told and we "
                                              "will try again at the next sync; the figures may be behind until "
                                              "then.", problem=True, scheduled=True)
        if self.last_synced_at:
            return SyncStatus("Up to date", "Up to date as of the last sync.", scheduled=True)
        return SyncStatus("Waiting", "Waiting for the first sync.", scheduled=True)

    @property
    def setup_problems(self) -> list[str]:
        """What keeps this account from being tracked or polled, in words a seller can act on."""
        problems = []
        if not self.connected and self.marketplace != Marketplace.AMAZON:
            problems.append(f"is not connected: give us access in {self.portal}.")
        elif not self.connected:
            problems.append(
                "is not connected: add us as an Authorized Partner in Seller Central "
                "(Settings → User Permissions → Authorized partners)."
            )
        if self.service_initiated_on is None:
            problems.append(
                "has no reimbursement service yet: ask your account manager to initiate it."
            )
        if self.needs_reconnect and not self.awaits_our_credentials:
            problems.append(
                "needs reconnecting: the marketplace no longer accepts our authorization. "
                f"Authorize us again in {self.portal}."
            )
        return problems


@dataclass(frozen=True)
class SyncStatus:
    """`SellerAccount.sync_status`: a short label, a sentence, whether something is wrong, and whether
    a next sync is planned (only then is its time worth showing)."""

    label: str
    message: str
    problem: bool = False
    scheduled: bool = False


class Role(models.TextChoices):
    STANDARD = "standard", "Standard user"


class Membership(models.Model):
    """A user's access to a tenant. Standard users can look, never change."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.STANDARD)
    digest_opt_in = models.BooleanField(
        "daily digest", default=False,
        help_text="Email this user once a day listing the tenant's cases reimbursed the day before.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "tenant"], name="membership_unique_user_tenant"),
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.tenant}"

    def clean(self):
        """The digest goes by email: only a member with an address can have it (admin's forms call this)."""
        if self.digest_opt_in and self.user_id and not self.user.email.strip():
            raise ValidationError({"digest_opt_in": DIGEST_NEEDS_EMAIL.format(user=self.user.get_username())})


DIGEST_NEEDS_EMAIL = "{user} has no email address: the daily digest goes by email. Add an address first."


class Profile(models.Model):
    """What a user sets for themselves: for now, the time zone their pages show times in."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile")
    time_zone = models.CharField(max_length=64, default="UTC", help_text="An IANA time zone, e.g. America/New_York.")

    def __str__(self) -> str:
        return f"{self.user}: {self.time_zone}"


class Team(models.Model):
    """Reimbursement staff who work on the same tenants. A staff member works, in admin, on the tenants
    of the teams they belong to; a superuser on every tenant (accounts.access.staff_tenant_ids)."""

    name = models.CharField(max_length=100, unique=True)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="teams", blank=True, limit_choices_to={"is_staff": True}
    )
    tenants = models.ManyToManyField(Tenant, related_name="teams", blank=True)

    def __str__(self) -> str:
        return self.name


class DigestSent(models.Model):
    """The daily digest of one membership for one UTC day, claimed before the email goes out."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+", db_index=False)
    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="+", db_index=False)
    day = models.DateField()
    case_count = models.PositiveIntegerField()
    sent_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedManager(tenant="tenant")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["membership", "day"], name="digest_sent_once_per_day"),
        ]

    def __str__(self) -> str:
        return f"{self.membership} on {self.day}"


class StaffView(models.Model):
    """A staff member opened a seller page of a tenant they are not a member of ("view as seller")."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="+")
    path = models.CharField(max_length=500)
    opened_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-opened_at"]

    def __str__(self) -> str:
        return f"{self.user} viewed {self.path} at {self.opened_at:%Y-%m-%d %H:%M}"


class AuditEntry(models.Model):
    """Who changed who may see what: memberships, teams and marketplace credentials (accounts.audit).

    Append-only: a database trigger refuses to change or delete an entry; superusers read them in admin.
    """

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    action = models.CharField(max_length=100)
    target = models.CharField(max_length=300)
    detail = models.TextField(blank=True)

    class Meta:
        verbose_name_plural = "audit entries"
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor}: {self.action} {self.target}"
