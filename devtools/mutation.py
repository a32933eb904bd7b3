"""`make mutation`: mutation testing of the modules where a bug costs money or crashes a request.

Each module is mutated by mutmut against its own test files, in a scratch directory of its own
(`.mutation/<module>/`: links to the project and a generated `pyproject.toml`), one module after the
other. The scores, and the surviving mutants that are not listed as equivalent in `EQUIVALENT`, are
printed and written to `.mutation/<module>/result.json`.

    .venv/bin/python -m devtools.mutation                 # every module
    .venv/bin/python -m devtools.mutation cases/money.py  # one module
    MUTATION_JOBS=2 ...                                   # mutants tested in parallel (default 1)
    .venv/bin/python -m devtools.mutation --resume cases/money.py  # go on with a run that was stopped

A resumed run keeps the verdicts of the mutants killed or listed as equivalent (mutmut keeps them in
its scratch directory) and tests the rest, other survivors included, against today's tests. It is for
the same source: mutmut starts the module over if its source file is newer than the scratch copy.

The tests run against `TEST_DATABASE_NAME` (default `test_casetracker_mutation`); with more than one
job the transactional tests can meet each other's rows, so the default stays 1. The SQL strings are
mutated by `devtools.sql_mutation`, which mutmut cannot do.
"""

import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from mutmut.stats import status_by_exit_code

ROOT = Path(__file__).resolve().parent.parent
SCRATCH = ROOT / ".mutation"
PROJECT = ["accounts", "cases", "casetracker", "dashboard", "devtools", "jobs", "ledger", "monitoring", "sync",
           "templates", "static", "tests", "manage.py", "pytest.ini"]
PYTEST_ARGS = ["-m", "not browser and not worker", "-p", "no:cacheprovider", "--reuse-db"]

MODULES: dict[str, list[str]] = {
    "sync/report.py": [
        "tests/sync/test_report.py", "tests/sync/test_bad_report_files.py", "tests/sync/test_report_writer.py",
        "tests/sync/test_ingest.py",
    ],
    "sync/ingest.py": [
        "tests/sync/test_ingest.py", "tests/sync/test_bad_report_files.py", "tests/sync/test_import_command.py",
        "tests/sync/test_import_ledger.py", "tests/cases/test_records.py",
    ],
    "cases/money.py": [
        "tests/cases/test_money.py", "tests/sync/test_report.py", "tests/cases/test_export.py", "tests/dashboard/test_dashboard.py",
    ],
    "cases/pagination.py": [  # test_views.py pages too, through the same views as test_pagination.py: left out for time
        "tests/cases/test_pagination.py", "tests/cases/test_bad_input.py", "tests/cases/test_export.py",
    ],
    "cases/export.py": ["tests/cases/test_export.py", "tests/test_permissions.py"],
    "cases/services.py": [
        "tests/cases/test_transitions.py", "tests/cases/test_validation.py", "tests/cases/test_forms.py",
        "tests/cases/test_records.py", "tests/cases/test_locks.py", "tests/cases/test_rollups.py",
        "tests/cases/test_timeline.py",
    ],
    "cases/records.py": [
        "tests/cases/test_records.py", "tests/cases/test_voids.py", "tests/sync/test_ingest.py", "tests/cases/test_locks.py",
        "tests/cases/test_transitions.py", "tests/sync/test_bad_report_files.py", "tests/sync/test_import_ledger.py",
    ],
    "cases/voids.py": [
        "tests/cases/test_voids.py", "tests/cases/test_admin.py", "tests/cases/test_locks.py",
        "tests/sync/test_import_ledger.py",
    ],
    "cases/rollups.py": ["tests/cases/test_rollups.py"],
}
"""Each module and the test files that state its behaviour."""


@dataclass(frozen=True)
class Equivalent:
    mutant: str
    line: str
    """A piece of the mutated line, so that a mutant renumbered by a change of the code is not excused."""
    why: str
    removed: bool = False
    """The mutant only leaves an argument out: `line` is then a piece of the line it removes, and it adds none."""

    def pins(self, diff: str) -> bool:
        changed = [text for text in diff.splitlines() if text[:1] in "+-" and not text.startswith(("+++", "---"))]
        added = [text for text in changed if text.startswith("+")]
        if self.removed:
            return not added and any(self.line in text for text in changed)
        return any(self.line in text for text in added)


