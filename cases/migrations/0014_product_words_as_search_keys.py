"""The words of a case's product name become search keys, beside its identifiers.

The seller's search read product words from a GIN index on `to_tsvector(product_title)` and
identifier prefixes with `LIKE`. Under row-level security PostgreSQL may not use either index: `@@`
and `LIKE` are not leakproof, so they are applied only after each row passed the policy, which
read every case of the tenant (seconds on a million). `starts_with`, which is leakproof, finds a
prefix in `case_search_key_prefix` whatever the policy: so the words are keys now (each after a
space, which no trimmed identifier starts with), and the GIN index goes.

The SQL is frozen here on purpose (see migration 0002); its readable, generated form is
`cases.sql.search`. The backfill runs as the tables' owner, to whom the policy applies too: it
opens every tenant for its own statement, in this migration's transaction.
"""

from django.db import migrations

INSTALL = """
CREATE OR REPLACE FUNCTION cases_case_search_keys_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO cases_casesearchkey (tenant_id, key, case_id)
    SELECT DISTINCT c.tenant_id, k.key, c.id
    FROM new_rows AS c CROSS JOIN LATERAL (VALUES (upper(btrim(c.marketplace_case_id))), (upper(btrim(c.sku))), (upper(btrim(c.fnsku))), (upper(btrim(c.asin))), (upper(btrim(c.order_id))), (upper(btrim(c.shipment_id))) UNION SELECT ' ' || left(upper(w), 63) FROM unnest(tsvector_to_array(to_tsvector('simple', coalesce(c.product_title, '')))) AS w) AS k(key)
    WHERE k.key <> '';
    RETURN NULL;
END $$;


CREATE OR REPLACE FUNCTION cases_case_search_keys_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM cases_casesearchkey WHERE case_id = OLD.id;
    INSERT INTO cases_casesearchkey (tenant_id, key, case_id)
    SELECT DISTINCT c.tenant_id, k.key, c.id
    FROM (SELECT NEW.*) AS c CROSS JOIN LATERAL (VALUES (upper(btrim(c.marketplace_case_id))), (upper(btrim(c.sku))), (upper(btrim(c.fnsku))), (upper(btrim(c.asin))), (upper(btrim(c.order_id))), (upper(btrim(c.shipment_id))) UNION SELECT ' ' || left(upper(w), 63) FROM unnest(tsvector_to_array(to_tsvector('simple', coalesce(c.product_title, '')))) AS w) AS k(key)
    WHERE k.key <> '';
    RETURN NULL;
END $$;

DROP TRIGGER IF EXISTS cases_case_search_keys_update ON cases_case;
CREATE TRIGGER cases_case_search_keys_update AFTER UPDATE OF tenant_id, marketplace_case_id, sku, fnsku, asin, order_id, shipment_id, product_title ON cases_case
    FOR EACH ROW WHEN ((OLD.tenant_id, OLD.marketplace_case_id, OLD.sku, OLD.fnsku, OLD.asin, OLD.order_id, OLD.shipment_id, OLD.product_title) IS DISTINCT FROM (NEW.tenant_id, NEW.marketplace_case_id, NEW.sku, NEW.fnsku, NEW.asin, NEW.order_id, NEW.shipment_id, NEW.product_title))
    EXECUTE FUNCTION cases_case_search_keys_update();
"""

BACKFILL = """
SELECT set_config('app.all_tenants', 'on', true);
INSERT INTO cases_casesearchkey (tenant_id, key, case_id)
SELECT DISTINCT c.tenant_id, k.key, c.id
    FROM cases_case AS c CROSS JOIN LATERAL (SELECT ' ' || left(upper(w), 63) FROM unnest(tsvector_to_array(to_tsvector('simple', coalesce(c.product_title, '')))) AS w) AS k(key)
    WHERE k.key <> ''
ORDER BY 1, 2, 3
ON CONFLICT DO NOTHING;
SELECT set_config('app.all_tenants', '', true);
ANALYZE cases_casesearchkey;
"""

WORDS_OUT = """
SELECT set_config('app.all_tenants', 'on', true);
DELETE FROM cases_casesearchkey k USING cases_case c
WHERE k.case_id = c.id AND k.key LIKE ' %';
SELECT set_config('app.all_tenants', '', true);
"""

OLD_FUNCTIONS_AND_TRIGGER = """
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

DROP TRIGGER IF EXISTS cases_case_search_keys_update ON cases_case;
CREATE TRIGGER cases_case_search_keys_update AFTER UPDATE OF tenant_id, marketplace_case_id, sku, fnsku, asin, order_id, shipment_id ON cases_case
    FOR EACH ROW WHEN ((OLD.tenant_id, OLD.marketplace_case_id, OLD.sku, OLD.fnsku, OLD.asin, OLD.order_id, OLD.shipment_id) IS DISTINCT FROM (NEW.tenant_id, NEW.marketplace_case_id, NEW.sku, NEW.fnsku, NEW.asin, NEW.order_id, NEW.shipment_id))
    EXECUTE FUNCTION cases_case_search_keys_update();
"""


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0013_tenant_wall"),
    ]

    operations = [
        # The triggers first: replacing them locks cases_case against writes, so the backfill misses none.
        migrations.RunSQL(INSTALL, OLD_FUNCTIONS_AND_TRIGGER),
        migrations.RunSQL(BACKFILL, WORDS_OUT),
        migrations.RemoveIndex(model_name="case", name="case_product_words"),
    ]
