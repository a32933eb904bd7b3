import time
from dataclasses import dataclass

from django.core.management.base import BaseCommand, CommandError

from accounts.models import SellerAccount
from accounts.rls import across_tenants
from monitoring.progress import CommandProgress
from sync.adapters.base import MarketplaceError
from sync.models import RunKind, RunStatus
from sync.report import ReportError
from sync.services import UNEXPECTED, AccountNotPollable, account_poll


@dataclass(frozen=True)
class Target:
    pk: int
    label: str
    problem: str | None
    """Why it cannot be polled now (SellerAccount.poll_problem); None when it can."""
    nothing_to_poll: bool


class Command(BaseCommand):
    help = (
        "Poll marketplaces now, in the foreground: every seller account, or the one named. An account that "
        "cannot be polled (nothing to poll on its backend, such as manual or Walmart; not connected; waiting "
        "for a reconnect) is skipped with a line saying why; only polls that fail make the command fail."
    )

    def add_arguments(self, parser):
        parser.add_argument("--seller-account", metavar="SELLER_ID",
                            help="Amazon seller ID (or Walmart partner ID) of the one account to poll.")

    def handle(self, *args, seller_account=None, **options):
        targets = self._targets(seller_account)
        if not targets:
            self.stdout.write("No seller account to poll.")
            return
        outcomes = {"polled": 0, "skipped": 0, "failed": 0}
        # account_poll logs each poll at INFO; this command prints the same, with the run id.
        with CommandProgress(self.stdout, description="Polling", total=len(targets),
                             quiet_loggers=("sync.services",)) as progress:
            for target in targets:
                outcomes[self._poll_one(target, progress, named=seller_account is not None)] += 1
                progress.advance()
        self.stdout.write(", ".join(f"{count} {outcome}" for outcome, count in outcomes.items()) + ".")
        if outcomes["failed"]:
            raise CommandError(f"{outcomes['failed']} of {len(targets)} polls failed.")

    def _targets(self, seller_id: str | None) -> list[Target]:
        with across_tenants(reason="poll_marketplaces: the accounts to poll"):
            accounts = SellerAccount.objects.order_by("pk")
            if seller_id is not None:
                accounts = accounts.filter(external_id=seller_id)
            targets = [
                Target(pk=account.pk, label=account.label, problem=account.poll_problem,
                       nothing_to_poll=not account.backend_polls_marketplace)
                for account in accounts
            ]
        if seller_id is not None and not targets:
            raise CommandError(f"No seller account with seller ID {seller_id!r}.")
        return targets

    def _poll_one(self, target: Target, progress: CommandProgress, *, named: bool) -> str:
        """Poll one account; 'polled', 'skipped' or 'failed', with its line written."""
        if target.problem is not None:
            if named and not target.nothing_to_poll:
                progress.write(f"{target.label}: not polled: {target.problem}", stream=self.stderr)
                return "failed"
            progress.write(f"{target.label}: skipped: {target.problem}")
            return "skipped"
        started = time.monotonic()
        try:
            run = account_poll(seller_account_id=target.pk, kind=RunKind.MANUAL_POLL)
        except AccountNotPollable as error:  # it changed since it was listed
            progress.write(f"{target.label}: skipped: {error.why}")
            return "skipped"
        except (MarketplaceError, ReportError) as error:
            progress.write(f"{target.label}: FAILED after {time.monotonic() - started:.1f} s: {error}",
                           stream=self.stderr)
            return "failed"
        except Exception as error:
            progress.write(f"{target.label}: FAILED: {UNEXPECTED} ({type(error).__name__}: {error})",
                           stream=self.stderr)
            return "failed"
        seconds = time.monotonic() - started
        if run.status == RunStatus.SKIPPED:
            progress.write(f"{target.label}: skipped: another poll of this account is running (run {run.pk})")
            return "skipped"
        progress.write(
            f"{target.label}: run {run.pk}: {run.rows_read} rows read, {run.rows_new} new, "
            f"{run.cases_changed} cases changed, {run.status_changes} status changes ({seconds:.1f} s)"
        )
        return "polled"
