"""Indexes for the sorts of the lists: amounts by currency first (two currencies never interleave), and
Reimbursed Cases by last reimbursed, on a partial index of its own rows (the cases that recovered money or
units). The amount indexes without the currency go: nothing sorts by them any more."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0003_digest_opt_in_and_digest_sent'),
        ('cases', '0008_case_inventory_value'),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='case',
            name='case_t_claimed',
        ),
        migrations.RemoveIndex(
            model_name='case',
            name='case_t_recovered',
        ),
        migrations.AddIndex(
            model_name='case',
            index=models.Index(fields=['tenant', 'currency', 'claimed_amount', 'id'], name='case_t_cur_claimed'),
        ),
        migrations.AddIndex(
            model_name='case',
            index=models.Index(fields=['tenant', 'currency', 'recovered_amount', 'id'], name='case_t_cur_recovered'),
        ),
        migrations.AddIndex(
            model_name='case',
            index=models.Index(condition=models.Q(models.Q(('recovered_amount', 0), _negated=True), models.Q(('units_reimbursed_cash', 0), _negated=True), models.Q(('units_reimbursed_inventory', 0), _negated=True), _connector='OR'), fields=['tenant', 'last_reimbursed_on', 'id'], name='case_t_reimbursed'),
        ),
    ]
