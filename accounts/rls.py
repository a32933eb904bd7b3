"""The second wall: PostgreSQL row-level security on every table with a `tenant_id`.

The database shows a connection only the rows of the tenants named in the transaction-local
setting `app.tenant_ids` (comma-separated ids), or every tenant's while `app.all_tenants` is `on`;
with neither set it shows none and accepts no write. The policy is installed by the migration
`accounts/0007_tenant_wall` as the SQL function `tenant_wall_enable(table)`: a new table with a
`tenant_id` calls it in one line of its migration (migrations import nothing from the application,
so the line is written out):

    migrations.RunSQL("SELECT tenant_wall_enable('ledger_entry')", "SELECT tenant_wall_disable('ledger_entry')")

and `tests/accounts/test_rls.py` fails for a table that forgot.

The application sets the two values from what it already knows, django-scopes' scope:

- inside `scope(tenant=...)` (a seller's request in `tenant_view`, a task or command working for one
  tenant), the database shows that tenant (or those tenants, for a list);
- inside `across_tenants(reason=...)`, the one way to work across tenants (superusers in admin, the
  scheduler, `rebuild_rollups`, finding the tenant of a seller account), every tenant; each entry
  is logged with its reason;
- anywhere else (including `scopes_disabled()`, which lifts only the application's check), none.

They are set with `set_config(..., true)`, which lasts one transaction, so they work behind a
pooler in transaction mode: `tenant_wall` (an execute wrapper on every connection) sets them once
per transaction, before the first statement that needs them, and runs a statement made in
autocommit mode inside a short transaction of its own. Code that wants one round trip per page,
not per statement, runs inside `transaction.atomic()` (as `tenant_view` does).
"""

import logging
from contextlib import contextmanager

from django.db import transaction
from django.db.backends.signals import connection_created
from django_scopes import scope
from django_scopes.state import get_scope
from psycopg import pq

log = logging.getLogger(__name__)

NONE = ("", "")
"""(app.tenant_ids, app.all_tenants) that show no row."""

SET_SQL = "SELECT set_config('app.tenant_ids', %s, true), set_config('app.all_tenants', %s, true)"


@contextmanager
def across_tenants(*, reason: str):
    """Every tenant's rows, in the application (scopes off) and in the database. The only way to
    read or write across tenants; `reason` says who and why, and is logged."""
    log.info("across tenants: %s", reason, extra={"rls_reason": reason})
    with scope(_enabled=False, _rls_all=True):
        yield


def _ids(tenant) -> str:
    if isinstance(tenant, (list, tuple, set, frozenset)):
        return ",".join(sorted({_ids(one) for one in tenant}, key=int))
    return str(int(getattr(tenant, "pk", tenant)))


def wanted() -> tuple[str, str]:
    """(app.tenant_ids, app.all_tenants) for the current scope (see the module's docstring)."""
    current = get_scope()
    tenant = current.get("tenant")
    if current.get("_enabled") and tenant is not None:
        return _ids(tenant), ""
    if current.get("_rls_all"):
        return "", "on"
    if tenant is not None:
        return _ids(tenant), ""
    return NONE


def tenant_wall(execute, sql, params, many, context):
    """Execute wrapper: the statement runs with the current scope's tenants set in its transaction."""
    connection = context["connection"]
    want = wanted()
    raw = connection.connection
    if connection.get_autocommit():
        if want == NONE:
            return execute(sql, params, many, context)
        with transaction.atomic(using=connection.alias):
            _set(connection, raw, want)
            return execute(sql, params, many, context)
    status = raw.info.transaction_status
    applied = getattr(connection, "_tenant_wall", None)
    fresh = status == pq.TransactionStatus.IDLE
    if fresh:
        if want == NONE:
            connection._tenant_wall = (id(raw), NONE, tuple(connection.savepoint_ids))
        else:
            _set(connection, raw, want)
    elif status == pq.TransactionStatus.INTRANS and not _still_applied(connection, raw, applied, want):
        _set(connection, raw, want)
    return execute(sql, params, many, context)


def _still_applied(connection, raw, applied, want) -> bool:
    if applied is None:
        return want == NONE
    raw_id, value, savepoints = applied
    if raw_id != id(raw) or value != want:
        return False
    # A savepoint rolled back since takes the setting with it: valid while we are inside the same savepoints.
    return tuple(connection.savepoint_ids[: len(savepoints)]) == savepoints


def _set(connection, raw, want) -> None:
    with connection.wrap_database_errors:  # a lost connection raises Django's OperationalError, as any query's
        raw.execute(SET_SQL, list(want))
    connection._tenant_wall = (id(raw), want, tuple(connection.savepoint_ids))


def install(sender, connection, **kwargs):
    """Put `tenant_wall` on a PostgreSQL connection (connection_created)."""
    if connection.vendor == "postgresql" and tenant_wall not in connection.execute_wrappers:
        connection.execute_wrappers.insert(0, tenant_wall)
    connection._tenant_wall = None


def connect() -> None:
    connection_created.connect(install, dispatch_uid="accounts.rls.install")
