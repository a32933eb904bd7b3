"""The ledger bench: a deterministic Inventory Ledger of N lines, imported twice, end to end, timed.

End to end is what an operator's `import_ledger` does: read and parse the file, stage it with COPY, store the
new lines, detect the opportunities of the FNSKUs they touch, commit. Memory is the process's peak resident
set size (`ru_maxrss`) grown during each import; PostgreSQL's own (another process) is not counted.
"""

import datetime as dt
import os
import random
import resource
import tempfile
import time
from dataclasses import dataclass

from django.db import connection

from accounts.models import Marketplace, Region, SellerAccount, Tenant
from sync.ledger_ingest import import_ledger
from sync.ledger_writer import HEADERS
from sync.models import RunKind
from sync.report import decode_lines

TENANT_SLUG = "ledger-bench"
SELLER_ID = "A1LEDGERBENCH"
FIRST_IMPORT_RATE = 30_000
REIMPORT_RATE = 50_000
MEMORY_BUDGET_MB = 300
EVENTS = (
    ("Shipments", "", -1, 0.45), ("Receipts", "", 12, 0.20), ("CustomerReturns", "", 1, 0.10),
    ("WhseTransfers", "", -3, 0.08), ("VendorReturns", "", -1, 0.02),
    ("Adjustments", "M", -1, 0.06), ("Adjustments", "F", 1, 0.03), ("Adjustments", "E", -1, 0.02),
    ("Adjustments", "P", -1, 0.015), ("Adjustments", "Q", 1, 0.015), ("Adjustments", "D", -1, 0.005),
    ("Adjustments", "O", 1, 0.005),
)
"""Event type, reason, sign and share of the lines: shipments dominate a real ledger; about 10 % are
adjustments, a third of them losses and damages."""


def bench_database_check() -> str:
    name = connection.settings_dict["NAME"]
    if "bench" not in name:
        raise ValueError(f"Database {name!r} is not a bench database: use DATABASE_URL=postgres:///ct_ledger_bench")
    return name


def bench_account() -> SellerAccount:
    tenant, _ = Tenant.objects.get_or_create(slug=TENANT_SLUG, defaults={"name": "Ledger bench"})
    account, _ = SellerAccount.objects.get_or_create(
        marketplace=Marketplace.AMAZON, external_id=SELLER_ID,
        defaults={"tenant": tenant, "region": Region.NA, "marketplace_ids": ["ATVPDKIKX0DER"], "connected": True,
                  "service_initiated_on": dt.date(2025, 1, 1)},
    )
    return account


def ledger_file_write(path: str, *, lines: int, fnskus: int, seed: int = 11) -> None:
    """A tab-separated ledger of `lines` lines over `fnskus` products and the last 540 days, as Amazon writes it."""
    rng = random.Random(seed)
    today = dt.date.today()
    weights = [share for *_, share in EVENTS]
    with open(path, "w", encoding="utf-8") as out:
        out.write("\t".join(HEADERS) + "\n")
        for number in range(lines):
            event_type, reason, sign, _ = EVENTS[rng.choices(range(len(EVENTS)), weights=weights)[0]]
            product = rng.randrange(fnskus)
            day = today - dt.timedelta(days=rng.randrange(540))
            quantity = sign * rng.randint(1, 3)
            loss = event_type == "Adjustments" and reason in ("M", "E")
            unreconciled = str(rng.randint(0, -quantity)) if loss and number % 2 else ""
            reconciled = str(-quantity - int(unreconciled)) if unreconciled else ""
            out.write("\t".join((
                day.strftime("%m/%d/%Y"), f"X{product:09d}", f"B{product:09d}", f"SKU-{product:06d}",
                f"Bench product {product}", event_type, f"{number:011d}", str(quantity),
                ("PHX7", "ONT8", "LAS2", "MDW2")[product % 4], "SELLABLE", reason, "US", reconciled, unreconciled,
                f"{day.isoformat()}T12:00:00+00:00", "",
            )) + "\n")


@dataclass(frozen=True)
class ImportFigures:
    lines: int
    new: int
    opportunities_changed: int
    seconds: float
    rss_growth_mb: float

    @property
    def rate(self) -> float:
        return self.lines / self.seconds


def _max_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def ledger_import_timed(account: SellerAccount, path: str) -> ImportFigures:
    before = _max_rss_mb()
    started = time.perf_counter()
    with open(path, "rb") as stream:
        run = import_ledger(seller_account=account, lines=decode_lines(stream), source=os.path.basename(path),
                            kind=RunKind.FILE)
    seconds = time.perf_counter() - started
    return ImportFigures(run.rows_read, run.rows_new, run.opportunities_changed, seconds, _max_rss_mb() - before)


