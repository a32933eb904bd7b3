"""`manage.py bench`: load the bench data set, then time the seller pages, the CSV export and ingestion.

Server time is measured in process with Django's test client: the whole request through the
middleware, the view, the database and the template, without a network. The export and the
ingestion run in a fresh Python process each, so that their memory growth is their own.
"""

import argparse
import gc
import json
import math
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from dataclasses import dataclass
from html import unescape
from pathlib import Path
from urllib.parse import urljoin

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings
from django.urls import reverse
from django_scopes import scopes_disabled

from accounts.models import SellerAccount
from devtools.benchdata import (
    BENCH_USER, BIG_ACCOUNTS, BIG_CASES, BIG_TENANT, bench_case_id, bench_data_generate, bench_report_write,
    bench_setup,
)
from cases.models import Case, ReimbursementRecord
from cases.rollups import rollup_differences
from sync.ingest import ingest_report

WARMUPS = 3
EXPORT_BUDGET_MB = 100
INGEST_BUDGET_MB = 300
INGEST_ROWS = 100_000
INGEST_RATE = 20_000
REINGEST_RATE = 50_000
LINK = re.compile(r'<a href="([^"]*)"[^>]*>(First|Previous|Next|Last)</a>')


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
    with scopes_disabled():
        client.force_login(get_user_model().objects.get(username=BENCH_USER))
    return client


def _links(html: str, url: str) -> dict[str, str]:
    return {label: urljoin(url, unescape(href)) for href, label in LINK.findall(html)}


def _get(client: Client, url: str):
    response = client.get(url)
    if response.status_code != 200:
        raise CommandError(f"GET {url} answered {response.status_code}")
    return response


def _time(client: Client, name: str, url: str, *, runs: int, budget: float | None) -> Timing:
    for _ in range(WARMUPS):
        _get(client, url)
    samples, cpu = [], []
    for _ in range(runs):
        started, cpu_started = time.perf_counter(), time.process_time()
        _get(client, url)
        samples.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - cpu_started) * 1000)
    with CaptureQueriesContext(connection) as queries:
        _get(client, url)
    slowest = max(queries.captured_queries, key=lambda q: float(q["time"]), default={"sql": ""})
    samples.sort()
    db_ms = sum(float(q["time"]) for q in queries.captured_queries) * 1000
    return Timing(name, url, statistics.median(samples), samples[math.ceil(0.95 * len(samples)) - 1],
                  budget, statistics.median(cpu), len(queries.captured_queries), db_ms, slowest["sql"])


