"""Row-level security on the sync runs (the policy: accounts/0004_rls_tenant_wall)."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0004_rls_tenant_wall'),
        ('sync', '0003_records_identity_and_voids'),
    ]

    operations = [
        migrations.RunSQL("SELECT tenant_wall_enable('sync_syncrun')", "SELECT tenant_wall_disable('sync_syncrun')"),
    ]