_SQL_CASE = "SQL keywords and unquoted names are read in any case"
_LOCALE_CASE = "babel reads a locale identifier in any case: `en_us` and `EN_US` are `en_US`"
_FAST_PATH = ("the line's quick check only picks the lines `_implausible` looks at; this mutant widens it (a "
              "boundary value, or a line that gives its per-unit amount, is looked at too), and `_implausible` "
              "finds nothing wrong with those lines, so they are accepted either way")
_STRIP_SET = ("`strip` takes a set of characters: the mutant strips `X` as well, and no column name of the "
              "report begins or ends with X (an unknown column is left out either way)")
_HEADER_END = ("each header name is stripped of white space again in `_header_names`, and an empty column at "
               "the end of the header is blanked in every line (`fields[blank] = \"\"`), so what is left at "
               "the end of the header line changes no name and no value")
_CODEC_CASE = "Python looks codec names up in any case"
_IMPORT_TIME = ("`_reader` runs only while the module is imported, before mutmut switches a mutant on, so no "
                "test can see it; each of these mutants makes the import fail (checked by hand), which every test "
                "would notice")
_DETECT_ALL = ("detection then looks at every FNSKU of the account, not only the ones whose records changed: the "
               "others come out as they are, since detection is idempotent and reads no date, and every writer of "
               "what it reads (ledger imports, reports, records entered by hand, voids, staff prices and claim "
               "windows) detects the FNSKUs it changed. Only slower")
