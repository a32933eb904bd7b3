"""Mutation testing of what mutmut does not mutate: the SQL of `cases.sql` and the staff transition table.

mutmut leaves string literals' contents and module constants alone, so a comparison flipped inside a
statement, a condition dropped from a WHERE or a status swapped in a CASE is never tried. Here each
mutant of `MUTANTS` is one textual change of one module, applied alone to a copy of the project
(`.mutation/sql/`); the tests that state the module's behaviour then run against it. A change to the
trigger functions is installed into the test database first (the migrations install a frozen copy),
and the original triggers are put back afterwards.

    .venv/bin/python -m devtools.sql_mutation                      # every mutant
    .venv/bin/python -m devtools.sql_mutation cases/sql/voids.py   # the mutants of one module

Uses `TEST_DATABASE_NAME` (default `test_casetracker_mutation`), created if missing.
"""

import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / ".mutation" / "sql"
LINKED = ["accounts", "casetracker", "dashboard", "devtools", "jobs", "ledger", "monitoring", "sync", "templates", "static",
          "manage.py", "pytest.ini"]
COPIED = ["cases", "tests"]
"""Copied when the run starts, so that editing the project meanwhile does not change the run."""
PYTEST = ["-x", "-q", "-p", "no:cacheprovider", "--reuse-db", "-m", "not browser and not worker"]
TIMEOUT_SECONDS = 600

STATUS_TESTS = ["tests/cases/test_transitions.py", "tests/cases/test_validation.py", "tests/cases/test_records.py",
                "tests/cases/test_voids.py"]
RECORD_TESTS = ["tests/cases/test_records.py", "tests/sync/test_ingest.py", "tests/cases/test_voids.py",
                "tests/cases/test_transitions.py"]
VOID_TESTS = ["tests/cases/test_voids.py", "tests/cases/test_admin.py"]
ROLLUP_TESTS = ["tests/cases/test_rollups.py", "tests/cases/test_transitions.py", "tests/cases/test_voids.py",
                "tests/cases/test_records.py"]
TRANSITION_TESTS = ["tests/cases/test_transitions.py", "tests/cases/test_validation.py"]

INSTALL_TRIGGERS = """
import os, django
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "casetracker.settings")
django.setup()
from django.db import connection
from casetracker.ensure_database import owner_connect
from cases.sql.rollups import INSTALL, UNINSTALL
s = connection.settings_dict
with owner_connect(os.environ["TEST_DATABASE_NAME"], host=s.get("HOST"), port=s.get("PORT")) as db:
    db.execute(UNINSTALL)
    db.execute(INSTALL)
"""
"""Put the rollup triggers of `cases/sql/rollups.py` (as the scratch copy has them) into the test database, as
the tables' owner: the tests connect as the application's role, which may not."""


@dataclass(frozen=True)
class Mutant:
    module: str
    old: str
    new: str
    tests: list[str]
    what: str
    triggers: bool = False

    @property
    def name(self) -> str:
        return f"{self.module}: {self.what}"


def _swap(module, old, new, tests, what, **extra) -> Mutant:
    return Mutant(module, old, new, tests, what, **extra)


