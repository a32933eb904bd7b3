"""`manage.py stress_data`: the load test's tenants, sellers and cases (see `devtools.stressdata`)."""

import datetime as dt
import os

from django.core.management.base import BaseCommand, CommandError

from devtools.stressdata import StressDataError, stress_data_generate, stress_polls_spread


class Command(BaseCommand):
    help = "Create the load test's tenants (one seller and one sandbox account each) and their cases; idempotent."

    def add_arguments(self, parser):
        parser.add_argument("--tenants", type=int, default=50)
        parser.add_argument("--cases", type=int, default=3000, help="Cases per tenant.")
        parser.add_argument("--polls-over", type=int, default=0, metavar="SECONDS",
                            help="Spread the accounts' next polls over this many seconds from now.")

    def handle(self, *args, tenants, cases, polls_over, **options):
        if tenants < 1 or cases < 0:
            raise CommandError("--tenants must be at least 1 and --cases at least 0")
        password = os.environ.get("LOAD_PASSWORD", "stress-password")
        try:
            made = stress_data_generate(tenants=tenants, cases=cases, password=password, log=self.stdout.write)
        except StressDataError as error:
            raise CommandError(str(error)) from error
        if polls_over:
            stress_polls_spread(accounts=[t.account for t in made], over=dt.timedelta(seconds=polls_over))
            self.stdout.write(f"Their polls are due one after the other over the next {polls_over} s.")
