"""Every lock the tracker takes in PostgreSQL, in one place.

Advisory locks are keyed by two integers, (namespace, id); each kind of lock has its namespace in
`LockNamespace`, declared once here so that no two kinds can ever share a key.

Transaction locks (`seller_account_lock`, `rollups_lock`) last until the transaction ends, and
refuse to be taken outside one: in autocommit, `pg_advisory_xact_lock` is released as soon as its
own statement ends, and would lock nothing. `account_poll_lock` and `tenant_export_lock_try` are
session locks, for the reasons given there.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from enum import IntEnum, unique

from django.db import DatabaseError, connection

from .sql.rollups import ROLLUPS, SOURCE_TABLES


@unique
class LockNamespace(IntEnum):
    SELLER_ACCOUNT = 0x5EB1
    """Every write of an account's records or figures holds it, so a case recorded during an
    ingestion still meets its records, and two recomputes of one case never both miss each
    other's records."""
    ACCOUNT_POLL = 0x5EB2
    """Held by a poll of the account, so that two polls of one account never overlap."""
    TENANT_EXPORT = 0x5EB3
    """Held by a tenant's CSV export while it streams: one export per organisation at a time."""


class LockOutsideTransaction(RuntimeError):
    """A transaction lock was asked for in autocommit, where it would be released at once."""


def _require_transaction(lock: str) -> None:
    if not connection.in_atomic_block:
        raise LockOutsideTransaction(
            f"{lock} must be taken inside transaction.atomic(): outside a transaction it is released "
            "as soon as it is granted"
        )


def seller_account_lock(*, seller_account_id: int) -> None:
    """Serialize writes to one seller account's records and figures until the transaction ends."""
    _require_transaction("seller_account_lock")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(%s, %s::integer)", [LockNamespace.SELLER_ACCOUNT.value, seller_account_id]
        )


def rollups_lock() -> None:
    """Keep every writer out of the rollups and their sources until the transaction ends; readers
    (the dashboard) carry on.

    Sources first, then rollups, the order in which a writer's triggers reach them. A writer that
    holds one source table and waits for the other can still deadlock with us; PostgreSQL then
    aborts one side and the rebuild can simply be run again.
    """
    _require_transaction("rollups_lock")
    with connection.cursor() as cursor:
        for table in (*SOURCE_TABLES, *(rollup.table for rollup in ROLLUPS)):
            cursor.execute(f"LOCK TABLE {table} IN SHARE ROW EXCLUSIVE MODE")


@contextmanager
def account_poll_lock(*, seller_account_id: int) -> Iterator[bool]:
    """Try to take the account's poll lock; yield whether this session got it, and free it on exit.

    The one session lock: a poll holds it across the marketplace's report download, which takes
    minutes. A transaction open that long would keep vacuum from removing dead rows everywhere in
    the database, so the lock belongs to the session instead, and outlives the poll's own short
    transactions. If freeing it fails (the connection broke), the connection is closed, which frees
    it too; PostgreSQL also frees it if the process dies.
    """
    key = [LockNamespace.ACCOUNT_POLL.value, seller_account_id]
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", key)
        acquired = cursor.fetchone()[0]
    try:
        yield acquired
    finally:
        if acquired:
            try:
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_advisory_unlock(%s, %s)", key)
            except DatabaseError:
                connection.close()


def tenant_export_lock_try(*, tenant_id: int) -> bool:
    """Try to take the tenant's export lock for this session; say whether it was granted.

    A session lock, since the export streams after the view has returned, outside any transaction;
    `tenant_export_lock_release` frees it when the response closes. PostgreSQL frees it too if the
    connection or the process dies. A session that already holds it is granted it again (advisory
    locks stack), so release it once per grant.
    """
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s, %s::integer)", 
                       [LockNamespace.TENANT_EXPORT.value, tenant_id])
        return cursor.fetchone()[0]


def tenant_export_lock_release(*, tenant_id: int) -> None:
    """Free one grant of the tenant's export lock; if that fails (the connection broke), close the
    connection, which frees it too."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s, %s::integer)",
                           [LockNamespace.TENANT_EXPORT.value, tenant_id])
    except DatabaseError:
        connection.close()
