"""Row-level security, the wall that holds even when the application's code is wrong (accounts/rls.py).

The tables are found in PostgreSQL's catalog, not listed here: a new table with a `tenant_id` is
checked the day it is migrated, and fails until its migration calls `tenant_wall_enable`.
"""

import logging

import psycopg
import pytest
from django.db import connection
from django_scopes import scope, scopes_disabled
from django_scopes.state import state

from accounts.rls import across_tenants
from tests.factories import make_case

TENANT_TABLES_SQL = """
SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity, r.rolname
FROM pg_class c
JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped
JOIN pg_roles r ON r.oid = c.relowner
WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('r', 'p')
ORDER BY 1
"""
POLICY = (
    "(( SELECT (COALESCE(current_setting('app.all_tenants'::text, true), ''::text) = 'on'::text)) OR "
    "(tenant_id = ANY (( SELECT (string_to_array(NULLIF(current_setting('app.tenant_ids'::text, true), ''::text), "
    "','::text))::bigint[] AS string_to_array)::bigint[])))"
)


def tenant_tables() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(TENANT_TABLES_SQL)
        return [row[0] for row in cursor.fetchall()]


def raw_set(*, tenant_ids: str = "", all_tenants: str = "") -> psycopg.Connection:
    """The application's connection with the settings given, as any code could set them."""
    raw = connection.connection
    raw.execute("SELECT set_config('app.tenant_ids', %s, true), set_config('app.all_tenants', %s, true)",
                [tenant_ids, all_tenants])
    return raw


def raw_count(sql: str, params=(), *, tenant_ids: str = "", all_tenants: str = "") -> int:
    return raw_set(tenant_ids=tenant_ids, all_tenants=all_tenants).execute(sql, params).fetchone()[0]


def test_every_table_with_a_tenant_id_has_row_level_security_enabled_forced_and_the_policy(db):
    with connection.cursor() as cursor:
        cursor.execute(TENANT_TABLES_SQL)
        tables = cursor.fetchall()
        cursor.execute("SELECT tablename, cmd, qual, with_check FROM pg_policies WHERE schemaname = current_schema()")
        policies: dict[str, list[tuple]] = {}
        for table, *rest in cursor.fetchall():
            policies.setdefault(table, []).append(tuple(rest))
    assert len(tables) >= 10
    for table, enabled, forced, owner in tables:
        assert (enabled, forced) == (True, True), f"{table}: row-level security not enabled and forced"
        assert policies.get(table) == [("ALL", POLICY, POLICY)], f"{table}: not the one tenant policy"
        assert owner != connection.settings_dict["USER"], f"{table} is owned by the application's role"


def test_the_application_role_owns_nothing_and_cannot_bypass_row_level_security(db):
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user, rolsuper, rolbypassrls, rolcreaterole, rolcreatedb "
                       "FROM pg_roles WHERE rolname = current_user")
        user, superuser, bypass, createrole, createdb = cursor.fetchone()
        cursor.execute("SELECT count(*) FROM pg_class WHERE relowner = current_user::regrole "
                       "AND relnamespace = current_schema()::regnamespace")
        owned = cursor.fetchone()[0]
        cursor.execute("SELECT pg_has_role(current_user, r.relowner, 'MEMBER') FROM pg_class r "
                       "WHERE r.relname = 'cases_case'")
        member_of_owner = cursor.fetchone()[0]
    assert user == connection.settings_dict["USER"]
    assert (superuser, bypass, createrole, createdb) == (False, False, False, False)
    assert owned == 0
    assert not member_of_owner, "the application could SET ROLE to the tables' owner"


def test_no_view_bypasses_the_policies(db):
    with connection.cursor() as cursor:
        cursor.execute("""
            SELECT c.relname FROM pg_class c WHERE c.relnamespace = current_schema()::regnamespace
            AND c.relkind IN ('v', 'm')
            AND (c.relkind = 'm' OR NOT coalesce('security_invoker=true' = ANY (c.reloptions), false))""")
        assert cursor.fetchall() == [], "a view must be security_invoker, and no materialized view may hold tenant rows"


def test_with_no_tenant_set_no_tenant_table_shows_a_row(two_tenants_everywhere):
    for table in tenant_tables():
        assert raw_count(f'SELECT count(DISTINCT tenant_id) FROM "{table}"', all_tenants="on") == 2, (
            f"{table}: this test needs a row of each tenant in it (two_tenants_everywhere)")
        assert raw_count(f'SELECT count(*) FROM "{table}"') == 0, f"{table} shows rows with no tenant set"


def test_with_one_tenant_set_no_row_of_another_tenant_shows(two_tenants_everywhere, acme, globex):
    for table in tenant_tables():
        for mine, other in [(acme, globex), (globex, acme)]:
            sql = f'SELECT count(*) FROM "{table}" WHERE tenant_id = %s'
            assert raw_count(sql, [mine.pk], tenant_ids=str(mine.pk)) > 0, table
            assert raw_count(sql, [other.pk], tenant_ids=str(mine.pk)) == 0, f"{table} shows {other}'s rows"


def test_with_one_tenant_set_another_tenants_rows_can_be_neither_changed_nor_written(
    two_tenants_everywhere, acme, globex
):
    raw = connection.connection
    for table in tenant_tables():
        raw_set(tenant_ids=str(acme.pk))
        with raw.transaction():
            updated = raw.execute(f'UPDATE "{table}" SET tenant_id = tenant_id WHERE tenant_id = %s', [globex.pk])
            assert updated.rowcount == 0, f"{table}: acme changed globex's rows"
    with pytest.raises(psycopg.errors.InsufficientPrivilege, match="violates row-level security policy"):
        with raw.transaction():
            raw.execute("UPDATE accounts_selleraccount SET tenant_id = %s WHERE tenant_id = %s", [globex.pk, acme.pk])


def test_a_query_in_a_tenants_scope_sees_only_that_tenant_even_in_raw_sql(two_tenants_everywhere, acme, globex):
    """What the application does (accounts/rls.py), not only what the database can do."""
    state.set(None)
    with scope(tenant=acme), connection.cursor() as cursor:
        cursor.execute("SELECT array_agg(DISTINCT tenant_id) FROM cases_case")
        assert cursor.fetchone()[0] == [acme.pk]
    with scopes_disabled(), connection.cursor() as cursor:  # lifts the application's check, not the wall
        cursor.execute("SELECT count(*) FROM cases_case")
        assert cursor.fetchone()[0] == 0
    with across_tenants(reason="test"), connection.cursor() as cursor:
        cursor.execute("SELECT count(DISTINCT tenant_id) FROM cases_case")
        assert cursor.fetchone()[0] == 2


@pytest.mark.django_db(transaction=True)
def test_a_statement_in_autocommit_mode_gets_its_tenant_too(acme, globex, acme_amazon, globex_amazon):
    make_case(acme_amazon)
    make_case(globex_amazon)
    state.set(None)
    assert connection.get_autocommit()
    with scope(tenant=globex), connection.cursor() as cursor:
        cursor.execute("SELECT array_agg(tenant_id) FROM cases_case")
        assert cursor.fetchone()[0] == [globex.pk]
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM cases_case")
        assert cursor.fetchone()[0] == 0


def test_working_across_tenants_is_logged_with_its_reason(db, caplog):
    with caplog.at_level(logging.INFO, logger="accounts.rls"), across_tenants(reason="rebuild_rollups: every tenant"):
        pass
    assert [record.getMessage() for record in caplog.records] == ["across tenants: rebuild_rollups: every tenant"]
