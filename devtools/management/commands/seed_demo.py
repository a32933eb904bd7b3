import os

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from devtools.demo import demo_seed
from devtools.demo_ledger import demo_ledger_seed
from monitoring.progress import CommandProgress

ALLOW_FLAG = "--allow-production"


class Command(BaseCommand):
    help = (
        "Create the demo tenants, seller accounts, cases, records and users. Safe to run again. "
        f"Runs only with DEBUG on, unless {ALLOW_FLAG} is given."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            ALLOW_FLAG, action="store_true",
            help="Run with DEBUG off too: the demo users it creates log in with a known password.",
        )

    def handle(self, *args, allow_production: bool = False, **options):
        if not settings.DEBUG and not allow_production:
            raise CommandError(
                "seed_demo creates users with a known password and runs only with DEBUG on. "
                f"This process has DEBUG off: set DEBUG=true, or pass {ALLOW_FLAG} if this really is "
                "not a production database."
            )
        password = os.environ.get("DEMO_PASSWORD", "demo-password")
        with CommandProgress(self.stdout, description="Seeding demo cases") as progress:
            result = demo_seed(password=password, progress=progress)
        claimed = demo_ledger_seed(staff=get_user_model().objects.get(username="staff"))
        if claimed:
            self.stdout.write(f"Claimed {claimed} identified amounts from the demo inventory ledgers.")
        if result.cases_created:
            self.stdout.write(f"Created {result.cases_created} demo cases.")
        else:
            self.stdout.write("Demo data already in place: nothing changed.")
        self.stdout.write(f"Open {settings.SITE_URL}/ and log in as:")
        roles = {"seller-a": "seller, Acme Goods", "seller-b": "seller, Bolt Supplies",
                 "staff": f"reimbursement staff, {settings.SITE_URL}/admin/"}
        for username in result.users:
            login = (f"password {password}" if username in result.users_created
                     else "existing user, password left as it was")
            self.stdout.write(f"  {username:<9} {login}   ({roles.get(username, '')})")
