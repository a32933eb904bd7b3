"""The rollup triggers, as installed on the day this migration was written.

The SQL is frozen here on purpose: a migration describes what it did, whatever the code says
today. `cases.sql.rollups` holds the same SQL in its readable, generated form;
`tests/test_migrations_frozen.py` checks that the database still matches it. A change to a
trigger is a new migration.
"""

from django.db import migrations

INSTALL = """
CREATE OR REPLACE FUNCTION cases_case_totals() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN 
    INSERT INTO cases_casetotals AS t (tenant_id, seller_account_id, currency, status, reimbursement_type, case_count, claimed_amount, recovered_amount, shortfall_amount)
    SELECT tenant_id, seller_account_id, currency, status, reimbursement_type, sum(case_count), sum(claimed_amount), sum(recovered_amount), sum(shortfall_amount) FROM (
        SELECT tenant_id, seller_account_id, currency, status, reimbursement_type, 1, claimed_amount, recovered_amount, greatest(claimed_amount - recovered_amount, 0) FROM new_rows
    ) AS delta(tenant_id, seller_account_id, currency, status, reimbursement_type, case_count, claimed_amount, recovered_amount, shortfall_amount)
    GROUP BY 1, 2, 3, 4, 5
    HAVING sum(case_count) <> 0 OR sum(claimed_amount) <> 0 OR sum(recovered_amount) <> 0 OR sum(shortfall_amount) <> 0
    ORDER BY 1, 2, 3, 4, 5
    ON CONFLICT (tenant_id, seller_account_id, currency, status, reimbursement_type) DO UPDATE SET case_count = t.case_count + EXCLUDED.case_count, claimed_amount = t.claimed_amount + EXCLUDED.claimed_amount, recovered_amount = t.recovered_amount + EXCLUDED.recovered_amount, shortfall_amount = t.shortfall_amount + EXCLUDED.shortfall_amount;
    ELSIF TG_OP = 'UPDATE' THEN 
    INSERT INTO cases_casetotals AS t (tenant_id, seller_account_id, currency, status, reimbursement_type, case_count, claimed_amount, recovered_amount, shortfall_amount)
    SELECT tenant_id, seller_account_id, currency, status, reimbursement_type, sum(case_count), sum(claimed_amount), sum(recovered_amount), sum(shortfall_amount) FROM (
        SELECT tenant_id, seller_account_id, currency, status, reimbursement_type, 1, claimed_amount, recovered_amount, greatest(claimed_amount - recovered_amount, 0) FROM new_rows
        UNION ALL
        SELECT tenant_id, seller_account_id, currency, status, reimbursement_type, -1, -claimed_amount, -recovered_amount, -greatest(claimed_amount - recovered_amount, 0) FROM old_rows
    ) AS delta(tenant_id, seller_account_id, currency, status, reimbursement_type, case_count, claimed_amount, recovered_amount, shortfall_amount)
    GROUP BY 1, 2, 3, 4, 5
    HAVING sum(case_count) <> 0 OR sum(claimed_amount) <> 0 OR sum(recovered_amount) <> 0 OR sum(shortfall_amount) <> 0
    ORDER BY 1, 2, 3, 4, 5
    ON CONFLICT (tenant_id, seller_account_id, currency, status, reimbursement_type) DO UPDATE SET case_count = t.case_count + EXCLUDED.case_count, claimed_amount = t.claimed_amount + EXCLUDED.claimed_amount, recovered_amount = t.recovered_amount + EXCLUDED.recovered_amount, shortfall_amount = t.shortfall_amount + EXCLUDED.shortfall_amount;
    ELSE 
    INSERT INTO cases_casetotals AS t (tenant_id, seller_account_id, currency, status, reimbursement_type, case_count, claimed_amount, recovered_amount, shortfall_amount)
    SELECT tenant_id, seller_account_id, currency, status, reimbursement_type, sum(case_count), sum(claimed_amount), sum(recovered_amount), sum(shortfall_amount) FROM (
        SELECT tenant_id, seller_account_id, currency, status, reimbursement_type, -1, -claimed_amount, -recovered_amount, -greatest(claimed_amount - recovered_amount, 0) FROM old_rows
    ) AS delta(tenant_id, seller_account_id, currency, status, reimbursement_type, case_count, claimed_amount, recovered_amount, shortfall_amount)
    GROUP BY 1, 2, 3, 4, 5
    HAVING sum(case_count) <> 0 OR sum(claimed_amount) <> 0 OR sum(recovered_amount) <> 0 OR sum(shortfall_amount) <> 0
    ORDER BY 1, 2, 3, 4, 5
    ON CONFLICT (tenant_id, seller_account_id, currency, status, reimbursement_type) DO UPDATE SET case_count = t.case_count + EXCLUDED.case_count, claimed_amount = t.claimed_amount + EXCLUDED.claimed_amount, recovered_amount = t.recovered_amount + EXCLUDED.recovered_amount, shortfall_amount = t.shortfall_amount + EXCLUDED.shortfall_amount;
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER cases_case_totals_insert AFTER INSERT ON cases_case REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION cases_case_totals();
CREATE TRIGGER cases_case_totals_update AFTER UPDATE ON cases_case REFERENCING NEW TABLE AS new_rows OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION cases_case_totals();
CREATE TRIGGER cases_case_totals_delete AFTER DELETE ON cases_case REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION cases_case_totals();

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

CREATE TRIGGER cases_monthly_recovery_insert AFTER INSERT ON cases_reimbursementrecord REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION cases_monthly_recovery();
CREATE TRIGGER cases_monthly_recovery_update AFTER UPDATE ON cases_reimbursementrecord REFERENCING NEW TABLE AS new_rows OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION cases_monthly_recovery();
CREATE TRIGGER cases_monthly_recovery_delete AFTER DELETE ON cases_reimbursementrecord REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION cases_monthly_recovery();

CREATE OR REPLACE FUNCTION cases_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% rows are never %d', TG_TABLE_NAME, lower(TG_OP)
        USING ERRCODE = 'integrity_constraint_violation';
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

CREATE TRIGGER cases_caseevent_immutable BEFORE UPDATE OR DELETE ON cases_caseevent FOR EACH ROW EXECUTE FUNCTION cases_refuse_change();
CREATE TRIGGER cases_record_no_delete BEFORE DELETE ON cases_reimbursementrecord FOR EACH ROW EXECUTE FUNCTION cases_refuse_change();
CREATE TRIGGER cases_record_only_matches BEFORE UPDATE ON cases_reimbursementrecord FOR EACH ROW EXECUTE FUNCTION cases_record_only_matches();"""