RECOMPUTE = "cases/sql/recompute.py"
RECORDS = "cases/sql/records.py"
VOIDS = "cases/sql/voids.py"
ROLLUPS = "cases/sql/rollups.py"
MUTANTS: list[Mutant] = [
    _swap(RECOMPUTE, "a.cash_units + a.inventory_units >= a.units_claimed",
          "a.cash_units + a.inventory_units > a.units_claimed", STATUS_TESTS, "full only past the units claimed"),
    _swap(RECOMPUTE, "a.cash_units + a.inventory_units >= a.units_claimed", "a.cash_units >= a.units_claimed",
          STATUS_TESTS, "units returned to inventory do not count towards full"),
    _swap(RECOMPUTE, "a.recovered >= a.claimed_amount", "a.recovered > a.claimed_amount", STATUS_TESTS,
          "an amount-only claim is full only past its amount"),
    _swap(RECOMPUTE, "WHEN a.recovered > 0 OR a.cash_units + a.inventory_units > 0",
          "WHEN a.recovered > 0 OR a.cash_units > 0", STATUS_TESTS,
          "a case with only inventory units returned stays Open"),
    _swap(RECOMPUTE, "WHEN a.recovered > 0 OR a.cash_units", "WHEN a.recovered > 0 AND a.cash_units",
          STATUS_TESTS, "partial needs both money and units (OR -> AND)"),
    _swap(RECOMPUTE, "WHEN a.old_status IN ({', '.join(literal(s) for s in LOST_STATUSES)}) THEN a.old_status",
          "WHEN false THEN a.old_status", STATUS_TESTS, "a record reopens a Closed or Not Eligible case"),
    _swap(RECOMPUTE, "THEN {literal(S.FULLY_REIMBURSED)}\n            WHEN a.units_claimed IS NULL",
          "THEN {literal(S.PARTIALLY_REIMBURSED)}\n            WHEN a.units_claimed IS NULL", STATUS_TESTS,
          "status literal: units covered gives Partially"),
    _swap(RECOMPUTE, "ELSE {literal(S.OPEN)}", "ELSE {literal(S.NOT_ELIGIBLE)}", STATUS_TESTS,
          "status literal: no reimbursement gives Not Eligible"),
    _swap(RECOMPUTE, "coalesce(sum(r.amount_total) FILTER (WHERE r.currency = t.currency), 0)",
          "coalesce(sum(r.amount_total), 0)", STATUS_TESTS, "money in another currency counts"),
    _swap(RECOMPUTE, "coalesce(sum(r.quantity_inventory) FILTER (WHERE r.currency = t.currency), 0)",
          "coalesce(sum(r.quantity_inventory), 0)", STATUS_TESTS, "inventory units in another currency count"),
    _swap(RECOMPUTE, "AND r.voided_at IS NULL AND r.voids_id IS NULL)", ")", STATUS_TESTS,
          "last reimbursed on counts voided records and voids"),
    _swap(RECOMPUTE, "FILTER (WHERE r.id >= %(first_new_record)s)", "FILTER (WHERE r.id > %(first_new_record)s)",
          STATUS_TESTS, "the history line names a later record, or none"),
    _swap(RECOMPUTE, "\n       OR units_reimbursed_cash::bigint + units_reimbursed_inventory <> old_units", "",
          STATUS_TESTS, "a change of units alone writes no history"),
    _swap(RECOMPUTE, "(SELECT count(*) FROM events WHERE from_status <> to_status)", "(SELECT count(*) FROM events)",
          STATUS_TESTS + ["tests/sync/test_ingest.py"], "every history line counted as a status change"),
    _swap(RECOMPUTE, "CASE WHEN old_status = status", "CASE WHEN old_status <> status", STATUS_TESTS,
          "'stays <status>' said of the wrong lines"),
    _swap(RECOMPUTE, 'AND c.currency = {row}.currency "', '"', STATUS_TESTS + ["tests/sync/test_ingest.py"],
          "a record matches a case in another currency"),
    _swap(RECOMPUTE, "AND c.seller_account_id = %(seller_account_id)s\n", "\n",
          STATUS_TESTS + ["tests/cases/test_records.py"], "a record matches another account's case"),
    _swap(RECORDS, "\n      AND r.occurrence = s.occurrence", "", RECORD_TESTS,
          "identical lines of one report stored once"),
    _swap(RECORDS, "    LEFT JOIN cases_case c", "    JOIN cases_case c", RECORD_TESTS,
          "lines without a case are not stored"),
    _swap(RECORDS, "WHERE seller_account_id = %(seller_account_id)s AND origin = {literal(RecordOrigin.MANUAL)}\n"
          "      AND voided_at IS NULL AND confirmed_at IS NULL\n), lines",
          "WHERE seller_account_id = %(seller_account_id)s AND origin = {literal(RecordOrigin.MANUAL)}\n"
          "      AND confirmed_at IS NULL\n), lines", RECORD_TESTS, "a report line confirms a voided manual record"),
    _swap(RECORDS, "origin = {literal(RecordOrigin.MANUAL)}\n      AND voided_at IS NULL AND confirmed_at IS NULL\n)\n",
          "origin = {literal(RecordOrigin.REPORT)}\n      AND voided_at IS NULL AND confirmed_at IS NULL\n)\n",
          RECORD_TESTS, "status literal: looks for unconfirmed report records instead of manual ones"),
    _swap(RECORDS, "WHERE case_id > %(after)s", "WHERE case_id >= %(after)s", RECORD_TESTS,
          "a chunk starts again at the last case of the previous one"),
    _swap(VOIDS, "-amount_total, -quantity_cash, -quantity_inventory",
          "amount_total, -quantity_cash, -quantity_inventory", VOID_TESTS, "a void adds the money again"),
    _swap(VOIDS, "-amount_total, -quantity_cash, -quantity_inventory",
          "-amount_total, -quantity_cash, quantity_inventory", VOID_TESTS, "a void adds the inventory units again"),
    _swap(VOIDS, "\n      AND r.origin <> {literal(RecordOrigin.VOID)} AND r.voided_at IS NULL",
          "\n      AND r.voided_at IS NULL", VOID_TESTS, "a void is voided"),
    _swap(VOIDS, "AND r.origin <> {literal(RecordOrigin.VOID)} AND r.voided_at IS NULL",
          "AND r.origin <> {literal(RecordOrigin.VOID)}", VOID_TESTS, "a voided record is voided again"),
    _swap("cases/voids.py", " AND r.origin = {literal(RecordOrigin.REPORT)}", "", VOID_TESTS,
          "voiding an import voids the manual records it confirmed"),
    _swap(ROLLUPS, '"{sign}greatest(claimed_amount - recovered_amount, 0), ', '"{sign}(claimed_amount - recovered_amount), ',
          ROLLUP_TESTS, "trigger: an over-recovered case gives a negative shortfall", triggers=True),
    _swap(ROLLUPS, 'branch([("new_rows", ""), ("old_rows", "-")])', 'branch([("new_rows", "")])', ROLLUP_TESTS,
          "trigger: an update adds the new row without taking the old one out", triggers=True),
    _swap(ROLLUPS, 'RECORD_COUNT = "CASE WHEN voids_id IS NULL THEN 1 ELSE -1 END"',
          'RECORD_COUNT = "CASE WHEN voids_id IS NULL THEN 1 ELSE 1 END"', ROLLUP_TESTS,
          "trigger and check: a void counts as one more record", triggers=True),
    _swap(ROLLUPS, 'nonzero = " OR ".join', 'nonzero = " AND ".join', ROLLUP_TESTS,
          "trigger: a bucket changing in one figure only is not written", triggers=True),
    _swap(ROLLUPS, "       OR (OLD.voided_at IS NOT NULL AND NEW.voided_at IS DISTINCT FROM OLD.voided_at)\n", "",
          VOID_TESTS, "trigger: a voided record can be unvoided", triggers=True),
    _swap(ROLLUPS, "sum(greatest(claimed_amount - recovered_amount, 0)) AS shortfall_amount",
          "sum(claimed_amount - recovered_amount) AS shortfall_amount", ROLLUP_TESTS,
          "check: the recomputed shortfall goes negative"),
    _swap(ROLLUPS, "WHERE ({stored}) IS DISTINCT FROM ({expected})", "WHERE ({stored}) IS NOT DISTINCT FROM ({expected})",
          ROLLUP_TESTS, "check: reports the buckets that agree"),
    _swap(ROLLUPS, "ON CONFLICT (tenant_id, {keys}) DO UPDATE SET {updates}", "ON CONFLICT DO NOTHING",
          ROLLUP_TESTS, "repair: an existing bucket is left wrong"),
    _swap("cases/services.py", "    S.FULLY_REIMBURSED: {S.CLOSED},", "    S.FULLY_REIMBURSED: set(),",
          TRANSITION_TESTS, "staff cannot close a Fully Reimbursed case"),
    _swap("cases/services.py", "    S.CLOSED: {S.OPEN},", "    S.CLOSED: set(),", TRANSITION_TESTS,
          "staff cannot reopen a Closed case"),
    _swap("cases/services.py", "    S.NOT_ELIGIBLE: {S.OPEN, S.CLOSED},", "    S.NOT_ELIGIBLE: {S.CLOSED},",
          TRANSITION_TESTS, "staff cannot reopen a Not Eligible case"),
    _swap("cases/services.py", "    S.FULLY_REIMBURSED: {S.CLOSED},", "    S.FULLY_REIMBURSED: {S.CLOSED, S.NOT_ELIGIBLE},",
          TRANSITION_TESTS, "staff may mark a Fully Reimbursed case Not Eligible"),
]

