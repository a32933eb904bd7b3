"""Cheaper writes of detected opportunities: no database foreign key checks on their tenant and seller account
(two deferred checks per row at commit, about 2 s of a first import's 80,000), and no index of (seller
account, FNSKU), which the unique constraint of an event already begins with."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0009_audit_log'),
        ('ledger', '0007_opportunity_totals'),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='opportunity',
            name='opportunity_account_fnsku',
        ),
        migrations.AlterField(
            model_name='opportunity',
            name='seller_account',
            field=models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='accounts.selleraccount'),
        ),
        migrations.AlterField(
            model_name='opportunity',
            name='tenant',
            field=models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='accounts.tenant'),
        ),
    ]
