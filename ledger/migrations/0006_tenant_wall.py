"""Row-level security on the ledger's tenant tables (the policy: accounts/0007_tenant_wall). Claim
windows are reference data of no tenant."""

from django.db import migrations

TABLES = ["ledger_ledgerline", "ledger_opportunity", "ledger_skuprice"]


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0007_tenant_wall'),
        ('ledger', '0005_ledger_opportunity_order_index'),
    ]

    operations = [
        migrations.RunSQL(f"SELECT tenant_wall_enable('{table}')", f"SELECT tenant_wall_disable('{table}')")
        for table in TABLES
    ]
