"""A record entered by hand is identified by its product and order too (SKU, FNSKU, ASIN, order ID): one
reimbursement ID can pay several lines of the same amount, and staff could type in only the first.

The identity only grows, so the records already stored satisfy the new constraint.
"""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0003_digest_opt_in_and_digest_sent'),
        ('cases', '0005_records_identity_and_voids'),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name='reimbursementrecord',
            name='record_manual_once',
        ),
        migrations.AddConstraint(
            model_name='reimbursementrecord',
            constraint=models.UniqueConstraint(condition=models.Q(('origin', 'manual'), ('voided_at__isnull', True)), fields=('seller_account', 'reimbursement_id', 'case_reference', 'currency', 'amount_total', 'quantity_cash', 'quantity_inventory', 'sku', 'fnsku', 'asin', 'amazon_order_id'), name='record_manual_once'),
        ),
    ]