EQUIVALENT: list[Equivalent] = [
    Equivalent("cases.money.x__babel_locale__mutmut_7", '"XXen-usXX"',
               "an unreadable default falls into the `except`, which answers en_US, the default's own locale"),
    Equivalent("cases.money.x__babel_locale__mutmut_8", '"EN-US"', _LOCALE_CASE),
    Equivalent("cases.money.x__babel_locale__mutmut_13", 'Locale.parse("en_us")', _LOCALE_CASE),
    Equivalent("cases.money.x__babel_locale__mutmut_14", 'Locale.parse("EN_US")', _LOCALE_CASE),
    Equivalent("cases.export.x_csv_lines__mutmut_13", "scope(tenant=None)",
               "django-scopes checks the scope when a manager makes a queryset, not when it is read: the "
               "export's queryset was made inside the view's scope, so the scope around each chunk is a "
               "second fence that no query of today's code reaches"),
    *(Equivalent(f"cases.voids.x_records_void__mutmut_{n}", line, _SQL_CASE)
      for n, line in ((6, "r.id = any("), (44, '"drop table sync_new_matches"'), (45, '"DROP TABLE SYNC_NEW_MATCHES"'))),
    Equivalent("sync.report.x__utf16_lines__mutmut_5", 'getincrementaldecoder("UTF-16")', _CODEC_CASE),
    Equivalent("sync.report.x__decoded__mutmut_9", 'raw.decode("CP1252"', _CODEC_CASE),
    *(Equivalent(f"sync.report.x__reader__mutmut_{n}", line, _IMPORT_TIME)
      for n, line in ((1, "index = None"), (2, "parse = None"), (3, "assert parse is None"))),
    *(Equivalent(f"sync.report.x__implausible__mutmut_{n}", line,
                 "`found` is only read as `bool(found)`: counting by 2, down, or setting it to 1 leaves it "
                 "non-zero exactly when a problem was found")
      for n, line in ((15, "found = 1"), (16, "found -= 1"), (17, "found += 2"),
                      (38, "found = 1"), (39, "found -= 1"), (40, "found += 2"))),
    *(Equivalent(f"sync.report.x__parse_line__mutmut_{n}", line, _FAST_PATH)
      for n, line in ((64, "not EARLIEST_APPROVAL < date <= latest"), (65, "<= date < latest"),
                      (66, "total <= _ZERO"), (67, "cash <= 0"), (68, "cash < 1"), (69, "inventory <= 0"),
                      (70, "inventory < 1"), (71, "per_unit <= _ZERO"), (72, "or per_unit_given or total"))),
    *(Equivalent(name, line, _STRIP_SET) for name, line in (
        ("sync.report.x__header_names__mutmut_3", """.strip('XX"XX')"""),
        ("sync.report.x__read_header__mutmut_11", r'lstrip("XX\ufeffXX")'),
        ("sync.report.x__read_header__mutmut_12", r'rstrip("XX\r\nXX")'))),
    *(Equivalent(f"sync.report.x__read_header__mutmut_{n}", line, _HEADER_END)
      for n, line in ((7, "rstrip(None)"), (8, r'.lstrip("\r\n")'))),
    *(Equivalent(f"sync.report.x__parsed_lines__mutmut_{n}", line,
                 "every value of a line is stripped of white space before it is read, and a line cut short is "
                 "padded with empty values, so what is left at the end of a line changes no value")
      for n, line in ((30, "text = text.rstrip(None)"), (31, r'text = text.lstrip("\r\n")'))),
    Equivalent("cases.services.x_case_update__mutmut_8", 'select_related(None)',
               "`select_related` only saves a query: `stored.seller_account` is then read when it is used, "
               "the same row inside the same transaction"),
    Equivalent("cases.services.x_case_create__mutmut_13", "case.last_event_on = None",
               "`Case.save` dates a case with no history yet by its filing date: None there becomes `date_filed`, "
               "what the service sets"),
    Equivalent("cases.services.x_case_update__mutmut_68", "Case.objects.filter(pk=case.pk, ).update(",
               "a case's primary key names one case, in the case's tenant, and the scoped manager fences the "
               "tenant too: the tenant filter beside the key is a second fence that selects nothing more"),
    Equivalent("cases.services.x_case_update__mutmut_82", "ReimbursementRecord.objects.filter(case=case)",
               "the records of a case are in the case's tenant, and the scoped manager fences the tenant too: "
               "the tenant filter is a second fence that selects nothing more"),
    *(Equivalent(f"cases.services.x_case_transition__mutmut_{n}", line,
                 "every status a case can have is a key of STAFF_TRANSITIONS (the 25 steps of "
                 "`test_staff_may_take_exactly_the_agreed_steps` start from each), so the default is never used")
      for n, line in ((19, "STAFF_TRANSITIONS.get(locked.status, None)"),
                      (21, "STAFF_TRANSITIONS.get(locked.status, )"))),
    Equivalent("cases.services.x_case_transition__mutmut_68", "locked.save(update_fields=None)",
               "`locked` was read with SELECT ... FOR UPDATE after the account's lock, which every writer takes: "
               "the fields it writes back besides status, closed_on and last_event_on are the stored values"),
    *(Equivalent(f"cases.services.x__records_attach__mutmut_{n}", line, _SQL_CASE)
      for n, line in ((4, "r.id = any("), (12, "c.id = any("))),
    Equivalent("cases.services.x_case_create__mutmut_10", "seller_account_lock(seller_account_id=None)",
               "`records_match`, called in the same transaction before anything is committed, takes the same "
               "account's lock: the new case is seen by no one before the lock is held, and a writer holding "
               "it makes `case_create` wait (`test_every_writer_of_an_accounts_cases_and_records_waits_for_its_lock`)"),
    Equivalent("cases.services.x_case_create__mutmut_27", "case=case, to_status=S.OPEN, source=source",
               "`from_status` left out is saved as its field's default, the empty string the call gave"),
    *(Equivalent(f"cases.records.x_record_case_limit_problems__mutmut_{n}", line,
                 "a missing case ID read as None instead of \"\" is just as false: no case is looked up either way")
      for n, line in ((3, 'fields.get("case_reference", None)'), (5, 'fields.get("case_reference", )'))),
    *(Equivalent(f"cases.records.x_record_case_limit_problems__mutmut_{n}", line,
                 "a missing currency read as None, nothing or XXXX instead of \"\" finds no case either way: a "
                 "case's currency is three capital letters (the `case_currency_iso` check)")
      for n, line in ((10, 'fields.get("currency", None)'), (12, 'fields.get("currency", )'),
                      (15, 'fields.get("currency", "XXXX")'))),
    Equivalent("cases.records.x_record_case_limit_problems__mutmut_22",
               "        seller_account=seller_account, marketplace_case_id=case_reference,",
               "the case is looked up in the seller account, which belongs to one tenant, and the scoped manager "
               "fences the tenant too: the tenant filter is a second fence that selects nothing more"),
    *(Equivalent(f"cases.records.x_record_add_manual__mutmut_{n}", line,
                 "a missing case ID read as None instead of \"\" is just as false: `record_currency_problem` looks "
                 "no case up either way")
      for n, line in ((25, 'case_reference=fields.get("case_reference", None)'),
                      (27, 'case_reference=fields.get("case_reference", )'))),
    Equivalent("cases.records.x_record_add_manual__mutmut_63", "            occurrence=1,",
               "`occurrence` left out is saved as its field's default, the 1 the call gave", removed=True),
    *(Equivalent(f"cases.records.x_manual_record_problems__mutmut_{n}", line,
                 "`record_problems` reads a missing reason or original reimbursement as `value or \"\"`: None is "
                 "the empty string there")
      for n, line in ((32, 'fields.get("reason", None)'), (34, 'reason=fields.get("reason", )'),
                      (51, 'fields.get("original_reimbursement_id", None)'),
                      (53, 'original_reimbursement_id=fields.get("original_reimbursement_id", )'),
                      (58, 'fields.get("original_reimbursement_type", None)'),
                      (60, 'original_reimbursement_type=fields.get("original_reimbursement_type", )'))),
    Equivalent("cases.records.x_manual_record_problems__mutmut_37", 'fields.get("reason", "XXXX")',
               "the reason's one use in `cases.plausibility` is whether the record is a reversal or an adjustment: "
               "a missing reason read as XXXX is neither, as the empty string is neither"),
    Equivalent("cases.records.x_record_currency_problem__mutmut_8",
               "            seller_account=seller_account, marketplace_case_id=case_reference",
               "the case is looked up in the seller account, which belongs to one tenant, and the scoped manager "
               "fences the tenant too: the tenant filter is a second fence that selects nothing more"),
    Equivalent("cases.records.x_record_case_limit_problems__mutmut_25",
               "        ).first()",
               "a case ID is unique in its account, and both callers look the case up only after "
               "`record_currency_problem` found no case of that ID in another currency (the service refuses "
               "such a record first; the form checks the limits only when no field has an error): the "
               "currency filter selects nothing more"),
    Equivalent("cases.records.x_record_already_recorded__mutmut_6",
               "            seller_account=seller_account, voided_at__isnull=True,",
               "the records are looked up in the seller account, which belongs to one tenant, and the scoped "
               "manager fences the tenant too: the tenant filter is a second fence that selects nothing more"),
    Equivalent("cases.pagination.x__text__mutmut_1", "(isinstance(value, dt.date)) and False",
               "every sort column of a date is a DateField, and `str` of a date is its `isoformat()`; a "
               "timestamp's `str` differs only by a space for the `T`, which `datetime.fromisoformat` reads too"),
    Equivalent("cases.pagination.x_cursor_encode__mutmut_27", 'rstrip("XX=XX")',
               "the payload is a JSON array, whose last byte is `]`: the last base64 character of a token is "
               "then `Q`, `d` or one whose index is 1 modulo 4 (B, F, ... x, 1, 5, 9), never `X`"),
    Equivalent("cases.pagination.x_sort_parse__mutmut_3", '(param or "XXXX")',
               "no sort has the alias XXXX, so a missing sort falls back to the default as the empty string does"),
    *(Equivalent(f"cases.pagination.x__beyond__mutmut_{n}", 'function="row"', _SQL_CASE) for n in (14, 26)),
    *(Equivalent(f"cases.pagination.x__beyond__mutmut_{n}", line,
                 "the key's output field is never read: the comparison is compiled as `ROW(...) > ROW(...)` and "
                 "Django reads only the left side's output field, to choose how to prepare a plain value")
      for n, line in ((18, 'function="ROW", output_field=None)'), (22, 'function="ROW", )'))),
    Equivalent("cases.pagination.x_cursor_decode__mutmut_12", '"=" * (+len(token) % 4)',
               "a token of 3 characters past a multiple of 4 gets `===` instead of `=`, and Python's base64 "
               "decoder (not in strict mode) ignores padding past what it needs; one of 1 past a multiple of 4 "
               "is refused either way, and the others get the same padding"),
    Equivalent("cases.pagination.x_cursor_encode__mutmut_23", 'separators=(",", "XX:XX")',
               "the payload is a JSON array of strings, lists of strings and an integer: it holds no object, so "
               "the key separator is never written"),
    *(Equivalent(f"cases.pagination.x_keyset_page__mutmut_{n}", "[: per_page + 2]",
                 "a page fetches one row more than it shows only to learn whether a page lies beyond; fetching "
                 "two more shows the same rows and learns the same (`len(rows) <= per_page`)")
      for n in (23, 40, 65, 92)),
    *(Equivalent(f"cases.pagination.x_keyset_page__mutmut_{n}", line,
                 "every reader of `Page.first` and `Page.last` asks only whether it is true (`previous_cursor`, "
                 "`next_cursor`, `only_page`, the list's template), and None is as false as False")
      for n, line in ((68, "first=None, last=len(rows) <= per_page"), (96, "first=len(rows) <= per_page, last=None"))),
    Equivalent("sync.report.x_read_report_copy__mutmut_11", r'text.count("XX\tXX")',
               "every line then takes the slower path, which escapes each value the way the quick path escapes the "
               "line (and a tab, which a line with the right number of tabs has in no value)"),
    Equivalent("sync.ingest.x_copy_lines__mutmut_8", "if len(batch) != batch_size:",
               "every line is then written to COPY on its own as soon as it comes: the same rows in the same order, "
               "counted the same, in more writes"),
    *(Equivalent(f"sync.ingest.x_import_report__mutmut_{n}", "run.save(update_fields=None)",
                 "the run's other fields hold what they were saved with when the import began: nothing changes a "
                 "running run but another poll's interruption mark (status, error, finish), which this save "
                 "writes over either way, and a run is voided only once it succeeded")
      for n in (40, 60)),
    *(Equivalent(f"sync.ingest.x_ingest_report__mutmut_{n}", line, _SQL_CASE)
      for n, line in ((15, 'table="SYNC_REPORT_ROWS"'), (34, 'staging_table="SYNC_REPORT_ROWS"'),
                      (59, '"drop table sync_report_rows"'), (60, '"DROP TABLE SYNC_REPORT_ROWS"'))),
    *(Equivalent(mutant, line, _DETECT_ALL) for mutant, line in (
        ("sync.ingest.x_ingest_report__mutmut_62", "fnskus=None)"),
        ("sync.ingest.x_ingest_report__mutmut_64", "opportunities_detect(seller_account=seller_account, )"),
        ("cases.records.x_record_add_manual__mutmut_79", "fnskus=None)"),
    )),
    *(Equivalent(mutant, "records_changed.send(sender=None", "the ledger's receiver is connected for every sender "
                 "and reads no sender") for mutant in ("cases.records.x_record_add_manual__mutmut_77",
                                                       "cases.voids.x_records_void__mutmut_57")),
    Equivalent("cases.voids.x_records_void__mutmut_59", "fnskus=None)", _DETECT_ALL),
    Equivalent("cases.voids.x_records_void__mutmut_51", "and r.seller_account_id = %(seller_account_id)s and", _SQL_CASE),
    Equivalent("cases.voids.x_records_void__mutmut_56", "if voided or fnskus:",
               "a void of records voided already then detects their FNSKUs again, which changes nothing: detection "
               "is idempotent and nothing it reads changed"),
]
"""Surviving mutants that behave exactly as the original: excluded from the score, listed in docs/testing.md."""

