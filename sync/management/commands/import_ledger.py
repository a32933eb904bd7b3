import contextlib
import os
import sys

from django.core.management.base import BaseCommand, CommandError
from django_scopes import scope

from accounts.models import Marketplace, SellerAccount
from accounts.rls import across_tenants
from sync.ledger_ingest import import_ledger
from sync.models import RunKind
from sync.report import ReportError, decode_lines


class Command(BaseCommand):
    help = (
        "Import an FBA Inventory Ledger (detailed view) downloaded from Seller Central, comma- or tab-separated, "
        "into a seller account, and detect its identified amounts again. Safe to run twice."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="the ledger file, or - to read standard input")
        parser.add_argument("--seller-account", required=True, metavar="SELLER_ID",
                            help="the Amazon seller ID of the account the ledger belongs to")

    def handle(self, *args, path: str, seller_account: str, **options):
        # An operator's command names no tenant: the account it names gives it, and the import runs in its scope.
        with across_tenants(reason=f"import_ledger: the tenant of seller account {seller_account}"):
            try:
                account = SellerAccount.objects.get(marketplace=Marketplace.AMAZON, external_id=seller_account)
            except SellerAccount.DoesNotExist:
                raise CommandError(f"No Amazon seller account with seller ID {seller_account!r}.") from None
        with scope(tenant=account.tenant_id):
            source = "standard input" if path == "-" else os.path.basename(path)
            with self._open(path) as stream:
                try:
                    run = import_ledger(
                        seller_account=account, lines=decode_lines(stream), source=source, kind=RunKind.FILE
                    )
                except ReportError as error:
                    raise CommandError(str(error)) from None
        self.stdout.write(
            f"Imported {source} into {account.label}: {run.rows_read} lines read, {run.rows_new} new; "
            f"{run.opportunities_changed} identified amounts added or changed."
        )

    def _open(self, path: str):
        if path == "-":
            return contextlib.nullcontext(sys.stdin.buffer)
        try:
            return open(path, "rb")
        except OSError as error:
            raise CommandError(f"Cannot read {path}: {error.strerror}.") from None
