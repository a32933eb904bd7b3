"""Every record once, and a way back: manual records get an identity, records can be voided.

- `origin` tells report lines, records entered by hand and voids apart. Records entered by hand
  before this migration (their source reads "Entered by ...") become manual records, except a second
  copy of the same reimbursement (the double entry this change prevents): those stay as they are,
  for staff to find (same reimbursement ID, case ID and amount) and void.
- The trigger functions change, with their SQL frozen here (see `cases.sql.rollups` for the readable
  form): `MonthlyRecovery.record_count` counts a void as minus one, and a record may be voided once
  and, if entered by hand, confirmed once by a report line, taking the line's identity.
"""

import django.db.models.deletion
from django.db import migrations, models


MARK_MANUAL = """
UPDATE cases_reimbursementrecord r SET origin = 'manual'
WHERE r.source LIKE 'Entered by %'
  AND NOT EXISTS (
    SELECT FROM cases_reimbursementrecord e
    WHERE e.source LIKE 'Entered by %' AND e.id < r.id AND e.seller_account_id = r.seller_account_id
      AND e.reimbursement_id = r.reimbursement_id AND e.case_reference = r.case_reference
      AND e.currency = r.currency AND e.amount_total = r.amount_total
      AND e.quantity_cash = r.quantity_cash AND e.quantity_inventory = r.quantity_inventory
  )
"""

FUNCTIONS = """
CREATE OR REPLACE FUNCTION cases_monthly_recovery() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN 
    INSERT INTO cases_monthlyrecovery AS t (tenant_id, seller_account_id, currency, month, automatic, amount, record_count)
    SELECT tenant_id, seller_account_id, currency, month, automatic, sum(amount), sum(record_count) FROM (
        SELECT tenant_id, seller_account_id, currency, date_trunc('month', approval_date AT TIME ZONE 'UTC')::date, case_reference = '', amount_total, CASE WHEN voids_id IS NULL THEN 1 ELSE -1 END FROM new_rows
    ) AS delta(tenant_id, seller_account_id, currency, month, automatic, amount, record_count)
    GROUP BY 1, 2, 3, 4, 5
    HAVING sum(amount) <> 0 OR sum(record_count) <> 0
    ORDER BY 1, 2, 3, 4, 5
    ON CONFLICT (tenant_id, seller_account_id, currency, month, automatic) DO UPDATE SET amount = t.amount + EXCLUDED.amount, record_count = t.record_count + EXCLUDED.record_count;
    ELSIF TG_OP = 'UPDATE' THEN 
    INSERT INTO cases_monthlyrecovery AS t (tenant_id, seller_account_id, currency, month, automatic, amount, record_count)
    SELECT tenant_id, seller_account_id, currency, month, automatic, sum(amount), sum(record_count) FROM (
        SELECT tenant_id, seller_account_id, currency, date_trunc('month', approval_date AT TIME ZONE 'UTC')::date, case_reference = '', amount_total, CASE WHEN voids_id IS NULL THEN 1 ELSE -1 END FROM new_rows
        UNION ALL
        SELECT tenant_id, seller_account_id, currency, date_trunc('month', approval_date AT TIME ZONE 'UTC')::date, case_reference = '', -amount_total, -CASE WHEN voids_id IS NULL THEN 1 ELSE -1 END FROM old_rows
    ) AS delta(tenant_id, seller_account_id, currency, month, automatic, amount, record_count)
    GROUP BY 1, 2, 3, 4, 5
    HAVING sum(amount) <> 0 OR sum(record_count) <> 0
    ORDER BY 1, 2, 3, 4, 5
    ON CONFLICT (tenant_id, seller_account_id, currency, month, automatic) DO UPDATE SET amount = t.amount + EXCLUDED.amount, record_count = t.record_count + EXCLUDED.record_count;
    ELSE 
    INSERT INTO cases_monthlyrecovery AS t (tenant_id, seller_account_id, currency, month, automatic, amount, record_count)
    SELECT tenant_id, seller_account_id, currency, month, automatic, sum(amount), sum(record_count) FROM (
        SELECT tenant_id, seller_account_id, currency, date_trunc('month', approval_date AT TIME ZONE 'UTC')::date, case_reference = '', -amount_total, -CASE WHEN voids_id IS NULL THEN 1 ELSE -1 END FROM old_rows
    ) AS delta(tenant_id, seller_account_id, currency, month, automatic, amount, record_count)
    GROUP BY 1, 2, 3, 4, 5
    HAVING sum(amount) <> 0 OR sum(record_count) <> 0
    ORDER BY 1, 2, 3, 4, 5
    ON CONFLICT (tenant_id, seller_account_id, currency, month, automatic) DO UPDATE SET amount = t.amount + EXCLUDED.amount, record_count = t.record_count + EXCLUDED.record_count;
    END IF;
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION cases_record_only_matches() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF (NEW.tenant_id, NEW.seller_account_id, NEW.case_reference, NEW.approval_date, NEW.currency,
        NEW.amount_total, NEW.quantity_cash, NEW.quantity_inventory, NEW.origin, NEW.voids_id)
       IS DISTINCT FROM
       (OLD.tenant_id, OLD.seller_account_id, OLD.case_reference, OLD.approval_date, OLD.currency,
        OLD.amount_total, OLD.quantity_cash, OLD.quantity_inventory, OLD.origin, OLD.voids_id)
       OR (OLD.voided_at IS NOT NULL AND NEW.voided_at IS DISTINCT FROM OLD.voided_at)
    THEN
        RAISE EXCEPTION 'reimbursement records are facts: only their case may be set, and a void once'
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF (NEW.fingerprint, NEW.occurrence, NEW.source_line, NEW.sync_run_id, NEW.confirmed_at)
       IS DISTINCT FROM (OLD.fingerprint, OLD.occurrence, OLD.source_line, OLD.sync_run_id, OLD.confirmed_at)
       AND NOT (OLD.origin = 'manual' AND OLD.confirmed_at IS NULL AND NEW.confirmed_at IS NOT NULL)
    THEN
        RAISE EXCEPTION 'a record takes a report line''s identity only once, when the line confirms it'
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END $$;
"""