KILLED = {"killed", "timeout"}


@dataclass
class Result:
    module: str
    statuses: dict[str, str] = field(default_factory=dict)
    survivors: dict[str, str] = field(default_factory=dict)
    equivalent: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def counted(self) -> int:
        return len(self.statuses) - len(self.equivalent)

    @property
    def killed(self) -> int:
        return sum(1 for status in self.statuses.values() if status in KILLED)

    @property
    def score(self) -> float:
        return 100.0 * self.killed / self.counted if self.counted else 100.0

    def line(self) -> str:
        return (f"{self.module}: {len(self.statuses)} mutants, {len(self.equivalent)} equivalent, "
                f"{self.killed} killed, {len(self.survivors)} survived, score {self.score:.1f} % "
                f"({self.seconds / 60:.1f} min)")


def _scratch(module: str, *, resume: bool = False) -> Path:
    """The module's scratch directory: kept, with its verdicts, by a resumed run; otherwise made anew. Its
    settings are written either way, so that a resumed run reads today's list of test files."""
    work = SCRATCH / module.replace("/", ".").removesuffix(".py")
    meta = work / "mutants" / (module + ".meta")
    if resume and meta.exists():
        data = json.loads(meta.read_text())
        codes = data["exit_code_by_key"]
        excused = {e.mutant for e in EQUIVALENT}
        for name, code in codes.items():
            if code is not None and status_by_exit_code[code] not in KILLED and name not in excused:
                codes[name] = None  # tested again, against the tests written since
        meta.write_text(json.dumps(data))
    else:
        if work.exists():
            shutil.rmtree(work)
        work.mkdir(parents=True)
        for name in PROJECT:
            (work / name).symlink_to(ROOT / name)
    package = module.split("/")[0]
    settings = {
        "source_paths": [package],
        "only_mutate": [module],
        "also_copy": [name for name in PROJECT if name not in (package, "tests")],
        "pytest_add_cli_args": PYTEST_ARGS,
        "pytest_add_cli_args_test_selection": MODULES[module],
        "use_git_change_detection": False,
        "process_isolation": "forkserver",
    }
    lines = ["[tool.mutmut]"] + [f"{key} = {json.dumps(value)}" for key, value in settings.items()]
    (work / "pyproject.toml").write_text("\n".join(lines) + "\n")
    return work


