from django.conf import settings
from django.contrib.postgres.fields import ArrayField
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
    def setup_problems(self) -> list[str]:
        """What keeps this account from being tracked or polled, in words a seller can act on."""
        problems = []
        if not self.connected:
            problems.append(
                "is not connected: add us as an Authorized Partner in Seller Central "
                "(Settings → User Permissions → Authorized partners)."
            )
        if self.service_initiated_on is None:
            problems.append(
                "has no reimbursement service yet: ask your account manager to initiate it."
            )
        if self.needs_reconnect:
            problems.append(
                "needs reconnecting: the marketplace no longer accepts our authorization. "
                "Authorize us again in Seller Central."
            )
        return problems


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
