"""What `manage.py bench` measures: the seller pages, the CSV export and ingestion, on the bench data.

Server time is measured in process with Django's test client: the whole request through the
middleware, the view, the database and the template, without a network. The export and the
ingestion run in a fresh Python process each (`bench --measure`, see `measurement_in_child`), so
that their memory growth is their own.
"""

import gc
import json
import math
import re
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from html import unescape
from pathlib import Path
from urllib.parse import urljoin

import psycopg
from psycopg.conninfo import make_conninfo
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings
from django.urls import reverse
from django_scopes import scope

from accounts.models import SellerAccount
from accounts.rls import across_tenants
from cases.models import Case, ReimbursementRecord
from cases.rollups import rollup_differences
from devtools.benchdata import BENCH_USER, BIG_ACCOUNTS, SCALE, bench_case_id, bench_report_write
from sync.ingest import ingest_report

WARMUPS = 3
BARE_PAGE = "Bare page: the same 50 rows, one indexed query"
BARE_RATIO_BUDGET = 2.0
"""Every budgeted seller page at most this many times the bare page's median, in the same run."""
BENCH_URLCONF = "devtools.bench_urls"
EXPORT_BUDGET_MB = 100
INGEST_BUDGET_MB = 300
INGEST_ROWS = 100_000 // SCALE
INGEST_RATE = 20_000
REINGEST_RATE = 50_000
LINK = re.compile(r'<a href="([^"]*)"[^>]*>(First|Previous|Next|Last)</a>')


class MeasurementError(Exception):
    """A measurement could not be taken: a page did not answer 200, or a child process failed."""


@dataclass(frozen=True)
class Timing:
    name: str
    url: str
    median: float
    p95: float
    budget: float | None
    cpu: float
    queries: int
    db_ms: float
    slowest_sql: str

    @property
    def verdict(self) -> str:
        if self.budget is None:
            return ""
        return "ok" if self.median <= self.budget else "OVER"


def _memory() -> dict[str, float]:
    """VmRSS and VmHWM of this process, in MB."""
    status = Path("/proc/self/status").read_text()
    return {key: int(re.search(rf"^{key}:\s+(\d+) kB", status, re.M).group(1)) / 1024 for key in ("VmRSS", "VmHWM")}


def _reset_peak() -> bool:
    """Make VmHWM start again from the current RSS (Linux: `5` into clear_refs)."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def _client() -> Client:
    client = Client(HTTP_HOST="localhost")
    with across_tenants(reason="measure: development data"):
        client.force_login(get_user_model().objects.get(username=BENCH_USER))
    return client


def _links(html: str, url: str) -> dict[str, str]:
    return {label: urljoin(url, unescape(href)) for href, label in LINK.findall(html)}


def _get(client: Client, url: str):
    response = client.get(url)
    if response.status_code != 200:
        raise MeasurementError(f"GET {url} answered {response.status_code}")
    return response


def _timing(client: Client, name: str, url: str, *, budget: float | None, samples: list[float],
            cpu: list[float]) -> Timing:
    with CaptureQueriesContext(connection) as queries:
        _get(client, url)
    slowest = max(queries.captured_queries, key=lambda q: float(q["time"]), default={"sql": ""})
    samples = sorted(samples)
    db_ms = sum(float(q["time"]) for q in queries.captured_queries) * 1000
    return Timing(name, url, statistics.median(samples), samples[math.ceil(0.95 * len(samples)) - 1],
                  budget, statistics.median(cpu), len(queries.captured_queries), db_ms, slowest["sql"])


def _sample_case_ids(tenant, *, cases: int) -> tuple[int, str, str]:
    """A case with a reversal (two records and a timeline), and a case ID and a SKU to search for."""
    with across_tenants(reason="measure: development data"):
        record = (ReimbursementRecord.objects.filter(tenant=tenant, reason="Reimbursement_Reversal")
                  .order_by("id").first())
        case = Case.objects.get(tenant=tenant, marketplace_case_id=bench_case_id(slot=0, n=cases // 2))
    return record.case_id, case.marketplace_case_id, case.sku


def pages_measure(*, slot, runs: int) -> list[Timing]:
    """Time each seller page of the slot's tenant, as the bench user, with DEBUG off; and the bare page
    first, in the same run (the bench's URLconf adds it to the product's)."""
    with override_settings(DEBUG=False, ROOT_URLCONF=BENCH_URLCONF):
        return _pages(_client(), slot, runs=runs)


def _pages(client: Client, slot, *, runs: int) -> list[Timing]:
    """Each round requests every page once, the bare page first: on a shared host the load moves between
    rounds, and it then moves every page's figures alike, so their ratios to the bare page hold."""
    plan = _plan(client, slot)
    for _name, url, _budget in plan:
        for _ in range(WARMUPS):
            _get(client, url)
    wall = {url: [] for _name, url, _budget in plan}
    cpu = {url: [] for _name, url, _budget in plan}
    for _ in range(runs):
        for _name, url, _budget in plan:
            started, cpu_started = time.perf_counter(), time.process_time()
            _get(client, url)
            wall[url].append((time.perf_counter() - started) * 1000)
            cpu[url].append((time.process_time() - cpu_started) * 1000)
    return [_timing(client, name, url, budget=budget, samples=wall[url], cpu=cpu[url]) for name, url, budget in plan]


