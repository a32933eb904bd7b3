import time

from django.core.management.base import BaseCommand, CommandError

from accounts.models import SellerAccount
from accounts.rls import across_tenants
from sync.adapters.base import MarketplaceError
from sync.models import RunKind, RunStatus
from sync.report import ReportError
from sync.services import UNEXPECTED, AccountNotPollable, account_poll


class Command(BaseCommand):
    help = "Poll marketplaces now, in the foreground: every pollable seller account, or the one named."

    def add_arguments(self, parser):
        parser.add_argument("--seller-account", metavar="SELLER_ID",
                            help="Amazon seller ID (or Walmart partner ID) of the one account to poll.")

    def handle(self, *args, seller_account=None, **options):
        ids = self._account_ids(seller_account)
        if not ids:
            self.stdout.write("No seller account to poll (connected, service initiated, with a pollable backend).")
            return
        failed = 0
        for seller_account_id in ids:
            failed += not self._poll_one(seller_account_id)
        if failed:
            raise CommandError(f"{failed} of {len(ids)} polls failed.")

    def _account_ids(self, seller_id: str | None) -> list[int]:
        with across_tenants(reason="poll_marketplaces: the accounts to poll"):
            if seller_id is None:
                return list(SellerAccount.objects.pollable().order_by("pk").values_list("pk", flat=True))
            ids = list(SellerAccount.objects.filter(external_id=seller_id).values_list("pk", flat=True))
        if not ids:
            raise CommandError(f"No seller account with seller ID {seller_id!r}.")
        return ids

    def _poll_one(self, seller_account_id: int) -> bool:
        with across_tenants(reason=f"poll_marketplaces: the label of seller account {seller_account_id}"):
            label = SellerAccount.objects.get(pk=seller_account_id).label
        self.stdout.write(f"{label}: polling…")
        started = time.monotonic()
        try:
            run = account_poll(seller_account_id=seller_account_id, kind=RunKind.MANUAL_POLL)
        except AccountNotPollable as error:
            self.stderr.write(f"{label}: not polled: {error.why}")
            return False
        except (MarketplaceError, ReportError) as error:
            self.stderr.write(f"{label}: FAILED after {time.monotonic() - started:.1f} s: {error}")
            return False
        except Exception as error:
            self.stderr.write(f"{label}: FAILED: {UNEXPECTED} ({type(error).__name__}: {error})")
            return False
        seconds = time.monotonic() - started
        if run.status == RunStatus.SKIPPED:
            self.stdout.write(f"{label}: skipped, another poll of this account is running ({seconds:.1f} s)")
            return True
        self.stdout.write(
            f"{label}: {run.rows_read} rows read, {run.rows_new} new, {run.cases_changed} cases changed, "
            f"{run.status_changes} status changes ({seconds:.1f} s)"
        )
        return True
