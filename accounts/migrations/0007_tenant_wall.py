"""Row-level security, the second wall between tenants (accounts/rls.py).

`tenant_wall_enable(table)` enables and forces row-level security on a table with a `tenant_id` and
gives it the one policy every such table has: a row is visible and writable only when its tenant is
among the transaction's `app.tenant_ids`, or while `app.all_tenants` is `on`. Each setting is read
once per statement (a scalar subquery, not once per row). Every table with a `tenant_id` calls it
in its own migration, one line; a change of the policy is a new migration that replaces the
function and calls it again for every table.
"""

from django.db import migrations

ENABLE = r"""
CREATE FUNCTION tenant_wall_enable(tbl regclass) RETURNS void LANGUAGE plpgsql AS $fn$
DECLARE
    visible text := '(SELECT coalesce(current_setting(''app.all_tenants'', true), '''') = ''on'')'
        ' OR tenant_id = ANY ((SELECT string_to_array(nullif(current_setting(''app.tenant_ids'', true), ''''),'
        ' '','')::bigint[])::bigint[])';
BEGIN
    EXECUTE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', tbl);
    EXECUTE format('ALTER TABLE %s FORCE ROW LEVEL SECURITY', tbl);
    EXECUTE format('DROP POLICY IF EXISTS tenant_wall ON %s', tbl);
    EXECUTE format('CREATE POLICY tenant_wall ON %s FOR ALL TO PUBLIC USING (%s) WITH CHECK (%s)',
                   tbl, visible, visible);
END
$fn$;
REVOKE ALL ON FUNCTION tenant_wall_enable(regclass) FROM PUBLIC;

CREATE FUNCTION tenant_wall_disable(tbl regclass) RETURNS void LANGUAGE plpgsql AS $fn$
BEGIN
    EXECUTE format('DROP POLICY IF EXISTS tenant_wall ON %s', tbl);
    EXECUTE format('ALTER TABLE %s NO FORCE ROW LEVEL SECURITY', tbl);
    EXECUTE format('ALTER TABLE %s DISABLE ROW LEVEL SECURITY', tbl);
END
$fn$;
REVOKE ALL ON FUNCTION tenant_wall_disable(regclass) FROM PUBLIC;
"""

DROP = """
DROP FUNCTION tenant_wall_enable(regclass);
DROP FUNCTION tenant_wall_disable(regclass);
"""


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0006_staff_view'),
    ]

    operations = [
        migrations.RunSQL(ENABLE, DROP),
        migrations.RunSQL("SELECT tenant_wall_enable('accounts_selleraccount')",
                          "SELECT tenant_wall_disable('accounts_selleraccount')"),
        migrations.RunSQL("SELECT tenant_wall_enable('accounts_membership')",
                          "SELECT tenant_wall_disable('accounts_membership')"),
        migrations.RunSQL("SELECT tenant_wall_enable('accounts_digestsent')",
                          "SELECT tenant_wall_disable('accounts_digestsent')"),
        migrations.RunSQL("SELECT tenant_wall_enable('accounts_staffview')",
                          "SELECT tenant_wall_disable('accounts_staffview')"),
    ]
