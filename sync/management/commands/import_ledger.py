from django.core.management.base import BaseCommand, CommandError
from django_scopes import scope

from sync.ledger_ingest import import_ledger
from sync.management.files import add_file_arguments, amazon_account, open_file, source_name
from sync.models import RunKind
from sync.report import ReportError, decode_lines


class Command(BaseCommand):
    help = (
        "Import an FBA Inventory Ledger (detailed view) downloaded from Seller Central, comma- or tab-separated, "
        "into a seller account, and detect its identified amounts again. Safe to run twice."
    )

    def add_arguments(self, parser):
        add_file_arguments(parser, what="ledger")

    def handle(self, *args, path: str, seller_account: str, **options):
        account = amazon_account(seller_account, command="import_ledger")
        with scope(tenant=account.tenant_id):
            source = source_name(path)
            with open_file(path) as stream:
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
