"""Row-level security on the cases tables (the policy: accounts/0007_tenant_wall)."""

from django.db import migrations

TABLES = [
    "cases_case", "cases_caseevent", "cases_casesearchkey", "cases_casetotals", "cases_dailyrecovery",
    "cases_monthlyrecovery", "cases_producttotals", "cases_reimbursementrecord",
]


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0007_tenant_wall'),
        ('cases', '0012_prefix_and_word_search'),
    ]

    operations = [
        migrations.RunSQL(f"SELECT tenant_wall_enable('{table}')", f"SELECT tenant_wall_disable('{table}')")
        for table in TABLES
    ]
