"""Units returned to inventory get a value, so that a case's figures add up; and the rollup counts the
cases that recovered something.

- `Case.inventory_value`, a stored generated column: the units returned to inventory at the claim's
  value per unit, capped at the claim left after the cash (`cases.models.INVENTORY_VALUE`).
- `CaseTotals.inventory_amount` sums it per bucket; `CaseTotals.reimbursed_count` counts the cases with
  money or units recovered (the rows of Reimbursed Cases), whatever their status.
- The trigger function `cases_case_totals` adds both, its SQL frozen here (the readable form is in
  `cases.sql.rollups`); the existing buckets are filled from the cases in the same migration.
"""

import django.db.models.expressions
import django.db.models.functions.comparison
import django.db.models.functions.math
from decimal import Decimal
from django.db import migrations, models


FUNCTION = """
CREATE OR REPLACE FUNCTION cases_case_totals() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN 
    INSERT INTO cases_casetotals AS t (tenant_id, seller_account_id, currency, status, reimbursement_type, case_count, claimed_amount, recovered_amount, shortfall_amount, inventory_amount, reimbursed_count)
    SELECT tenant_id, seller_account_id, currency, status, reimbursement_type, sum(case_count), sum(claimed_amount), sum(recovered_amount), sum(shortfall_amount), sum(inventory_amount), sum(reimbursed_count) FROM (
        SELECT tenant_id, seller_account_id, currency, status, reimbursement_type, 1, claimed_amount, recovered_amount, greatest(claimed_amount - recovered_amount, 0), inventory_value, CASE WHEN recovered_amount <> 0 OR units_reimbursed_cash <> 0 OR units_reimbursed_inventory <> 0 THEN 1 ELSE 0 END FROM new_rows
    ) AS delta(tenant_id, seller_account_id, currency, status, reimbursement_type, case_count, claimed_amount, recovered_amount, shortfall_amount, inventory_amount, reimbursed_count)
    GROUP BY 1, 2, 3, 4, 5
    HAVING sum(case_count) <> 0 OR sum(claimed_amount) <> 0 OR sum(recovered_amount) <> 0 OR sum(shortfall_amount) <> 0 OR sum(inventory_amount) <> 0 OR sum(reimbursed_count) <> 0
    ORDER BY 1, 2, 3, 4, 5
    ON CONFLICT (tenant_id, seller_account_id, currency, status, reimbursement_type) DO UPDATE SET case_count = t.case_count + EXCLUDED.case_count, claimed_amount = t.claimed_amount + EXCLUDED.claimed_amount, recovered_amount = t.recovered_amount + EXCLUDED.recovered_amount, shortfall_amount = t.shortfall_amount + EXCLUDED.shortfall_amount, inventory_amount = t.inventory_amount + EXCLUDED.inventory_amount, reimbursed_count = t.reimbursed_count + EXCLUDED.reimbursed_count;
    ELSIF TG_OP = 'UPDATE' THEN 
    INSERT INTO cases_casetotals AS t (tenant_id, seller_account_id, currency, status, reimbursement_type, case_count, claimed_amount, recovered_amount, shortfall_amount, inventory_amount, reimbursed_count)
    SELECT tenant_id, seller_account_id, currency, status, reimbursement_type, sum(case_count), sum(claimed_amount), sum(recovered_amount), sum(shortfall_amount), sum(inventory_amount), sum(reimbursed_count) FROM (
        SELECT tenant_id, seller_account_id, currency, status, reimbursement_type, 1, claimed_amount, recovered_amount, greatest(claimed_amount - recovered_amount, 0), inventory_value, CASE WHEN recovered_amount <> 0 OR units_reimbursed_cash <> 0 OR units_reimbursed_inventory <> 0 THEN 1 ELSE 0 END FROM new_rows
        UNION ALL
        SELECT tenant_id, seller_account_id, currency, status, reimbursement_type, -1, -claimed_amount, -recovered_amount, -greatest(claimed_amount - recovered_amount, 0), -inventory_value, -CASE WHEN recovered_amount <> 0 OR units_reimbursed_cash <> 0 OR units_reimbursed_inventory <> 0 THEN 1 ELSE 0 END FROM old_rows
    ) AS delta(tenant_id, seller_account_id, currency, status, reimbursement_type, case_count, claimed_amount, recovered_amount, shortfall_amount, inventory_amount, reimbursed_count)
    GROUP BY 1, 2, 3, 4, 5
    HAVING sum(case_count) <> 0 OR sum(claimed_amount) <> 0 OR sum(recovered_amount) <> 0 OR sum(shortfall_amount) <> 0 OR sum(inventory_amount) <> 0 OR sum(reimbursed_count) <> 0
    ORDER BY 1, 2, 3, 4, 5
    ON CONFLICT (tenant_id, seller_account_id, currency, status, reimbursement_type) DO UPDATE SET case_count = t.case_count + EXCLUDED.case_count, claimed_amount = t.claimed_amount + EXCLUDED.claimed_amount, recovered_amount = t.recovered_amount + EXCLUDED.recovered_amount, shortfall_amount = t.shortfall_amount + EXCLUDED.shortfall_amount, inventory_amount = t.inventory_amount + EXCLUDED.inventory_amount, reimbursed_count = t.reimbursed_count + EXCLUDED.reimbursed_count;
    ELSE 
    INSERT INTO cases_casetotals AS t (tenant_id, seller_account_id, currency, status, reimbursement_type, case_count, claimed_amount, recovered_amount, shortfall_amount, inventory_amount, reimbursed_count)
    SELECT tenant_id, seller_account_id, currency, status, reimbursement_type, sum(case_count), sum(claimed_amount), sum(recovered_amount), sum(shortfall_amount), sum(inventory_amount), sum(reimbursed_count) FROM (
        SELECT tenant_id, seller_account_id, currency, status, reimbursement_type, -1, -claimed_amount, -recovered_amount, -greatest(claimed_amount - recovered_amount, 0), -inventory_value, -CASE WHEN recovered_amount <> 0 OR units_reimbursed_cash <> 0 OR units_reimbursed_inventory <> 0 THEN 1 ELSE 0 END FROM old_rows
    ) AS delta(tenant_id, seller_account_id, currency, status, reimbursement_type, case_count, claimed_amount, recovered_amount, shortfall_amount, inventory_amount, reimbursed_count)
    GROUP BY 1, 2, 3, 4, 5
    HAVING sum(case_count) <> 0 OR sum(claimed_amount) <> 0 OR sum(recovered_amount) <> 0 OR sum(shortfall_amount) <> 0 OR sum(inventory_amount) <> 0 OR sum(reimbursed_count) <> 0
    ORDER BY 1, 2, 3, 4, 5
    ON CONFLICT (tenant_id, seller_account_id, currency, status, reimbursement_type) DO UPDATE SET case_count = t.case_count + EXCLUDED.case_count, claimed_amount = t.claimed_amount + EXCLUDED.claimed_amount, recovered_amount = t.recovered_amount + EXCLUDED.recovered_amount, shortfall_amount = t.shortfall_amount + EXCLUDED.shortfall_amount, inventory_amount = t.inventory_amount + EXCLUDED.inventory_amount, reimbursed_count = t.reimbursed_count + EXCLUDED.reimbursed_count;
    END IF;
    RETURN NULL;
END $$;"""

