"""Two more rollups, each kept by statement triggers like the others (SQL frozen here; the readable form is
in `cases.sql.rollups`), and filled from the cases and records that exist:

- `DailyRecovery`: net reimbursed per approval day, for the dashboard's period (recovered between two dates);
- `ProductTotals`: cases, claimed, recovered and returned to inventory per SKU and currency, for its top
  products (indexed by claimed and by recovered, so a top ten is a short index scan).
"""

import django.db.models.deletion
from django.db import migrations, models


INSTALL = """
CREATE OR REPLACE FUNCTION cases_daily_recovery() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN 
    INSERT INTO cases_dailyrecovery AS t (tenant_id, seller_account_id, currency, day, automatic, amount, record_count)
    SELECT tenant_id, seller_account_id, currency, day, automatic, sum(amount), sum(record_count) FROM (
        SELECT tenant_id, seller_account_id, currency, (approval_date AT TIME ZONE 'UTC')::date, case_reference = '', amount_total, CASE WHEN voids_id IS NULL THEN 1 ELSE -1 END FROM new_rows
    ) AS delta(tenant_id, seller_account_id, currency, day, automatic, amount, record_count)
    GROUP BY 1, 2, 3, 4, 5
    HAVING sum(amount) <> 0 OR sum(record_count) <> 0
    ORDER BY 1, 2, 3, 4, 5
    ON CONFLICT (tenant_id, seller_account_id, currency, day, automatic) DO UPDATE SET amount = t.amount + EXCLUDED.amount, record_count = t.record_count + EXCLUDED.record_count;
    ELSIF TG_OP = 'UPDATE' THEN 
    INSERT INTO cases_dailyrecovery AS t (tenant_id, seller_account_id, currency, day, automatic, amount, record_count)
    SELECT tenant_id, seller_account_id, currency, day, automatic, sum(amount), sum(record_count) FROM (
        SELECT tenant_id, seller_account_id, currency, (approval_date AT TIME ZONE 'UTC')::date, case_reference = '', amount_total, CASE WHEN voids_id IS NULL THEN 1 ELSE -1 END FROM new_rows
        UNION ALL
        SELECT tenant_id, seller_account_id, currency, (approval_date AT TIME ZONE 'UTC')::date, case_reference = '', -amount_total, -CASE WHEN voids_id IS NULL THEN 1 ELSE -1 END FROM old_rows
    ) AS delta(tenant_id, seller_account_id, currency, day, automatic, amount, record_count)
    GROUP BY 1, 2, 3, 4, 5
    HAVING sum(amount) <> 0 OR sum(record_count) <> 0
    ORDER BY 1, 2, 3, 4, 5
    ON CONFLICT (tenant_id, seller_account_id, currency, day, automatic) DO UPDATE SET amount = t.amount + EXCLUDED.amount, record_count = t.record_count + EXCLUDED.record_count;
    ELSE 
    INSERT INTO cases_dailyrecovery AS t (tenant_id, seller_account_id, currency, day, automatic, amount, record_count)
    SELECT tenant_id, seller_account_id, currency, day, automatic, sum(amount), sum(record_count) FROM (
        SELECT tenant_id, seller_account_id, currency, (approval_date AT TIME ZONE 'UTC')::date, case_reference = '', -amount_total, -CASE WHEN voids_id IS NULL THEN 1 ELSE -1 END FROM old_rows
    ) AS delta(tenant_id, seller_account_id, currency, day, automatic, amount, record_count)
    GROUP BY 1, 2, 3, 4, 5
    HAVING sum(amount) <> 0 OR sum(record_count) <> 0
    ORDER BY 1, 2, 3, 4, 5
    ON CONFLICT (tenant_id, seller_account_id, currency, day, automatic) DO UPDATE SET amount = t.amount + EXCLUDED.amount, record_count = t.record_count + EXCLUDED.record_count;
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER cases_daily_recovery_insert AFTER INSERT ON cases_reimbursementrecord REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION cases_daily_recovery();
CREATE TRIGGER cases_daily_recovery_update AFTER UPDATE ON cases_reimbursementrecord REFERENCING NEW TABLE AS new_rows OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION cases_daily_recovery();
CREATE TRIGGER cases_daily_recovery_delete AFTER DELETE ON cases_reimbursementrecord REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION cases_daily_recovery();

CREATE OR REPLACE FUNCTION cases_product_totals() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN 
    INSERT INTO cases_producttotals AS t (tenant_id, currency, sku, case_count, claimed_amount, recovered_amount, inventory_amount)
    SELECT tenant_id, currency, sku, sum(case_count), sum(claimed_amount), sum(recovered_amount), sum(inventory_amount) FROM (
        SELECT tenant_id, currency, sku, 1, claimed_amount, recovered_amount, inventory_value FROM new_rows
    ) AS delta(tenant_id, currency, sku, case_count, claimed_amount, recovered_amount, inventory_amount)
    GROUP BY 1, 2, 3
    HAVING sum(case_count) <> 0 OR sum(claimed_amount) <> 0 OR sum(recovered_amount) <> 0 OR sum(inventory_amount) <> 0
    ORDER BY 1, 2, 3
    ON CONFLICT (tenant_id, currency, sku) DO UPDATE SET case_count = t.case_count + EXCLUDED.case_count, claimed_amount = t.claimed_amount + EXCLUDED.claimed_amount, recovered_amount = t.recovered_amount + EXCLUDED.recovered_amount, inventory_amount = t.inventory_amount + EXCLUDED.inventory_amount;
    ELSIF TG_OP = 'UPDATE' THEN 
    INSERT INTO cases_producttotals AS t (tenant_id, currency, sku, case_count, claimed_amount, recovered_amount, inventory_amount)
    SELECT tenant_id, currency, sku, sum(case_count), sum(claimed_amount), sum(recovered_amount), sum(inventory_amount) FROM (
        SELECT tenant_id, currency, sku, 1, claimed_amount, recovered_amount, inventory_value FROM new_rows
        UNION ALL
        SELECT tenant_id, currency, sku, -1, -claimed_amount, -recovered_amount, -inventory_value FROM old_rows
    ) AS delta(tenant_id, currency, sku, case_count, claimed_amount, recovered_amount, inventory_amount)
    GROUP BY 1, 2, 3
    HAVING sum(case_count) <> 0 OR sum(claimed_amount) <> 0 OR sum(recovered_amount) <> 0 OR sum(inventory_amount) <> 0
    ORDER BY 1, 2, 3
    ON CONFLICT (tenant_id, currency, sku) DO UPDATE SET case_count = t.case_count + EXCLUDED.case_count, claimed_amount = t.claimed_amount + EXCLUDED.claimed_amount, recovered_amount = t.recovered_amount + EXCLUDED.recovered_amount, inventory_amount = t.inventory_amount + EXCLUDED.inventory_amount;
    ELSE 
    INSERT INTO cases_producttotals AS t (tenant_id, currency, sku, case_count, claimed_amount, recovered_amount, inventory_amount)
    SELECT tenant_id, currency, sku, sum(case_count), sum(claimed_amount), sum(recovered_amount), sum(inventory_amount) FROM (
        SELECT tenant_id, currency, sku, -1, -claimed_amount, -recovered_amount, -inventory_value FROM old_rows
    ) AS delta(tenant_id, currency, sku, case_count, claimed_amount, recovered_amount, inventory_amount)
    GROUP BY 1, 2, 3
    HAVING sum(case_count) <> 0 OR sum(claimed_amount) <> 0 OR sum(recovered_amount) <> 0 OR sum(inventory_amount) <> 0
    ORDER BY 1, 2, 3
    ON CONFLICT (tenant_id, currency, sku) DO UPDATE SET case_count = t.case_count + EXCLUDED.case_count, claimed_amount = t.claimed_amount + EXCLUDED.claimed_amount, recovered_amount = t.recovered_amount + EXCLUDED.recovered_amount, inventory_amount = t.inventory_amount + EXCLUDED.inventory_amount;
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER cases_product_totals_insert AFTER INSERT ON cases_case REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION cases_product_totals();
CREATE TRIGGER cases_product_totals_update AFTER UPDATE ON cases_case REFERENCING NEW TABLE AS new_rows OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION cases_product_totals();
CREATE TRIGGER cases_product_totals_delete AFTER DELETE ON cases_case REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION cases_product_totals();"""

