"""The mutation steps run the tests in a scratch copy of the project: it must hold every app and every module
named, or a run stops at its first clean pass (as the SQL step did once the ledger app was added)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.apps import apps
from django.db import connection

from devtools import mutation, sql_mutation

ROOT = Path(__file__).resolve().parent.parent.parent


def our_apps() -> set[str]:
    return {config.name for config in apps.get_app_configs() if Path(config.path).parent == ROOT}


def test_the_project_apps_are_found():
    assert {"accounts", "cases", "ledger", "sync", "dashboard"} <= our_apps()


def test_the_mutmut_scratch_copy_holds_every_app_of_the_project():
    assert our_apps() <= set(mutation.PROJECT)


def test_the_sql_step_scratch_copy_holds_every_app_of_the_project():
    assert our_apps() <= set(sql_mutation.LINKED) | set(sql_mutation.COPIED)


def test_every_module_measured_and_its_tests_exist():
    named = [*mutation.MODULES, *(test for tests in mutation.MODULES.values() for test in tests),
             *(m.module for m in sql_mutation.MUTANTS), *(test for m in sql_mutation.MUTANTS for test in m.tests)]
    assert [path for path in named if not (ROOT / path).is_file()] == []


def test_every_sql_mutant_finds_the_text_it_changes_exactly_once():
    """A mutant whose text the code no longer holds would stop the SQL step midway."""
    drifted = [m.name for m in sql_mutation.MUTANTS if (ROOT / m.module).read_text().count(m.old) != 1]
    assert drifted == []


def user_triggers() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT tgrelid::regclass::text || '.' || tgname FROM pg_trigger WHERE NOT tgisinternal ORDER BY 1")
        return [name for (name,) in cursor.fetchall()]


@pytest.mark.django_db(transaction=True)
def test_the_sql_step_reinstalls_the_rollup_triggers_as_the_tables_owner():
    """The tests connect as the application's role, which may not replace the triggers of tables it does not
    own: the SQL step puts its mutants of them in place as the owner."""
    before = user_triggers()
    assert any(name.startswith("cases_case.") for name in before)

    result = subprocess.run(
        [sys.executable, "-c", sql_mutation.INSTALL_TRIGGERS], cwd=ROOT, capture_output=True, text=True, timeout=120,
        env={**os.environ, "DEBUG": "true", "TEST_DATABASE_NAME": connection.settings_dict["NAME"]},
    )

    assert result.returncode == 0, result.stderr[-2000:]
    assert user_triggers() == before
