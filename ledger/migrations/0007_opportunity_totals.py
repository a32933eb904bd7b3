"""`OpportunityTotals`: opportunities per tenant, seller account, claim type, currency, stored state and window
dates, kept by statement triggers on `ledger_opportunity` (SQL frozen here; the readable form is in
`ledger.rollups`) and filled from the opportunities that exist; behind the tenant wall. The dashboard's funnel
and the Identified page's counts read it instead of every opportunity of the tenant. And an index of the
opportunities that became cases, for the funnel's claimed side.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

INSTALL = """
CREATE OR REPLACE FUNCTION ledger_opportunity_totals() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN 
    INSERT INTO ledger_opportunitytotals AS t (tenant_id, seller_account_id, claim_type, currency, stored_state, window_opens_on, window_closes_on, opportunity_count, amount)
    SELECT tenant_id, seller_account_id, claim_type, currency, stored_state, window_opens_on, window_closes_on, sum(opportunity_count), sum(amount) FROM (
        SELECT tenant_id, seller_account_id, claim_type, currency, CASE WHEN dismissed_at IS NOT NULL THEN 'dismissed' WHEN case_id IS NOT NULL THEN 'claimed' WHEN units_open <= 0 THEN 'resolved' ELSE 'open' END, window_opens_on, window_closes_on, 1, coalesce(amount, 0) FROM new_rows
    ) AS delta(tenant_id, seller_account_id, claim_type, currency, stored_state, window_opens_on, window_closes_on, opportunity_count, amount)
    GROUP BY 1, 2, 3, 4, 5, 6, 7
    HAVING sum(opportunity_count) <> 0 OR sum(amount) <> 0
    ORDER BY 1, 2, 3, 4, 5, 6, 7
    ON CONFLICT (tenant_id, seller_account_id, claim_type, currency, stored_state, window_opens_on, window_closes_on) DO UPDATE SET opportunity_count = t.opportunity_count + EXCLUDED.opportunity_count, amount = t.amount + EXCLUDED.amount;
    ELSIF TG_OP = 'UPDATE' THEN 
    INSERT INTO ledger_opportunitytotals AS t (tenant_id, seller_account_id, claim_type, currency, stored_state, window_opens_on, window_closes_on, opportunity_count, amount)
    SELECT tenant_id, seller_account_id, claim_type, currency, stored_state, window_opens_on, window_closes_on, sum(opportunity_count), sum(amount) FROM (
        SELECT tenant_id, seller_account_id, claim_type, currency, CASE WHEN dismissed_at IS NOT NULL THEN 'dismissed' WHEN case_id IS NOT NULL THEN 'claimed' WHEN units_open <= 0 THEN 'resolved' ELSE 'open' END, window_opens_on, window_closes_on, 1, coalesce(amount, 0) FROM new_rows
        UNION ALL
        SELECT tenant_id, seller_account_id, claim_type, currency, CASE WHEN dismissed_at IS NOT NULL THEN 'dismissed' WHEN case_id IS NOT NULL THEN 'claimed' WHEN units_open <= 0 THEN 'resolved' ELSE 'open' END, window_opens_on, window_closes_on, -1, -coalesce(amount, 0) FROM old_rows
    ) AS delta(tenant_id, seller_account_id, claim_type, currency, stored_state, window_opens_on, window_closes_on, opportunity_count, amount)
    GROUP BY 1, 2, 3, 4, 5, 6, 7
    HAVING sum(opportunity_count) <> 0 OR sum(amount) <> 0
    ORDER BY 1, 2, 3, 4, 5, 6, 7
    ON CONFLICT (tenant_id, seller_account_id, claim_type, currency, stored_state, window_opens_on, window_closes_on) DO UPDATE SET opportunity_count = t.opportunity_count + EXCLUDED.opportunity_count, amount = t.amount + EXCLUDED.amount;
    ELSE 
    INSERT INTO ledger_opportunitytotals AS t (tenant_id, seller_account_id, claim_type, currency, stored_state, window_opens_on, window_closes_on, opportunity_count, amount)
    SELECT tenant_id, seller_account_id, claim_type, currency, stored_state, window_opens_on, window_closes_on, sum(opportunity_count), sum(amount) FROM (
        SELECT tenant_id, seller_account_id, claim_type, currency, CASE WHEN dismissed_at IS NOT NULL THEN 'dismissed' WHEN case_id IS NOT NULL THEN 'claimed' WHEN units_open <= 0 THEN 'resolved' ELSE 'open' END, window_opens_on, window_closes_on, -1, -coalesce(amount, 0) FROM old_rows
    ) AS delta(tenant_id, seller_account_id, claim_type, currency, stored_state, window_opens_on, window_closes_on, opportunity_count, amount)
    GROUP BY 1, 2, 3, 4, 5, 6, 7
    HAVING sum(opportunity_count) <> 0 OR sum(amount) <> 0
    ORDER BY 1, 2, 3, 4, 5, 6, 7
    ON CONFLICT (tenant_id, seller_account_id, claim_type, currency, stored_state, window_opens_on, window_closes_on) DO UPDATE SET opportunity_count = t.opportunity_count + EXCLUDED.opportunity_count, amount = t.amount + EXCLUDED.amount;
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER ledger_opportunity_totals_insert AFTER INSERT ON ledger_opportunity REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION ledger_opportunity_totals();
CREATE TRIGGER ledger_opportunity_totals_update AFTER UPDATE ON ledger_opportunity REFERENCING NEW TABLE AS new_rows OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION ledger_opportunity_totals();
CREATE TRIGGER ledger_opportunity_totals_delete AFTER DELETE ON ledger_opportunity REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION ledger_opportunity_totals();"""

UNINSTALL = """
DROP TRIGGER IF EXISTS ledger_opportunity_totals_insert ON ledger_opportunity;
DROP TRIGGER IF EXISTS ledger_opportunity_totals_update ON ledger_opportunity;
DROP TRIGGER IF EXISTS ledger_opportunity_totals_delete ON ledger_opportunity;
DROP FUNCTION IF EXISTS ledger_opportunity_totals();
"""

BACKFILL = """
SELECT set_config('app.all_tenants', 'on', true);
INSERT INTO ledger_opportunitytotals (
    tenant_id, seller_account_id, claim_type, currency, stored_state, window_opens_on, window_closes_on,
    opportunity_count, amount
)
SELECT tenant_id, seller_account_id, claim_type, currency, CASE WHEN dismissed_at IS NOT NULL THEN 'dismissed' WHEN case_id IS NOT NULL THEN 'claimed' WHEN units_open <= 0 THEN 'resolved' ELSE 'open' END, window_opens_on, window_closes_on, count(*), sum(coalesce(amount, 0))
FROM ledger_opportunity
GROUP BY 1, 2, 3, 4, 5, 6, 7;
SELECT set_config('app.all_tenants', '', true);
"""
"""Every tenant's opportunities (behind the tenant wall since ledger/0006, for the owner too), in the
migration's transaction only."""


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0009_audit_log'),
        ('cases', '0013_tenant_wall'),
        ('ledger', '0006_tenant_wall'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='OpportunityTotals',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('claim_type', models.CharField(choices=[('lost_warehouse', 'Lost in warehouse'), ('damaged_warehouse', 'Damaged in warehouse'), ('lost_inbound', 'Lost inbound / shipment discrepancy'), ('customer_return', 'Customer return / refund'), ('removal_order', 'Removal order'), ('fee_overcharge', 'Fee overcharge'), ('other', 'Other')], max_length=32)),
                ('currency', models.CharField(blank=True, max_length=3)),
                ('stored_state', models.CharField(max_length=16)),
                ('window_opens_on', models.DateField()),
                ('window_closes_on', models.DateField()),
                ('opportunity_count', models.BigIntegerField(default=0)),
                ('amount', models.DecimalField(decimal_places=2, default=0, max_digits=20)),
            ],
            options={
                'verbose_name_plural': 'opportunity totals',
            },
        ),
        migrations.AddIndex(
            model_name='opportunity',
            index=models.Index(condition=models.Q(('case__isnull', False)), fields=['tenant', 'case'], name='opportunity_t_claimed'),
        ),
        migrations.AddField(
            model_name='opportunitytotals',
            name='seller_account',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='accounts.selleraccount'),
        ),
        migrations.AddField(
            model_name='opportunitytotals',
            name='tenant',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='accounts.tenant'),
        ),
        migrations.AddConstraint(
            model_name='opportunitytotals',
            constraint=models.UniqueConstraint(fields=('tenant', 'seller_account', 'claim_type', 'currency', 'stored_state', 'window_opens_on', 'window_closes_on'), name='opportunity_totals_bucket'),
        ),
        migrations.RunSQL("SELECT tenant_wall_enable('ledger_opportunitytotals')",
                          "SELECT tenant_wall_disable('ledger_opportunitytotals')"),
        migrations.RunSQL(INSTALL, UNINSTALL),
        migrations.RunSQL(BACKFILL, migrations.RunSQL.noop),
    ]