PREVIOUS_FUNCTION = """
CREATE OR REPLACE FUNCTION cases_case_totals() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN 
    INSERT INTO cases_casetotals AS t (tenant_id, seller_account_id, currency, status, reimbursement_type, case_count, claimed_amount, recovered_amount, shortfall_amount)
    SELECT tenant_id, seller_account_id, currency, status, reimbursement_type, sum(case_count), sum(claimed_amount), sum(recovered_amount), sum(shortfall_amount) FROM (
        SELECT tenant_id, seller_account_id, currency, status, reimbursement_type, 1, claimed_amount, recovered_amount, greatest(claimed_amount - recovered_amount, 0) FROM new_rows
    ) AS delta(tenant_id, seller_account_id, currency, status, reimbursement_type, case_count, claimed_amount, recovered_amount, shortfall_amount)
    GROUP BY 1, 2, 3, 4, 5
    HAVING sum(case_count) <> 0 OR sum(claimed_amount) <> 0 OR sum(recovered_amount) <> 0 OR sum(shortfall_amount) <> 0
    ORDER BY 1, 2, 3, 4, 5
    ON CONFLICT (tenant_id, seller_account_id, currency, status, reimbursement_type) DO UPDATE SET case_count = t.case_count + EXCLUDED.case_count, claimed_amount = t.claimed_amount + EXCLUDED.claimed_amount, recovered_amount = t.recovered_amount + EXCLUDED.recovered_amount, shortfall_amount = t.shortfall_amount + EXCLUDED.shortfall_amount;
    ELSIF TG_OP = 'UPDATE' THEN 
    INSERT INTO cases_casetotals AS t (tenant_id, seller_account_id, currency, status, reimbursement_type, case_count, claimed_amount, recovered_amount, shortfall_amount)
    SELECT tenant_id, seller_account_id, currency, status, reimbursement_type, sum(case_count), sum(claimed_amount), sum(recovered_amount), sum(shortfall_amount) FROM (
        SELECT tenant_id, seller_account_id, currency, status, reimbursement_type, 1, claimed_amount, recovered_amount, greatest(claimed_amount - recovered_amount, 0) FROM new_rows
        UNION ALL
        SELECT tenant_id, seller_account_id, currency, status, reimbursement_type, -1, -claimed_amount, -recovered_amount, -greatest(claimed_amount - recovered_amount, 0) FROM old_rows
    ) AS delta(tenant_id, seller_account_id, currency, status, reimbursement_type, case_count, claimed_amount, recovered_amount, shortfall_amount)
    GROUP BY 1, 2, 3, 4, 5
    HAVING sum(case_count) <> 0 OR sum(claimed_amount) <> 0 OR sum(recovered_amount) <> 0 OR sum(shortfall_amount) <> 0
    ORDER BY 1, 2, 3, 4, 5
    ON CONFLICT (tenant_id, seller_account_id, currency, status, reimbursement_type) DO UPDATE SET case_count = t.case_count + EXCLUDED.case_count, claimed_amount = t.claimed_amount + EXCLUDED.claimed_amount, recovered_amount = t.recovered_amount + EXCLUDED.recovered_amount, shortfall_amount = t.shortfall_amount + EXCLUDED.shortfall_amount;
    ELSE 
    INSERT INTO cases_casetotals AS t (tenant_id, seller_account_id, currency, status, reimbursement_type, case_count, claimed_amount, recovered_amount, shortfall_amount)
    SELECT tenant_id, seller_account_id, currency, status, reimbursement_type, sum(case_count), sum(claimed_amount), sum(recovered_amount), sum(shortfall_amount) FROM (
        SELECT tenant_id, seller_account_id, currency, status, reimbursement_type, -1, -claimed_amount, -recovered_amount, -greatest(claimed_amount - recovered_amount, 0) FROM old_rows
    ) AS delta(tenant_id, seller_account_id, currency, status, reimbursement_type, case_count, claimed_amount, recovered_amount, shortfall_amount)
    GROUP BY 1, 2, 3, 4, 5
    HAVING sum(case_count) <> 0 OR sum(claimed_amount) <> 0 OR sum(recovered_amount) <> 0 OR sum(shortfall_amount) <> 0
    ORDER BY 1, 2, 3, 4, 5
    ON CONFLICT (tenant_id, seller_account_id, currency, status, reimbursement_type) DO UPDATE SET case_count = t.case_count + EXCLUDED.case_count, claimed_amount = t.claimed_amount + EXCLUDED.claimed_amount, recovered_amount = t.recovered_amount + EXCLUDED.recovered_amount, shortfall_amount = t.shortfall_amount + EXCLUDED.shortfall_amount;
    END IF;
    RETURN NULL;
END $$;"""

