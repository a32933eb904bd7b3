"""`manage.py bench`: load the bench data set, then time the seller pages, the CSV export and ingestion.

The measuring is in `devtools.measure`; this command parses the options and prints the figures.
"""

import argparse
import json
import os

from django.core.management.base import BaseCommand, CommandError

from devtools.benchdata import BIG_CASES, BIG_TENANT, bench_data_generate, bench_setup
from devtools.measure import (
    BARE_PAGE, BARE_RATIO_BUDGET, EXPORT_BUDGET_MB, INGEST_BUDGET_MB, INGEST_RATE, INGEST_ROWS, REINGEST_RATE, WARMUPS, MeasurementError, Timing,
    bench_report_file, ingest_tables_vacuum, measurement_in_child, measurement_run, pages_measure, query_explain,
    rls_cost_measure,
)


class Command(BaseCommand):
    help = "Load the bench data set (once) and measure seller pages, CSV export and (with --ingest) ingestion."

    def add_arguments(self, parser):
        parser.add_argument("--no-generate", action="store_true", help="Use the data already loaded.")
        parser.add_argument("--big-cases", type=int, default=BIG_CASES,
                            help=f"Cases of the big tenant (default {BIG_CASES:,}); the 20 others hold as many "
                                 "together. A smaller data set for a quick comparison, in a database of its own.")
        parser.add_argument("--rls-cost", metavar="SUPERUSER_URL",
                            help="Time each page's queries as the application (row-level security on) and as "
                                 "this superuser (it bypasses it), interleaved; then stop.")
        parser.add_argument("--generate-only", action="store_true",
                            help="Load the data and stop: run it as the tables' owner (it drops and rebuilds "
                                 "indexes), then measure as the application with --no-generate.")
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
        try:
            self._bench(options)
        except MeasurementError as error:
            raise CommandError(str(error)) from error

    def _bench(self, options) -> None:
        big_cases = options["big_cases"]
        slots = (bench_setup(big_cases=big_cases) if options["no_generate"]
                 else bench_data_generate(log=self.stdout.write, big_cases=big_cases))
        if options["generate_only"]:
            return
        if options["rls_cost"]:
            self._report_rls_cost(rls_cost_measure(slot=slots[0], rounds=options["runs"], bypass_dsn=options["rls_cost"]),
                                  runs=options["runs"])
            return
        if options["measure"]:
            self.stdout.write(json.dumps(measurement_run(
                part=options["measure"], tenant=slots[0].tenant, report=options["report"],
                explain=options["explain"],
            )))
            return
        if options["ingest_only"]:
            self._ingest(slots, spreads=self._spreads(options), explain=options["explain"])
            return
        timings = pages_measure(slot=slots[0], runs=options["runs"])
        self._report_pages(timings, runs=options["runs"], explain=options["explain"])
        if not options["skip_export"]:
            self._report_export(
                measurement_in_child(part="export"),
                measurement_in_child(part="export-traced") if options["tracemalloc"] else None,
            )
        if options["ingest"]:
            self._ingest(slots, spreads=self._spreads(options), explain=options["explain"])

    @staticmethod
    def _spreads(options) -> list[str]:
        return ["recent", "random"] if options["ingest_spread"] == "both" else [options["ingest_spread"]]

    def _report_rls_cost(self, rows, *, runs: int) -> None:
        self.stdout.write(f"\nDatabase time per page, {BIG_TENANT}: its queries replayed {runs} times in one transaction, "
                          f"interleaved (ms, median; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs)")
        self.stdout.write(f"| {'page':<48} | queries | row-level security | bypassed | cost |")
        self.stdout.write(f"|{'-' * 50}|---------|--------------------|----------|------|")
        for name, app, bypass, queries in rows:
            self.stdout.write(f"| {name:<48} | {queries:7} | {app:18.1f} | {bypass:8.1f} | {app - bypass:+4.1f} |")

    def _report_pages(self, timings: list[Timing], *, runs: int, explain: bool) -> None:
        self.stdout.write(f"\nServer time per request, {BIG_TENANT}, {runs} runs after {WARMUPS} warm-ups (ms; "
                          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs)")
        bare = next(t for t in timings if t.name == BARE_PAGE)
        self.stdout.write(f"| {'page':<48} | median | p95    | budget | Python CPU | queries | in SQL | × bare | "
                          "× bare CPU |")
        self.stdout.write(f"|{'-' * 50}|--------|--------|--------|------------|---------|--------|--------|------------|")
        for t in timings:
            budget = f"{t.budget:.0f}" if t.budget else "—"
            ratio, cpu_ratio = t.median / bare.median, t.cpu / bare.cpu
            verdict = t.verdict
            if t.budget and max(ratio, cpu_ratio) > BARE_RATIO_BUDGET:
                verdict += f" (over {BARE_RATIO_BUDGET:.0f}× bare)"
            self.stdout.write(f"| {t.name:<48} | {t.median:6.1f} | {t.p95:6.1f} | {budget:>6} | "
                              f"{t.cpu:10.1f} | {t.queries:7d} | {t.db_ms:6.1f} | {ratio:6.2f} | {cpu_ratio:10.2f} | "
                              f"{verdict}")
        for t in timings:
            self.stdout.write(f"  {t.name}: {t.url}")
        if explain:
            for t in timings:
                self.stdout.write(f"\n== {t.name}: slowest query\n{t.slowest_sql}\n{query_explain(sql=t.slowest_sql)}")

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
            with bench_report_file(slot=slots[0], spread=spread) as (path, mix):
                self.stdout.write(f"\nIngestion of a {INGEST_ROWS:,}-row report ({mix}), rolled back afterwards "
                                  f"(load average {os.getloadavg()[0]:.1f})")
                self.stdout.write(f"  VACUUM of the ingestion's tables before it: {ingest_tables_vacuum():.0f} s")
                outcome = measurement_in_child(
                    part="ingest", extra=("--report", str(path), *(["--explain"] if explain else [])))
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
