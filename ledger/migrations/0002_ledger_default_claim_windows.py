"""The claim windows of DOMAIN's table, as of late 2024; staff edit them in admin afterwards.

The values are frozen here: a later change of the defaults is a new migration.
A lost or damaged unit opens at 30 days: Amazon pays most warehouse losses on its own within about 30.
"""

from django.db import migrations

DEFAULT_WINDOWS = (
    ("amazon", "lost_warehouse", 30, 60, "60 days from when the loss was reported"),
    ("amazon", "damaged_warehouse", 30, 60, "60 days from when the damage was reported"),
    ("amazon", "customer_return", 60, 120, "60–120 days after the refund (EU 45–105)"),
    ("amazon", "removal_order", 15, 75, "15–75 days from shipment creation"),
    ("amazon", "lost_inbound", 15, 60, "15–60 days after delivery"),
    ("amazon", "fee_overcharge", 0, 90, "referral fee: 90 days"),
    ("walmart", "lost_inbound", 10, 50, "inbound discrepancy: 10–50 days after delivery"),
    ("walmart", "customer_return", 0, 45, "return disputes within 45 days"),
)


def add_defaults(apps, schema_editor):
    ClaimWindow = apps.get_model("ledger", "ClaimWindow")
    for marketplace, claim_type, opens, closes, note in DEFAULT_WINDOWS:
        ClaimWindow.objects.get_or_create(
            marketplace=marketplace, claim_type=claim_type,
            defaults={"opens_after_days": opens, "closes_after_days": closes, "note": note},
        )


class Migration(migrations.Migration):
    dependencies = [("ledger", "0001_ledger_initial")]
    operations = [migrations.RunPython(add_defaults, migrations.RunPython.noop)]