BACKFILL = """
UPDATE cases_casetotals t
SET inventory_amount = e.inventory_amount, reimbursed_count = e.reimbursed_count
FROM (
    SELECT tenant_id, seller_account_id, currency, status, reimbursement_type,
        sum(inventory_value) AS inventory_amount,
        count(*) FILTER (WHERE recovered_amount <> 0 OR units_reimbursed_cash <> 0 OR units_reimbursed_inventory <> 0) AS reimbursed_count
    FROM cases_case
    GROUP BY tenant_id, seller_account_id, currency, status, reimbursement_type
) e
WHERE (t.tenant_id, t.seller_account_id, t.currency, t.status, t.reimbursement_type)
    = (e.tenant_id, e.seller_account_id, e.currency, e.status, e.reimbursement_type)
"""


class Migration(migrations.Migration):

    dependencies = [
        ('cases', '0007_ledger_case_event_and_window'),
    ]

    operations = [
        migrations.AddField(
            model_name='case',
            name='inventory_value',
            field=models.GeneratedField(db_persist=True, expression=models.Case(models.When(models.Q(('units_claimed__gt', 0), ('units_reimbursed_inventory__gt', 0)), then=django.db.models.functions.comparison.Least(django.db.models.functions.math.Round(django.db.models.expressions.CombinedExpression(django.db.models.expressions.CombinedExpression(models.F('claimed_amount'), '*', models.F('units_reimbursed_inventory')), '/', models.F('units_claimed')), precision=2), django.db.models.functions.comparison.Greatest(django.db.models.expressions.CombinedExpression(models.F('claimed_amount'), '-', models.F('recovered_amount')), models.Value(Decimal('0'))))), default=models.Value(Decimal('0')), output_field=models.DecimalField(decimal_places=2, max_digits=14)), help_text="The units returned to inventory at the claim's value per unit, never more than the claim left unpaid in cash: the part of the claim settled in units, not money.", output_field=models.DecimalField(decimal_places=2, max_digits=14), verbose_name='returned to inventory value'),
        ),
        migrations.AddField(
            model_name='casetotals',
            name='inventory_amount',
            field=models.DecimalField(decimal_places=2, default=0, help_text="Sum of the cases' `inventory_value`.", max_digits=20),
        ),
        migrations.AddField(
            model_name='casetotals',
            name='reimbursed_count',
            field=models.BigIntegerField(default=0, help_text='Cases that recovered money or units (`CaseQuerySet.reimbursed`).'),
        ),
        migrations.RunSQL(FUNCTION, PREVIOUS_FUNCTION),
        migrations.RunSQL(BACKFILL, migrations.RunSQL.noop),
    ]
