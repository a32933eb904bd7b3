"""Migrations carry their own SQL, and the database holds the triggers `cases.sql` describes.

A migration that imported its SQL from a live module would install, on a new database, whatever
that module says today, while existing databases keep what it said when they migrated: the
history would describe neither. So each migration holds its SQL as text, and a trigger change is
a new migration.

The readable, generated form of the triggers stays in `cases.sql.rollups`, `cases.sql.search` and `ledger.rollups`
(nothing runs it at runtime; it is what one reads and edits, then pastes into a new migration).
The second test keeps the two honest: it reinstalls the triggers from `cases.sql` inside the
test's transaction and compares PostgreSQL's own rendering of every `cases_` and `ledger_` trigger and trigger
function before and after. A change to `cases.sql` without a migration, or a migration without
the change in the module, fails it.
"""

import ast
import sys
from pathlib import Path

from cases.sql import rollups, search
from ledger import rollups as ledger_rollups
from tests.database_roles import owner_connect

ROOT = Path(__file__).resolve().parent.parent
MIGRATIONS = sorted(path for path in ROOT.glob("*/migrations/*.py") if path.name != "__init__.py")


def imported_modules(path: Path) -> list[tuple[int, str]]:
    """(line, module) of every import in the file; a relative import shows as `.module`."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            found.append((node.lineno, "." * node.level + (node.module or "")))
    return found


def is_allowed(module: str) -> bool:
    top = module.split(".")[0]
    return top == "django" or top in sys.stdlib_module_names


def test_the_migrations_are_found():
    assert {path.parent.parent.name for path in MIGRATIONS} >= {"accounts", "cases", "sync"}


def test_no_migration_imports_from_an_application_module():
    offending = [
        f"{path.relative_to(ROOT)}:{line} imports {module}"
        for path in MIGRATIONS
        for line, module in imported_modules(path)
        if not is_allowed(module)
    ]
    assert not offending, "migrations may import only django and the standard library:\n" + "\n".join(offending)


CATALOG_SQL = r"""
SELECT 'function ' || p.proname, pg_get_functiondef(p.oid)
FROM pg_proc p
WHERE p.pronamespace = current_schema()::regnamespace
  AND (p.proname LIKE 'cases\_%' OR p.proname LIKE 'ledger\_%')
UNION ALL
SELECT 'trigger ' || t.tgname, pg_get_triggerdef(t.oid)
FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
WHERE NOT t.tgisinternal AND c.relnamespace = current_schema()::regnamespace
  AND (c.relname LIKE 'cases\_%' OR c.relname LIKE 'ledger\_%')
ORDER BY 1
"""


def catalog(conn) -> dict[str, str]:
    return dict(conn.execute(CATALOG_SQL).fetchall())


def test_the_database_holds_the_triggers_cases_sql_generates(db):
    """As the tables' owner (only it may drop and create their triggers), in a transaction rolled back."""
    with owner_connect() as conn, conn.transaction(force_rollback=True):
        migrated = catalog(conn)
        conn.execute(rollups.UNINSTALL + search.UNINSTALL + ledger_rollups.UNINSTALL)
        assert catalog(conn) == {}, "cases.sql and ledger.rollups uninstall every trigger and function they install"
        conn.execute(rollups.INSTALL + search.INSTALL + ledger_rollups.INSTALL)
        assert catalog(conn) == migrated
    assert len(migrated) == 6 + 15 + 2 + 2 + 4