def _sample_case_ids(tenant) -> tuple[int, str, str]:
    """A case with a reversal (two records and a timeline), and a case ID and a SKU to search for."""
    with scopes_disabled():
        record = (ReimbursementRecord.objects.filter(tenant=tenant, reason="Reimbursement_Reversal")
                  .order_by("id").first())
        case = Case.objects.get(tenant=tenant, marketplace_case_id=bench_case_id(slot=0, n=BIG_CASES // 2))
    return record.case_id, case.marketplace_case_id, case.sku


def _pages(client: Client, slot, *, runs: int) -> list[Timing]:
    tenant, slug = slot.tenant, slot.tenant.slug
    walmart = slot.accounts[-1][0].pk
    overall = reverse("cases:overall", args=[slug])
    first = _get(client, overall).content.decode()
    links = _links(first, overall)
    case_pk, case_id, sku = _sample_case_ids(tenant)
    plan = [
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
        ("Case page", reverse("cases:detail", args=[slug, case_pk]), None),
        ("Dashboard", reverse("dashboard:index", args=[slug]), 30),
    ]
    return [_time(client, name, url, runs=runs, budget=budget) for name, url, budget in plan]


def _explain(sql: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}")
        return "\n".join(row[0] for row in cursor.fetchall())


def _measure_export(tenant, *, traced: bool) -> dict:
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


def _phases(queries: list[dict], seconds: float) -> tuple[dict[str, float], str]:
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


def _measure_ingest(tenant, report: str, *, explain: bool) -> dict:
    """Ingest the report twice in one transaction, rolled back at the end so the data stays as loaded.

    A rollback skips what COMMIT would do: Django's foreign keys are DEFERRABLE INITIALLY DEFERRED,
    so their per-row checks wait for the commit. `SET CONSTRAINTS ALL IMMEDIATE` runs them inside
    the timed ingestion, as a commit would.
    """
    with scopes_disabled():
        account = SellerAccount.objects.get(tenant=tenant, external_id=BIG_ACCOUNTS[0].external_id)
    plans: list[str] = []
    gc.collect()
    reset = _reset_peak()
    before = _memory()
    timings, results, phases, wal = [], [], [], []
    with transaction.atomic(), connection.cursor() as cursor:
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
            phases.append(_phases(queries.captured_queries, timings[-1]))
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


def _vacuum() -> float:
    """VACUUM (ANALYZE) the tables an ingestion writes: a rolled-back run leaves its rows behind as
    dead tuples, and with autovacuum off (as on the bench host) each run would start on a
    larger table than the one before."""
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE) cases_case, cases_reimbursementrecord, cases_caseevent")
    return time.perf_counter() - started


def _child(part: str, *extra: str) -> dict:
    """Run one measurement in a fresh interpreter and read back the JSON it prints last."""
    done = subprocess.run(
        [sys.executable, "-m", "django", "bench", "--no-generate", "--measure", part, *extra],
        cwd=settings.BASE_DIR, capture_output=True, text=True, check=False,
    )
    if done.returncode != 0:
        raise CommandError(f"bench --measure {part} failed:\n{done.stderr[-4000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


class Command(BaseCommand):
    help = "Load the bench data set (once) and measure seller pages, CSV export and (with --ingest) ingestion."

    def add_arguments(self, parser):
        parser.add_argument("--no-generate", action="store_true", help="Use the data already loaded.")
        parser.add_argument("--runs", type=int, default=30, help="Timed requests per page (after 3 warm-ups).")
        parser.add_argument("--skip-export", action="store_true", help="Do not time the CSV export.")
        parser.add_argument("--ingest", action="store_true", help="Also time ingesting a 100,000-row report.")
        parser.add_argument("--ingest-only", action="store_true", help="Time the ingestion only (no pages).")
        parser.add_argument("--ingest-spread", choices=["recent", "random", "both"], default="both",
                            help="Which cases the report pays: the most recently filed (realistic), random "
                                 "ones over the three years, or both reports one after the other.")
        parser.add_argument("--tracemalloc", action="store_true",
                            help="Export a second time under tracemalloc for Python's peak (about 28x slower).")
        parser.add_argument("--explain", action="store_true",
                            help="Print EXPLAIN (ANALYZE, BUFFERS) of each page's slowest query.")
        parser.add_argument("--measure", choices=["export", "export-traced", "ingest"], help=argparse.SUPPRESS)
        parser.add_argument("--report", help=argparse.SUPPRESS)

    def handle(self, *args, **options):
        if options["runs"] < 1:
            raise CommandError("--runs must be at least 1")
        slots = bench_setup() if options["no_generate"] else bench_data_generate(log=self.stdout.write)
        tenant = slots[0].tenant
        if options["measure"]:
            self.stdout.write(json.dumps(self._measure(options, tenant)))
            return
        if options["ingest_only"]:
            self._ingest(slots, spreads=self._spreads(options), explain=options["explain"])
            return
        with override_settings(DEBUG=False):
            timings = _pages(_client(), slots[0], runs=options["runs"])
        self._report_pages(timings, runs=options["runs"], explain=options["explain"])
        if not options["skip_export"]:
            self._report_export(_child("export"), _child("export-traced") if options["tracemalloc"] else None)
        if options["ingest"]:
            self._ingest(slots, spreads=self._spreads(options), explain=options["explain"])

    @staticmethod
    def _spreads(options) -> list[str]:
        return ["recent", "random"] if options["ingest_spread"] == "both" else [options["ingest_spread"]]

    def _measure(self, options, tenant) -> dict:
        if options["measure"] == "ingest":
            return _measure_ingest(tenant, options["report"], explain=options["explain"])
        return _measure_export(tenant, traced=options["measure"] == "export-traced")

    def _report_pages(self, timings: list[Timing], *, runs: int, explain: bool) -> None:
        self.stdout.write(f"\nServer time per request, {BIG_TENANT}, {runs} runs after {WARMUPS} warm-ups (ms; "
                          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs)")
        self.stdout.write(f"| {'page':<48} | median | p95    | budget | Python CPU | queries | in SQL |")
        self.stdout.write(f"|{'-' * 50}|--------|--------|--------|------------|---------|--------|")
        for t in timings:
            budget = f"{t.budget:.0f}" if t.budget else "—"
            self.stdout.write(f"| {t.name:<48} | {t.median:6.1f} | {t.p95:6.1f} | {budget:>6} | "
                              f"{t.cpu:10.1f} | {t.queries:7d} | {t.db_ms:6.1f} | {t.verdict}")
        for t in timings:
            self.stdout.write(f"  {t.name}: {t.url}")
        if explain:
            for t in timings:
                self.stdout.write(f"\n== {t.name}: slowest query\n{t.slowest_sql}\n{_explain(t.slowest_sql)}")

    def _report_export(self, plain: dict, traced: dict | None) -> None:
        verdict = "ok" if plain["growth"] < EXPORT_BUDGET_MB else "OVER"
        self.stdout.write(
            f"\nCSV export of all cases: {plain['rows']:,} rows in {plain['seconds']:.1f} s "
            f"({plain['rows'] / plain['seconds']:,.0f} rows/s)\n"
            f"  peak RSS growth {plain['growth']:.1f} MB (budget {EXPORT_BUDGET_MB} MB, {verdict}; "
            f"RSS {plain['rss_before']:.0f} MB before, peak {plain['hwm_after']:.0f} MB"
            f"{'' if plain['peak_reset'] else ', peak not reset: an upper bound'})"
        )
        if traced:
            self.stdout.write(f"  tracemalloc peak {traced['tracemalloc_peak']:.1f} MB "
                              f"(second export, {traced['seconds']:.1f} s under tracemalloc)")

    def _ingest(self, slots, *, spreads: list[str], explain: bool) -> None:
        for spread in spreads:
            with tempfile.TemporaryDirectory() as folder:
                path = Path(folder) / "bench-reimbursements.tsv"
                mix = bench_report_write(path=path, slot=slots[0], rows=INGEST_ROWS, spread=spread)
                self.stdout.write(f"\nIngestion of a {INGEST_ROWS:,}-row report ({mix}), rolled back afterwards "
                                  f"(load average {os.getloadavg()[0]:.1f})")
                self.stdout.write(f"  VACUUM of the ingestion's tables before it: {_vacuum():.0f} s")
                outcome = _child("ingest", "--report", str(path), *(["--explain"] if explain else []))
            self._report_ingest(outcome)

    def _report_ingest(self, outcome: dict) -> None:
        first, again = outcome["seconds"]
        for index, (label, seconds, target) in enumerate((
            ("first ingest", first, INGEST_RATE), ("same report again", again, REINGEST_RATE),
        )):
            rate = INGEST_ROWS / seconds
            seconds_by_phase, slowest_other = outcome["phases"][index]
            phases = ", ".join(f"{name} {value:.2f}" for name, value in seconds_by_phase.items())
            wal = outcome["wal"][index]
            self.stdout.write(
                f"  {label}: {seconds:.2f} s, {rate:,.0f} rows/s (target >= {target:,}, "
                f"{'ok' if rate >= target else 'UNDER'}) {outcome['results'][index]}\n"
                f"    phases (s): {phases} (slowest other: {slowest_other})\n"
                f"    WAL {wal['written'] / 2**20:.1f} MB, not yet flushed at the end (what a commit waits "
                f"for) {wal['unflushed'] / 2**20:.1f} MB"
            )
        self.stdout.write(
            f"  peak RSS growth {outcome['growth']:.1f} MB (budget {INGEST_BUDGET_MB} MB, "
            f"{'ok' if outcome['growth'] < INGEST_BUDGET_MB else 'OVER'}); "
            f"rollup buckets differing from a recomputation: {outcome['rollup_differences']}"
        )
        for plan in outcome["plans"]:
            self.stdout.write(plan)
