import os

from django.core.management.base import BaseCommand

from devtools.demo import demo_seed


class Command(BaseCommand):
    help = "Create the demo tenants, seller accounts, cases, records and users. Safe to run again."

    def handle(self, *args, **options):
        password = os.environ.get("DEMO_PASSWORD", "demo-password")
        result = demo_seed(password=password)
        if result.cases_created:
            self.stdout.write(f"Created {result.cases_created} demo cases.")
        else:
            self.stdout.write("Demo data already in place: nothing changed.")
        self.stdout.write("Open http://127.0.0.1:8000 and log in as:")
        roles = {"seller-a": "seller, Acme Goods", "seller-b": "seller, Bolt Supplies",
                 "staff": "reimbursement staff, /admin/"}
        for username in result.users:
            self.stdout.write(f"  {username:<9} password {password}   ({roles.get(username, '')})")