PREVIOUS_FUNCTIONS = """
CREATE OR REPLACE FUNCTION cases_monthly_recovery() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN 
    INSERT INTO cases_monthlyrecovery AS t (tenant_id, seller_account_id, currency, month, automatic, amount, record_count)
    SELECT tenant_id, seller_account_id, currency, month, automatic, sum(amount), sum(record_count) FROM (
        SELECT tenant_id, seller_account_id, currency, date_trunc('month', approval_date AT TIME ZONE 'UTC')::date, case_reference = '', amount_total, 1 FROM new_rows
    ) AS delta(tenant_id, seller_account_id, currency, month, automatic, amount, record_count)
    GROUP BY 1, 2, 3, 4, 5
    HAVING sum(amount) <> 0 OR sum(record_count) <> 0
    ORDER BY 1, 2, 3, 4, 5
    ON CONFLICT (tenant_id, seller_account_id, currency, month, automatic) DO UPDATE SET amount = t.amount + EXCLUDED.amount, record_count = t.record_count + EXCLUDED.record_count;
    ELSIF TG_OP = 'UPDATE' THEN 
    INSERT INTO cases_monthlyrecovery AS t (tenant_id, seller_account_id, currency, month, automatic, amount, record_count)
    SELECT tenant_id, seller_account_id, currency, month, automatic, sum(amount), sum(record_count) FROM (
        SELECT tenant_id, seller_account_id, currency, date_trunc('month', approval_date AT TIME ZONE 'UTC')::date, case_reference = '', amount_total, 1 FROM new_rows
        UNION ALL
        SELECT tenant_id, seller_account_id, currency, date_trunc('month', approval_date AT TIME ZONE 'UTC')::date, case_reference = '', -amount_total, -1 FROM old_rows
    ) AS delta(tenant_id, seller_account_id, currency, month, automatic, amount, record_count)
    GROUP BY 1, 2, 3, 4, 5
    HAVING sum(amount) <> 0 OR sum(record_count) <> 0
    ORDER BY 1, 2, 3, 4, 5
    ON CONFLICT (tenant_id, seller_account_id, currency, month, automatic) DO UPDATE SET amount = t.amount + EXCLUDED.amount, record_count = t.record_count + EXCLUDED.record_count;
    ELSE 
    INSERT INTO cases_monthlyrecovery AS t (tenant_id, seller_account_id, currency, month, automatic, amount, record_count)
    SELECT tenant_id, seller_account_id, currency, month, automatic, sum(amount), sum(record_count) FROM (
        SELECT tenant_id, seller_account_id, currency, date_trunc('month', approval_date AT TIME ZONE 'UTC')::date, case_reference = '', -amount_total, -1 FROM old_rows
    ) AS delta(tenant_id, seller_account_id, currency, month, automatic, amount, record_count)
    GROUP BY 1, 2, 3, 4, 5
    HAVING sum(amount) <> 0 OR sum(record_count) <> 0
    ORDER BY 1, 2, 3, 4, 5
    ON CONFLICT (tenant_id, seller_account_id, currency, month, automatic) DO UPDATE SET amount = t.amount + EXCLUDED.amount, record_count = t.record_count + EXCLUDED.record_count;
    END IF;
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION cases_record_only_matches() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF (NEW.tenant_id, NEW.seller_account_id, NEW.case_reference, NEW.approval_date, NEW.currency,
        NEW.amount_total, NEW.quantity_cash, NEW.quantity_inventory, NEW.fingerprint, NEW.occurrence)
       IS DISTINCT FROM
       (OLD.tenant_id, OLD.seller_account_id, OLD.case_reference, OLD.approval_date, OLD.currency,
        OLD.amount_total, OLD.quantity_cash, OLD.quantity_inventory, OLD.fingerprint, OLD.occurrence)
    THEN
        RAISE EXCEPTION 'reimbursement records are facts: only their case may be set'
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END $$;
"""


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0003_digest_opt_in_and_digest_sent'),
        ('cases', '0004_leaner_record_and_event_indexes'),
    ]

    operations = [
        migrations.AddField(
            model_name='reimbursementrecord',
            name='confirmed_at',
            field=models.DateTimeField(blank=True, editable=False, help_text='When a report line confirmed this manual record.', null=True),
        ),
        migrations.AddField(
            model_name='reimbursementrecord',
            name='origin',
            field=models.CharField(choices=[('report', 'Marketplace report'), ('manual', 'Entered by the reimbursement team'), ('void', 'Void of another record')], db_default='report', editable=False, max_length=8),
        ),
        migrations.AddField(
            model_name='reimbursementrecord',
            name='sync_run_id',
            field=models.BigIntegerField(blank=True, editable=False, help_text='The SyncRun whose report brought the line (or confirmed a manual record). A plain id: cases sits below sync and knows none of its models.', null=True, verbose_name='sync run'),
        ),
        migrations.AddField(
            model_name='reimbursementrecord',
            name='voided_at',
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name='reimbursementrecord',
            name='voids',
            field=models.ForeignKey(blank=True, db_index=False, editable=False, help_text='The record this one cancels.', null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='cases.reimbursementrecord'),
        ),
        migrations.RunSQL(MARK_MANUAL, migrations.RunSQL.noop),
        migrations.RunSQL(FUNCTIONS, PREVIOUS_FUNCTIONS),
        migrations.AddIndex(
            model_name='reimbursementrecord',
            index=models.Index(condition=models.Q(('sync_run_id__isnull', False)), fields=['sync_run_id'], name='record_run'),
        ),
        migrations.AddConstraint(
            model_name='reimbursementrecord',
            constraint=models.UniqueConstraint(condition=models.Q(('origin', 'manual'), ('voided_at__isnull', True)), fields=('seller_account', 'reimbursement_id', 'case_reference', 'currency', 'amount_total', 'quantity_cash', 'quantity_inventory'), name='record_manual_once'),
        ),
        migrations.AddConstraint(
            model_name='reimbursementrecord',
            constraint=models.UniqueConstraint(condition=models.Q(('voids__isnull', False)), fields=('voids',), name='record_void_once'),
        ),
        migrations.AddConstraint(
            model_name='reimbursementrecord',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('origin', 'void'), ('voided_at__isnull', True), ('voids__isnull', False)), models.Q(models.Q(('origin', 'void'), _negated=True), ('voids__isnull', True)), _connector='OR'), name='record_void_names_its_original'),
        ),
        migrations.AddConstraint(
            model_name='reimbursementrecord',
            constraint=models.CheckConstraint(condition=models.Q(('confirmed_at__isnull', True), ('origin', 'manual'), _connector='OR'), name='record_only_manual_confirmed'),
        ),
    ]