UNINSTALL = """
DROP TRIGGER IF EXISTS cases_case_totals_insert ON cases_case;
DROP TRIGGER IF EXISTS cases_case_totals_update ON cases_case;
DROP TRIGGER IF EXISTS cases_case_totals_delete ON cases_case;
DROP TRIGGER IF EXISTS cases_monthly_recovery_insert ON cases_reimbursementrecord;
DROP TRIGGER IF EXISTS cases_monthly_recovery_update ON cases_reimbursementrecord;
DROP TRIGGER IF EXISTS cases_monthly_recovery_delete ON cases_reimbursementrecord;
DROP TRIGGER IF EXISTS cases_caseevent_immutable ON cases_caseevent;
DROP TRIGGER IF EXISTS cases_record_no_delete ON cases_reimbursementrecord;
DROP TRIGGER IF EXISTS cases_record_only_matches ON cases_reimbursementrecord;
DROP FUNCTION IF EXISTS cases_case_totals();
DROP FUNCTION IF EXISTS cases_monthly_recovery();
DROP FUNCTION IF EXISTS cases_refuse_change();
DROP FUNCTION IF EXISTS cases_record_only_matches();
"""


class Migration(migrations.Migration):
    dependencies = [("cases", "0001_initial")]

    operations = [migrations.RunSQL(INSTALL, UNINSTALL)]