def bench_account_clear(account: SellerAccount) -> None:
    """Remove what an earlier bench run imported, so that the next first import is a first import."""
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM ledger_opportunity WHERE seller_account_id = %s", [account.pk])
        cursor.execute("DELETE FROM ledger_ledgerline WHERE seller_account_id = %s", [account.pk])
    # Past the tenant wall's execute wrapper, which runs each statement of a tenant scope in a transaction:
    # VACUUM refuses one, and reads no tenant's rows.
    for table in ("ledger_ledgerline", "ledger_opportunity"):
        connection.connection.execute(f"VACUUM ANALYZE {table}")


def ledger_bench_file(lines: int, fnskus: int) -> str:
    """The bench's ledger file, written once per size into the temporary directory."""
    path = os.path.join(tempfile.gettempdir(), f"ledger-bench-{lines}-{fnskus}.tsv")
    if not os.path.exists(path):
        ledger_file_write(path, lines=lines, fnskus=fnskus)
    return path


@dataclass(frozen=True)
class Floor:
    """What no design of this import can beat on this host: reading and parsing the file in Python alone,
    and PostgreSQL's COPY of the parsed lines into an unindexed temporary table alone."""

    lines: int
    parse_seconds: float
    copy_seconds: float


def ledger_floor(path: str) -> Floor:
    from django.db import transaction

    from sync.ledger_ingest import CREATE_STAGING_SQL, STAGING_TABLE
    from sync.ledger_report import STAGING_COLUMNS, read_ledger_copy

    parsed = os.path.join(tempfile.gettempdir(), "ledger-bench-parsed.copy")
    started = time.perf_counter()
    lines = 0
    with open(path, "rb") as stream, open(parsed, "w", encoding="utf-8") as out:
        for line in read_ledger_copy(decode_lines(stream), source=path):
            out.write(line)
            lines += 1
    parse_seconds = time.perf_counter() - started
    with transaction.atomic(), connection.cursor() as cursor, open(parsed, encoding="utf-8") as source:
        cursor.execute(CREATE_STAGING_SQL)
        started = time.perf_counter()
        with cursor.copy(f"COPY {STAGING_TABLE} ({', '.join(STAGING_COLUMNS)}) FROM STDIN") as copy:
            while block := source.read(1 << 20):
                copy.write(block)
        copy_seconds = time.perf_counter() - started
        transaction.set_rollback(True)
    os.remove(parsed)
    return Floor(lines, parse_seconds, copy_seconds)


PAGE_USER = "ledger-bench-seller"


def pages_timed(account: SellerAccount, *, runs: int = 10) -> list[tuple[str, float, float, float]]:
    """(page, median ms, median ms of this process's CPU, budget ms) of the Identified page (first page, a state
    filter) and the dashboard, as a member of the bench tenant with DEBUG off, in process (no network), after
    `WARMUPS` requests each. The CPU time leaves out PostgreSQL's and the wait for a core a busy host adds."""
    import statistics

    from django.contrib.auth import get_user_model
    from django.test import Client, override_settings
    from django.urls import reverse

    from accounts.models import Membership
    from devtools.measure import WARMUPS

    user, _ = get_user_model().objects.get_or_create(username=PAGE_USER)
    Membership.objects.get_or_create(user=user, tenant=account.tenant)
    client = Client(HTTP_HOST="localhost")
    client.force_login(user)
    slug = account.tenant.slug
    plan = [("Identified, first page", reverse("ledger:identified", args=[slug]), 100),
            ("Identified, ready only", reverse("ledger:identified", args=[slug]) + "?state=ready", 100),
            ("Dashboard", reverse("dashboard:index", args=[slug]), 30)]
    results = []
    with override_settings(DEBUG=False):
        for name, url, budget in plan:
            samples, cpu = [], []
            for run in range(WARMUPS + runs):
                started, cpu_started = time.perf_counter(), time.process_time()
                response = client.get(url)
                if response.status_code != 200:
                    raise ValueError(f"GET {url} answered {response.status_code}")
                if run >= WARMUPS:
                    samples.append((time.perf_counter() - started) * 1000)
                    cpu.append((time.process_time() - cpu_started) * 1000)
            results.append((name, statistics.median(samples), statistics.median(cpu), budget))
    return results
