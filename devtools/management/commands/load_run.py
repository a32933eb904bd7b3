"""`manage.py load_run`: the load test (see `devtools.loadrun`), its figures per page, and its verdict.

Fails if any request failed, if a page's 95th percentile passed `LOAD_P95_MS` (1000), if no poll
succeeded meanwhile, or if the rollups of a stress tenant differ from a recomputation afterwards.
"""

import datetime as dt
import os
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from accounts.rls import across_tenants
from cases.rollups import rollup_differences
from devtools.loadrun import LoadOptions, load_run
from devtools.stressdata import StressDataError, stress_data_generate, stress_polls_spread
from sync.models import RunStatus, SyncRun

AGGREGATED = "Aggregated"
UNTIMED = {AGGREGATED, "login page", "log in"}
"""Not pages a seller reads: all requests together, and the sellers' logins (password hashing) at the start."""


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name, str(default))
    try:
        return int(raw)
    except ValueError:
        raise CommandError(f"{name}={raw!r} is not a whole number") from None


class Command(BaseCommand):
    help = ("Load test: LOAD_USERS sellers (50) of as many tenants for LOAD_SECONDS (300) against the "
            "Procfile's processes on a spare LOAD_PORT (8765); figures in LOAD_DIR (run/load).")

    def handle(self, *args, **kwargs):
        options = LoadOptions(
            seconds=_env_int("LOAD_SECONDS", 300), users=_env_int("LOAD_USERS", 50), port=_env_int("LOAD_PORT", 8765),
            redis_url=os.environ.get("LOAD_REDIS_URL", "redis://127.0.0.1:6379/14"),
            folder=Path(os.environ.get("LOAD_DIR", settings.BASE_DIR / "run" / "load")),
            p95_limit_ms=float(_env_int("LOAD_P95_MS", 1000)),
        )
        try:
            made = stress_data_generate(tenants=options.users, cases=_env_int("LOAD_CASES", 3000),
                                        password=os.environ.get("LOAD_PASSWORD", "stress-password"),
                                        log=self.stdout.write)
        except StressDataError as error:
            raise CommandError(str(error)) from error
        stress_polls_spread(accounts=[t.account for t in made], over=dt.timedelta(seconds=options.seconds))
        started = timezone.now()
        try:
            figures = load_run(options=options, log=self.stdout.write)
        except RuntimeError as error:
            raise CommandError(str(error)) from error
        with across_tenants(reason="load_run: development data"):
            polls = SyncRun.objects.filter(started_at__gte=started, seller_account__in=[t.account for t in made])
            succeeded = polls.filter(status=RunStatus.SUCCEEDED).count()
            other = {status: polls.filter(status=status).count() for status in RunStatus if status != "succeeded"}
            differing = [t.tenant.slug for t in made if rollup_differences(tenant_id=t.tenant.pk)]
        self._report(figures, options, succeeded=succeeded, other=other, differing=differing)

    def _report(self, figures, options: LoadOptions, *, succeeded: int, other: dict, differing: list[str]) -> None:
        self.stdout.write("\n| page | requests | failures | p50 ms | p95 ms |\n|---|---:|---:|---:|---:|")
        for page in figures:
            self.stdout.write(f"| {page.name} | {page.requests} | {page.failures} | {page.p50_ms:.0f} | "
                              f"{page.p95_ms:.0f} |")
        self.stdout.write(f"\nPolls during the test: {succeeded} succeeded, "
                          + ", ".join(f"{n} {status}" for status, n in other.items()))
        problems = []
        total = next((page for page in figures if page.name == AGGREGATED), None)
        if total is None or total.requests == 0:
            problems.append("locust made no request")
        elif total.failures:
            problems.append(f"{total.failures} of {total.requests} requests failed (see load_failures.csv)")
        slow = [page.name for page in figures
                if page.name not in UNTIMED and page.p95_ms > options.p95_limit_ms]
        if slow:
            problems.append(f"p95 above {options.p95_limit_ms:.0f} ms on: {', '.join(slow)}")
        if not succeeded:
            problems.append("no poll succeeded during the test")
        if differing:
            problems.append(f"rollups differ from a recomputation for {', '.join(differing)}")
        if problems:
            raise CommandError("Load test failed: " + "; ".join(problems))
        self.stdout.write(self.style.SUCCESS("Load test passed: no request failed, every page's p95 within "
                                             f"{options.p95_limit_ms:.0f} ms, rollups verified."))