def _plan(client: Client, slot) -> list[tuple[str, str, float | None]]:
    tenant, slug = slot.tenant, slot.tenant.slug
    walmart = slot.accounts[-1][0].pk
    overall = reverse("cases:overall", args=[slug])
    first = _get(client, overall).content.decode()
    links = _links(first, overall)
    case_pk, case_id, sku = _sample_case_ids(tenant, cases=slot.cases)
    plan = [
        (BARE_PAGE, reverse("bench_bare", args=[slug]), None),
        ("Overall Cases, first page", overall, 100),
        ("Filtered: status Open + type Lost in warehouse", f"{overall}?status=open&type=lost_warehouse", 100),
        ("Sorted by claimed amount, largest first", f"{overall}?sort=-claimed", 100),
        ("Rare filter: Not Eligible + Other", f"{overall}?status=not_eligible&type=other", 100),
        ("Rare filter: Walmart + Closed + Fee, by claimed",
         f"{overall}?seller_account={walmart}&status=closed&type=fee_overcharge&sort=-claimed", 100),
        ("Last page (the page's Last link)", links["Last"], 100),
        ("Next page (the page's Next link)", links["Next"], None),
        ("Filed in a date range (counted up to the cap)",
         f"{overall}?filed_from=2025-01-01&filed_to=2025-03-31", None),
        ("Search by SKU", f"{overall}?q={sku}", None),
        ("Search by case ID", f"{overall}?q={case_id}", None),
        ("Reimbursed Cases", reverse("cases:reimbursed", args=[slug]), None),
        ("Reimbursed Cases by claimed", reverse("cases:reimbursed", args=[slug]) + "?sort=-claimed", None),
        ("Dashboard with a period", reverse("dashboard:index", args=[slug])
         + "?recovered_from=2025-01-01&recovered_to=2025-06-30", None),
        ("Case page", reverse("cases:detail", args=[slug, case_pk]), None),
        ("Dashboard", reverse("dashboard:index", args=[slug]), 30),
    ]
    return plan


TRANSACTION_CONTROL = {"BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE"}


