"""Row-level security on the cases tables (the policy: accounts/0004_rls_tenant_wall)."""

from django.db import migrations

TABLES = [
    "cases_case", "cases_caseevent", "cases_casesearchkey", "cases_casetotals", "cases_monthlyrecovery",
    "cases_reimbursementrecord",
]


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0004_rls_tenant_wall'),
        ('cases', '0006_manual_identity_names_the_product'),
    ]

    operations = [
        migrations.RunSQL(f"SELECT tenant_wall_enable('{table}')", f"SELECT tenant_wall_disable('{table}')")
        for table in TABLES
    ]
