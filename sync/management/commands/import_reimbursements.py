import getpass
from collections.abc import Iterable, Iterator

from django.core.management.base import BaseCommand, CommandError
from django_scopes import scope

from monitoring.progress import CommandProgress
from sync.ingest import import_report
from sync.management.files import add_file_arguments, amazon_account, open_file, source_name
from sync.models import RunKind
from sync.report import ReportError, decode_lines


class Command(BaseCommand):
    help = (
        "Import an Amazon FBA Reimbursements report downloaded from Seller Central (tab-separated) "
        "into a seller account. Safe to run twice: rows already imported are skipped."
    )

    def add_arguments(self, parser):
        add_file_arguments(parser, what="report")
        parser.add_argument("--force-account", action="store_true",
                            help="import the report even if it looks like another seller account's (wrong "
                                 "currencies, or case IDs of another account); the run records the override")
        parser.add_argument("--progress-every", type=int, default=50_000, metavar="N",
                            help="off a terminal, report progress on standard error every N lines (default "
                                 "50000, 0 for never); on a terminal a progress bar shows instead")

    def handle(self, *args, path: str, seller_account: str, progress_every: int, force_account: bool, **options):
        account = amazon_account(seller_account, command="import_reimbursements")
        with scope(tenant=account.tenant_id):
            source = source_name(path)
            with open_file(path) as stream, CommandProgress(
                self.stdout, description=f"Reading {source}", plain_every=progress_every,
                plain_line="{count:,} lines read", plain_stream=self.stderr,
            ) as progress:
                lines = self._with_progress(decode_lines(stream), progress)
                try:
                    run = import_report(
                        seller_account=account, lines=lines, source=source, kind=RunKind.FILE,
                        account_guard_overridden_by=(
                            f"import_reimbursements --force-account (OS user {getpass.getuser()})"
                            if force_account else ""
                        ),
                    )
                except ReportError as error:
                    raise CommandError(str(error)) from None
        self.stdout.write(
            f"Imported {source} into {account.label}: {run.rows_read} rows read, {run.rows_new} new, "
            f"{run.rows_matched} matched to cases; {run.cases_changed} cases changed, "
            f"{run.status_changes} status changes."
            + (f" {run.rows_confirmed} confirmed records entered by hand." if run.rows_confirmed else "")
        )
        if run.account_guard_override:
            self.stderr.write(run.account_guard_override)

    def _with_progress(self, lines: Iterable[str], progress: CommandProgress) -> Iterator[str]:
        for line in lines:
            progress.advance()
            yield line
        progress.describe("Saving new rows and matching cases")
        if not progress.on_terminal and progress.plain_every and progress.count >= progress.plain_every:
            self.stderr.write(f"{progress.count:,} lines read; saving new rows and matching cases")