def rls_cost_measure(*, slot, rounds: int, bypass_dsn: str) -> list[tuple[str, float, float, int]]:
    """(page, median ms as the application, median ms bypassing row-level security, queries).

    Each page's queries, as its request made them, are replayed on two connections: the
    application's role in a transaction that sets the tenant as `accounts.rls` does (the policies
    apply), and `bypass_dsn`, a superuser's (they do not). The two alternate query set by query
    set, round after round, so that both see the same load on a shared machine.
    """
    client = _client()
    with override_settings(DEBUG=False):
        pages = []
        for name, url, _ in _plan(client, slot):
            with CaptureQueriesContext(connection) as captured:
                _get(client, url)
            pages.append((name, [query["sql"] for query in captured.captured_queries
                                 if query["sql"].split(None, 1)[0].upper() not in TRANSACTION_CONTROL]))
    db = connection.settings_dict
    app_dsn = make_conninfo(
        dbname=db["NAME"], user=db["USER"], host=db["HOST"] or None, port=db["PORT"] or None,
        password=db["PASSWORD"] or None)
    tenant_ids = str(slot.tenant.pk)
    with psycopg.connect(app_dsn) as app, psycopg.connect(bypass_dsn) as bypass:
        samples: dict[str, tuple[list[float], list[float]]] = {name: ([], []) for name, _ in pages}
        for round_ in range(rounds + WARMUPS):
            for name, queries in pages:
                for which in ((0, 1) if round_ % 2 else (1, 0)):
                    conn = (app, bypass)[which]
                    started = time.perf_counter()
                    with conn.transaction(force_rollback=True):  # the session's writes are undone
                        if which == 0:
                            conn.execute("SELECT set_config('app.tenant_ids', %s, true)", [tenant_ids])
                        for sql in queries:
                            cursor = conn.execute(sql.replace("%", "%%"))
                            if cursor.description:
                                cursor.fetchall()
                    if round_ >= WARMUPS:
                        samples[name][which].append((time.perf_counter() - started) * 1000)
    return [(name, statistics.median(samples[name][0]), statistics.median(samples[name][1]), len(queries))
            for name, queries in pages]


def query_explain(*, sql: str) -> str:
    """The plan, timings and buffers of one run of the query, to see where a slow page spends its time."""
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}")
        return "\n".join(row[0] for row in cursor.fetchall())


def export_measure(*, tenant, traced: bool) -> dict:
    """Stream the tenant's whole CSV export; its time and the process's peak memory growth."""
    client = _client()
    url = reverse("cases:export", args=[tenant.slug])
    with override_settings(DEBUG=False):
        b"".join(_get(client, f"{url}?q=NO-SUCH-CASE").streaming_content)
        gc.collect()
        if traced:
            tracemalloc.start()
        reset = _reset_peak()
        before = _memory()
        started = time.perf_counter()
        lines = sum(chunk.count(b"\n") for chunk in _get(client, url).streaming_content)
        seconds = time.perf_counter() - started
        after = _memory()
        peak = tracemalloc.get_traced_memory()[1] / 2**20 if traced else None
    return {
        "rows": lines - 1, "seconds": seconds, "rss_before": before["VmRSS"], "hwm_after": after["VmHWM"],
        "peak_reset": reset, "growth": after["VmHWM"] - before["VmRSS"], "tracemalloc_peak": peak,
    }


INGEST_PHASES = (
    ("new rows", "CREATE TEMP TABLE sync_new_rows"),
    ("insert + match", "WITH inserted AS"),
    ("recompute", "WITH target AS"),
    ("chunk ids", "WITH chunk AS"),
    ("deferred checks (commit)", "SET CONSTRAINTS ALL IMMEDIATE"),
)
"""Phases of `sync.ingest.ingest_report`, told apart by the start of their SQL; the time outside
these statements (and the few small ones: lock, staging tables) is parsing and COPY."""

AUTO_EXPLAIN_SQL = """
LOAD 'auto_explain';
SET auto_explain.log_min_duration = 300; SET auto_explain.log_analyze = on; SET auto_explain.log_buffers = on;
SET auto_explain.log_wal = on; SET auto_explain.log_triggers = on; SET auto_explain.log_nested_statements = on; SET auto_explain.log_timing = on;
SET client_min_messages = log
"""


def _wal_lsn(cursor) -> tuple[str, str]:
    cursor.execute("SELECT pg_current_wal_insert_lsn()::text, pg_current_wal_flush_lsn()::text")
    return cursor.fetchone()


def _wal_bytes(cursor, start: str, end: str) -> int:
    cursor.execute("SELECT pg_wal_lsn_diff(%s::pg_lsn, %s::pg_lsn)::bigint", [end, start])
    return cursor.fetchone()[0]