EQUIVALENT: dict[str, str] = {}
"""Mutants (by `Mutant.name`) that behave exactly as the original, and why."""


def _environment() -> dict[str, str]:
    return {**os.environ, "DEBUG": "true",
            "TEST_DATABASE_NAME": os.environ.get("TEST_DATABASE_NAME", "test_casetracker_mutation")}


def _prepare() -> None:
    if WORK.exists():
        shutil.rmtree(WORK)
    WORK.mkdir(parents=True)
    for name in LINKED:
        (WORK / name).symlink_to(ROOT / name)
    for name in COPIED:
        shutil.copytree(ROOT / name, WORK / name, ignore=shutil.ignore_patterns("__pycache__"))


def _pytest(tests: list[str], *, create_db: bool = False) -> int:
    args = [sys.executable, "-m", "pytest", *PYTEST, *(["--create-db"] if create_db else []), *tests]
    try:
        return subprocess.run(args, cwd=WORK, env=_environment(), stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, timeout=TIMEOUT_SECONDS).returncode
    except subprocess.TimeoutExpired:
        return -1


def _install_triggers() -> None:
    subprocess.run([sys.executable, "-c", INSTALL_TRIGGERS], cwd=WORK, env=_environment(), check=True)


def run(mutant: Mutant) -> str:
    """'killed', 'timeout', or 'survived'."""
    path = WORK / mutant.module
    original = path.read_text()
    if original.count(mutant.old) != 1:
        raise SystemExit(f"{mutant.name}: the text to change occurs {original.count(mutant.old)} times, not once")
    path.write_text(original.replace(mutant.old, mutant.new))
    try:
        if mutant.triggers:
            _install_triggers()
        code = _pytest(mutant.tests)
    finally:
        path.write_text(original)
        if mutant.triggers:
            _install_triggers()
    return {0: "survived", -1: "timeout"}.get(code, "killed")


def main(argv: list[str]) -> int:
    chosen = [m for m in MUTANTS if not argv or m.module in argv]
    _prepare()
    if _pytest(sorted({test for m in chosen for test in m.tests}), create_db=True) != 0:
        raise SystemExit("The tests fail without any mutant: fix them first.")
    started = time.monotonic()
    outcome: dict[str, list[tuple[Mutant, str]]] = {}
    for mutant in chosen:
        status = run(mutant)
        outcome.setdefault(mutant.module, []).append((mutant, status))
        print(f"  {status:8} {mutant.name}", flush=True)
    ok = True
    for module, results in outcome.items():
        equivalent = [m for m, _ in results if m.name in EQUIVALENT]
        counted = [(m, s) for m, s in results if m.name not in EQUIVALENT]
        killed = sum(1 for _, s in counted if s != "survived")
        score = 100.0 * killed / len(counted) if counted else 100.0
        ok = ok and score >= 90
        print(f"{module} (SQL and constants): {len(results)} mutants, {len(equivalent)} equivalent, {killed} killed, "
              f"{len(counted) - killed} survived, score {score:.1f} %")
    print(f"{len(chosen)} mutants in {(time.monotonic() - started) / 60:.1f} min")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
