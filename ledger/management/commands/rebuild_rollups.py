from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from accounts.models import SellerAccount, Tenant
from accounts.rls import across_tenants
from cases.rollups import rollup_differences, rollups_repair
from ledger.rollups import ROLLUPS, all_rollups_lock
from monitoring.progress import CommandProgress


class Command(BaseCommand):
    help = (
        "Recompute the dashboard rollups (CaseTotals, MonthlyRecovery, DailyRecovery, ProductTotals, "
        "OpportunityTotals) from cases, records and opportunities. "
        "With --verify, only compare and exit non-zero listing each differing bucket; "
        "without, rewrite the differing buckets in one transaction that keeps writers out."
    )

    def add_arguments(self, parser):
        parser.add_argument("--verify", action="store_true", help="Compare only; change nothing.")
        parser.add_argument("--tenant", metavar="SLUG", help="Only this tenant.")

    def handle(self, *args, verify, tenant, **options):
        with across_tenants(reason="rebuild_rollups: every tenant's rollups, or the one named"):
            tenants = self._tenants(tenant)
            if verify:
                differing = self._check_all(tenants, repair=False)
                if differing:
                    raise CommandError(f"{differing} rollup bucket(s) differ from the cases, records and opportunities")
                self.stdout.write(self.style.SUCCESS("Rollups match the cases, records and opportunities."))
                return
            with transaction.atomic():
                all_rollups_lock()
                repaired = self._check_all(tenants, repair=True)
            self.stdout.write(self.style.SUCCESS(f"Rollups rebuilt: {repaired} bucket(s) corrected."))

    def _check_all(self, tenants: list[Tenant], *, repair: bool) -> int:
        description = "Rebuilding rollups" if repair else "Comparing rollups"
        with CommandProgress(self.stdout, description=description, total=len(tenants)) as progress:
            differing = 0
            for tenant in tenants:
                differing += self._check(tenant, repair=repair, progress=progress)
                progress.advance()
        return differing

    def _tenants(self, slug: str | None) -> list[Tenant]:
        tenants = Tenant.objects.order_by("slug")
        if slug is not None:
            tenants = tenants.filter(slug=slug)
            if not tenants.exists():
                raise CommandError(f"No tenant with slug {slug!r}")
        return list(tenants)

    def _check(self, tenant: Tenant, *, repair: bool, progress: CommandProgress) -> int:
        differences = rollup_differences(tenant_id=tenant.pk, rollups=ROLLUPS)
        progress.write(f"{tenant.slug}: {len(differences)} bucket(s) {'corrected' if repair else 'differ'}")
        labels = {account.pk: account.label for account in SellerAccount.objects.filter(tenant=tenant)}
        for difference in differences:
            label = labels.get(difference.bucket.get("seller_account_id"), "all accounts")
            progress.write(f"  {tenant.slug} {difference.describe(account_label=label)}")
        if repair and differences:
            rollups_repair(tenant_id=tenant.pk, differences=differences, rollups=ROLLUPS)
        return len(differences)