def ingest_phases(*, queries: list[dict], seconds: float) -> tuple[dict[str, float], str]:
    """Seconds per phase, and the slowest of the other statements."""
    phases = {name: 0.0 for name, _ in INGEST_PHASES} | {"other SQL": 0.0}
    slowest_other = (0.0, "")
    for query in queries:
        sql = query["sql"].lstrip()
        name = next((name for name, start in INGEST_PHASES if sql.startswith(start)), "other SQL")
        phases[name] += float(query["time"])
        if name == "other SQL":
            slowest_other = max(slowest_other, (float(query["time"]), " ".join(sql.split())[:60]))
    return {"parse + COPY": seconds - sum(phases.values()), **phases}, f"{slowest_other[1]} {slowest_other[0]:.2f} s"


def ingest_measure(*, tenant, report: str, explain: bool) -> dict:
    """Ingest the report twice in one transaction, rolled back at the end so the data stays as loaded.

    A rollback skips what COMMIT would do: Django's foreign keys are DEFERRABLE INITIALLY DEFERRED,
    so their per-row checks wait for the commit. `SET CONSTRAINTS ALL IMMEDIATE` runs them inside
    the timed ingestion, as a commit would.
    """
    with across_tenants(reason="measure: development data"):
        account = SellerAccount.objects.get(tenant=tenant, external_id=BIG_ACCOUNTS[0].external_id)
    plans: list[str] = []
    gc.collect()
    reset = _reset_peak()
    before = _memory()
    timings, results, phases, wal = [], [], [], []
    with transaction.atomic(), scope(tenant=tenant), connection.cursor() as cursor:
        if explain:
            connection.connection.add_notice_handler(lambda notice: plans.append(notice.message_primary))
            cursor.execute(AUTO_EXPLAIN_SQL)
        for attempt in ("first", "again"):
            wal_start, _ = _wal_lsn(cursor)
            with CaptureQueriesContext(connection) as queries, open(report, encoding="utf-8") as lines:
                started = time.perf_counter()
                result = ingest_report(seller_account=account, lines=lines, source=f"bench-{attempt}.tsv")
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                timings.append(time.perf_counter() - started)
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
            results.append(result.__dict__)
            phases.append(ingest_phases(queries=queries.captured_queries, seconds=timings[-1]))
            wal_end, flushed = _wal_lsn(cursor)
            wal.append({"written": _wal_bytes(cursor, wal_start, wal_end),
                        "unflushed": _wal_bytes(cursor, flushed, wal_end)})
        differences = len(rollup_differences(tenant_id=tenant.pk))
        transaction.set_rollback(True)
    after = _memory()
    return {
        "seconds": timings, "results": results, "phases": phases, "wal": wal, "plans": plans,
        "rollup_differences": differences, "peak_reset": reset,
        "rss_before": before["VmRSS"], "growth": after["VmHWM"] - before["VmRSS"],
    }


def ingest_tables_vacuum() -> float:
    """VACUUM (ANALYZE) the tables an ingestion writes: a rolled-back run leaves its rows behind as
    dead tuples, and with autovacuum off (as on the bench host) each run would start on a
    larger table than the one before."""
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE) cases_case, cases_reimbursementrecord, cases_caseevent")
    return time.perf_counter() - started


def measurement_in_child(*, part: str, extra: tuple[str, ...] = ()) -> dict:
    """Run one measurement in a fresh interpreter and read back the JSON it prints last."""
    done = subprocess.run(
        [sys.executable, "-m", "django", "bench", "--no-generate", "--measure", part, *extra],
        cwd=settings.BASE_DIR, capture_output=True, text=True, check=False,
    )
    if done.returncode != 0:
        raise MeasurementError(f"bench --measure {part} failed:\n{done.stderr[-4000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def measurement_run(*, part: str, tenant, report: str | None, explain: bool) -> dict:
    """What a child process started by `measurement_in_child` measures and prints as JSON."""
    if part == "ingest":
        return ingest_measure(tenant=tenant, report=report, explain=explain)
    return export_measure(tenant=tenant, traced=part == "export-traced")


@contextmanager
def bench_report_file(*, slot, spread: str) -> Iterator[tuple[Path, str]]:
    """A bench report of INGEST_ROWS lines in a temporary folder, and its mix of lines."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bench-reimbursements.tsv"
        yield path, bench_report_write(path=path, slot=slot, rows=INGEST_ROWS, spread=spread)