def _mutmut(work: Path, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([str(Path(sys.executable).parent / "mutmut"), *args], cwd=work, env=env,
                          capture_output=True, text=True)


def measure(module: str, *, jobs: int, resume: bool = False) -> Result:
    work = _scratch(module, resume=resume)
    env = {**os.environ, "DEBUG": "true", "TEST_DATABASE_NAME": os.environ.get(
        "TEST_DATABASE_NAME", "test_casetracker_mutation")}
    started = time.monotonic()
    with open(work / "run.log", "a" if resume else "w") as log:
        subprocess.run([str(Path(sys.executable).parent / "mutmut"), "run", "--max-children", str(jobs)],
                       cwd=work, env=env, stdout=log, stderr=subprocess.STDOUT)
    meta = work / "mutants" / (module + ".meta")
    if not meta.exists():
        raise SystemExit(f"{module}: mutmut did not run; see {work / 'run.log'}")
    codes = json.loads(meta.read_text())["exit_code_by_key"]
    result = Result(module, {name: status_by_exit_code[code] for name, code in codes.items()},
                    seconds=time.monotonic() - started)
    excused = {e.mutant: e for e in EQUIVALENT}
    for name, status in sorted(result.statuses.items()):
        if status in KILLED:
            continue
        diff = _mutmut(work, "show", name, env=env).stdout
        known = excused.get(name)
        if known is not None and known.pins(diff):
            result.equivalent[name] = known.why
        else:
            result.survivors[name] = f"{status}\n{diff}"
    (work / "result.json").write_text(json.dumps({
        "module": module, "mutants": len(result.statuses), "killed": result.killed,
        "survived": len(result.survivors), "equivalent": result.equivalent, "score": round(result.score, 1),
        "minutes": round(result.seconds / 60, 1), "survivors": result.survivors,
    }, indent=2))
    return result


def main(argv: list[str]) -> int:
    resume = "--resume" in argv
    argv = [arg for arg in argv if arg != "--resume"]
    modules = argv or list(MODULES)
    unknown = [module for module in modules if module not in MODULES]
    if unknown:
        raise SystemExit(f"No tests declared for {', '.join(unknown)}; known: {', '.join(MODULES)}")
    jobs = int(os.environ.get("MUTATION_JOBS", "1"))
    results = []
    for module in modules:
        result = measure(module, jobs=jobs, resume=resume)
        results.append(result)
        print(result.line(), flush=True)
        for name, text in result.survivors.items():
            print(f"  survived: {name} ({text.splitlines()[0]})")
    return 0 if all(result.score >= 90 for result in results) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
