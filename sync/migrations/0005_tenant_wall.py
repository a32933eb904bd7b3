"""Row-level security on the sync runs (the policy: accounts/0007_tenant_wall)."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0007_tenant_wall'),
        ('sync', '0004_ledger_run_report'),
    ]

    operations = [
        migrations.RunSQL("SELECT tenant_wall_enable('sync_syncrun')", "SELECT tenant_wall_disable('sync_syncrun')"),
    ]
