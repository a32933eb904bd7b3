import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from cases.digest import DigestsNotSent, digest_send, digest_yesterday


def _day(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"--day {value!r} is not a date (use YYYY-MM-DD).") from None


class Command(BaseCommand):
    help = "Email the daily digest of reimbursed cases to opted-in members; safe to run twice."

    def add_arguments(self, parser):
        parser.add_argument("--day", metavar="YYYY-MM-DD",
                            help="The UTC day whose reimbursed cases to send (default: yesterday).")

    def handle(self, *args, day=None, **options):
        when = _day(day) if day else digest_yesterday()
        try:
            run = digest_send(day=when)
        except DigestsNotSent as error:
            raise CommandError(str(error)) from None
        self.stdout.write(f"Digests of {when.isoformat()}: {run.sent} sent.")
        if run.without_email:
            self.stdout.write(f"{len(run.without_email)} skipped, opted in without an email address "
                              f"(give them one, or turn their digest off): {', '.join(run.without_email)}.")
