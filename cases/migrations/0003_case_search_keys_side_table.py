"""The case search keys side table and the triggers that keep it, as written on the day.

The SQL is frozen here on purpose (see migration 0002); its readable, generated form is
`cases.sql.search`.
"""

import django.db.models.deletion
from django.db import migrations, models

INSTALL = """
CREATE OR REPLACE FUNCTION cases_case_search_keys_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO cases_casesearchkey (tenant_id, key, case_id)
    SELECT DISTINCT c.tenant_id, k.key, c.id
    FROM new_rows AS c CROSS JOIN LATERAL (VALUES (upper(btrim(c.marketplace_case_id))), (upper(btrim(c.sku))), (upper(btrim(c.fnsku))), (upper(btrim(c.asin))), (upper(btrim(c.order_id))), (upper(btrim(c.shipment_id)))) AS k(key)
    WHERE k.key <> '';
    RETURN NULL;
END $$;


CREATE OR REPLACE FUNCTION cases_case_search_keys_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM cases_casesearchkey WHERE case_id = OLD.id;
    INSERT INTO cases_casesearchkey (tenant_id, key, case_id)
    SELECT DISTINCT c.tenant_id, k.key, c.id
    FROM (SELECT NEW.*) AS c CROSS JOIN LATERAL (VALUES (upper(btrim(c.marketplace_case_id))), (upper(btrim(c.sku))), (upper(btrim(c.fnsku))), (upper(btrim(c.asin))), (upper(btrim(c.order_id))), (upper(btrim(c.shipment_id)))) AS k(key)
    WHERE k.key <> '';
    RETURN NULL;
END $$;


CREATE TRIGGER cases_case_search_keys_insert AFTER INSERT ON cases_case
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
    EXECUTE FUNCTION cases_case_search_keys_insert();
CREATE TRIGGER cases_case_search_keys_update AFTER UPDATE OF tenant_id, marketplace_case_id, sku, fnsku, asin, order_id, shipment_id ON cases_case
    FOR EACH ROW WHEN ((OLD.tenant_id, OLD.marketplace_case_id, OLD.sku, OLD.fnsku, OLD.asin, OLD.order_id, OLD.shipment_id) IS DISTINCT FROM (NEW.tenant_id, NEW.marketplace_case_id, NEW.sku, NEW.fnsku, NEW.asin, NEW.order_id, NEW.shipment_id))
    EXECUTE FUNCTION cases_case_search_keys_update();
"""

BACKFILL = """
INSERT INTO cases_casesearchkey (tenant_id, key, case_id)
SELECT DISTINCT c.tenant_id, k.key, c.id
    FROM cases_case AS c CROSS JOIN LATERAL (VALUES (upper(btrim(c.marketplace_case_id))), (upper(btrim(c.sku))), (upper(btrim(c.fnsku))), (upper(btrim(c.asin))), (upper(btrim(c.order_id))), (upper(btrim(c.shipment_id)))) AS k(key)
    WHERE k.key <> ''
ORDER BY 1, 2, 3;
ANALYZE cases_casesearchkey;
"""

UNINSTALL = """
DROP TRIGGER IF EXISTS cases_case_search_keys_insert ON cases_case;
DROP TRIGGER IF EXISTS cases_case_search_keys_update ON cases_case;
DROP FUNCTION IF EXISTS cases_case_search_keys_insert();
DROP FUNCTION IF EXISTS cases_case_search_keys_update();
"""


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_sync_backend_and_credentials"),
        ("cases", "0002_rollup_triggers"),
    ]

    operations = [
        migrations.CreateModel(
            name="CaseSearchKey",
            fields=[
                ("pk", models.CompositePrimaryKey("tenant", "key", "case", blank=True, editable=False,
                                                  primary_key=True, serialize=False)),
                ("tenant", models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE,
                                             related_name="+", to="accounts.tenant")),
                ("case", models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE,
                                           related_name="+", to="cases.case")),
                ("key", models.CharField(max_length=64)),
            ],
            options={"indexes": [models.Index(fields=["case"], name="case_search_key_case")]},
        ),
        # Triggers first: creating them locks cases_case against writes, so the backfill misses none.
        migrations.RunSQL(INSTALL, UNINSTALL),
        migrations.RunSQL(BACKFILL, migrations.RunSQL.noop),
        migrations.RemoveIndex(model_name="case", name="case_search_keys"),
        migrations.RemoveField(model_name="case", name="search_keys"),
    ]
