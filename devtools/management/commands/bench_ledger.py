"""`manage.py bench_ledger`: import an N-line Inventory Ledger into a bench database twice, and print the figures."""

from django.core.management.base import BaseCommand, CommandError

from accounts.rls import across_tenants
from devtools.ledgerbench import (
    FIRST_IMPORT_RATE, MEMORY_BUDGET_MB, REIMPORT_RATE, bench_account, bench_account_clear, bench_database_check,
    ledger_bench_file, ledger_floor, ledger_import_timed, pages_timed,
)


class Command(BaseCommand):
    help = ("Time importing an Inventory Ledger of --lines lines (parse, store, detect) into a bench database, "
            "first and again; prints lines per second and the process's memory growth.")

    def add_arguments(self, parser):
        parser.add_argument("--lines", type=int, default=1_000_000)
        parser.add_argument("--fnskus", type=int, default=50_000)
        parser.add_argument("--pages", action="store_true",
                            help="Only time the Identified page and the dashboard of the imported bench tenant.")
        parser.add_argument("--floor", action="store_true",
                            help="Also time parsing alone and COPY alone: the floor of any design on this host.")

    def handle(self, *args, lines: int, fnskus: int, floor: bool, pages: bool, **options):
        try:
            name = bench_database_check()
        except ValueError as error:
            raise CommandError(str(error)) from None
        # An operator's command sets up and clears the bench tenant: no request, no tenant scope.
        with across_tenants(reason="bench_ledger: development data"):
            account = bench_account()
            if pages:
                for name, median, cpu, budget in pages_timed(account):
                    self.stdout.write(f"{name}: median {median:.0f} ms, Python CPU {cpu:.0f} ms (budget {budget} ms)")
                return
            path = ledger_bench_file(lines, fnskus)
            bench_account_clear(account)
            self.stdout.write(f"{name}: {path}")
            first = ledger_import_timed(account, path)
            again = ledger_import_timed(account, path)
            bottom = ledger_floor(path) if floor else None
        for label, figures, target in (("first import", first, FIRST_IMPORT_RATE), ("re-import", again, REIMPORT_RATE)):
            self.stdout.write(
                f"{label}: {figures.lines:,} lines in {figures.seconds:.1f} s = {figures.rate:,.0f} lines/s "
                f"(target {target:,}); {figures.new:,} new, {figures.opportunities_changed:,} opportunities "
                f"added or changed; peak RSS grew {figures.rss_growth_mb:.0f} MB (budget {MEMORY_BUDGET_MB})"
            )
        if bottom is not None:
            self.stdout.write(
                f"floor: parsing alone {bottom.lines / bottom.parse_seconds:,.0f} lines/s "
                f"({bottom.parse_seconds:.1f} s); COPY of the parsed lines alone "
                f"{bottom.lines / bottom.copy_seconds:,.0f} lines/s ({bottom.copy_seconds:.1f} s)"
            )