UNINSTALL = """
DROP TRIGGER IF EXISTS cases_daily_recovery_insert ON cases_reimbursementrecord;
DROP TRIGGER IF EXISTS cases_daily_recovery_update ON cases_reimbursementrecord;
DROP TRIGGER IF EXISTS cases_daily_recovery_delete ON cases_reimbursementrecord;
DROP TRIGGER IF EXISTS cases_product_totals_insert ON cases_case;
DROP TRIGGER IF EXISTS cases_product_totals_update ON cases_case;
DROP TRIGGER IF EXISTS cases_product_totals_delete ON cases_case;
DROP FUNCTION IF EXISTS cases_daily_recovery();
DROP FUNCTION IF EXISTS cases_product_totals();
"""

BACKFILL = """
INSERT INTO cases_dailyrecovery (tenant_id, seller_account_id, currency, day, automatic, amount, record_count)
SELECT tenant_id, seller_account_id, currency, (approval_date AT TIME ZONE 'UTC')::date, case_reference = '',
    sum(amount_total), sum(CASE WHEN voids_id IS NULL THEN 1 ELSE -1 END)
FROM cases_reimbursementrecord
GROUP BY 1, 2, 3, 4, 5;

INSERT INTO cases_producttotals (tenant_id, currency, sku, case_count, claimed_amount, recovered_amount, inventory_amount)
SELECT tenant_id, currency, sku, count(*), sum(claimed_amount), sum(recovered_amount), sum(inventory_value)
FROM cases_case
GROUP BY 1, 2, 3;
"""


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0003_digest_opt_in_and_digest_sent'),
        ('cases', '0009_currency_sort_indexes'),
    ]

    operations = [
        migrations.CreateModel(
            name='DailyRecovery',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('currency', models.CharField(max_length=3)),
                ('day', models.DateField(help_text='Day of approval (UTC).')),
                ('automatic', models.BooleanField(help_text='Paid without a case (no case ID in the report).')),
                ('amount', models.DecimalField(decimal_places=2, default=0, max_digits=20)),
                ('record_count', models.BigIntegerField(default=0)),
                ('seller_account', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='accounts.selleraccount')),
                ('tenant', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='accounts.tenant')),
            ],
            options={
                'indexes': [models.Index(fields=['tenant', 'day'], name='daily_recovery_t_day')],
                'constraints': [models.UniqueConstraint(fields=('tenant', 'seller_account', 'currency', 'day', 'automatic'), name='daily_recovery_bucket')],
            },
        ),
        migrations.CreateModel(
            name='ProductTotals',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('currency', models.CharField(max_length=3)),
                ('sku', models.CharField(max_length=64, verbose_name='SKU')),
                ('case_count', models.BigIntegerField(default=0)),
                ('claimed_amount', models.DecimalField(decimal_places=2, default=0, max_digits=20)),
                ('recovered_amount', models.DecimalField(decimal_places=2, default=0, max_digits=20)),
                ('inventory_amount', models.DecimalField(decimal_places=2, default=0, max_digits=20)),
                ('tenant', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='accounts.tenant')),
            ],
            options={
                'indexes': [models.Index(fields=['tenant', 'currency', '-claimed_amount', 'sku'], name='product_totals_claimed'), models.Index(fields=['tenant', 'currency', '-recovered_amount', 'sku'], name='product_totals_recovered')],
                'constraints': [models.UniqueConstraint(fields=('tenant', 'currency', 'sku'), name='product_totals_bucket')],
            },
        ),
        migrations.RunSQL(INSTALL, UNINSTALL),
        migrations.RunSQL(BACKFILL, migrations.RunSQL.noop),
    ]
