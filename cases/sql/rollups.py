"""SQL that keeps the rollup tables right, as triggers; and SQL that recomputes and repairs them.

Migration 0002 installed the triggers with a frozen copy of `INSTALL`; this is the readable,
generated form of the same text, and `tests/test_migrations_frozen.py` checks that the database
still holds exactly it. A change to a trigger is a new migration carrying its own SQL.

Statement-level triggers with transition tables: one ORM save or one bulk
UPDATE of 50,000 cases both cost one grouped upsert, inside the writer's own
transaction. `manage.py rebuild_rollups --verify` recomputes the same figures
from the cases and records and compares.
"""

from dataclasses import dataclass

from ..models import RecordOrigin
from . import literal

CASE_BUCKET = "tenant_id, seller_account_id, currency, status, reimbursement_type"
RECOVERED_SOMETHING = "recovered_amount <> 0 OR units_reimbursed_cash <> 0 OR units_reimbursed_inventory <> 0"
"""`cases.models.RECOVERED_SOMETHING`: a case of Reimbursed Cases."""
CASE_CONTRIBUTION = (
    "{sign}1, {sign}claimed_amount, {sign}recovered_amount, "
    "{sign}greatest(claimed_amount - recovered_amount, 0), {sign}inventory_value, "
    "{sign}CASE WHEN " + RECOVERED_SOMETHING + " THEN 1 ELSE 0 END"
)
RECORD_BUCKET = (
    "tenant_id, seller_account_id, currency, "
    "date_trunc('month', approval_date AT TIME ZONE 'UTC')::date, case_reference = ''"
)
DAY_BUCKET = (
    "tenant_id, seller_account_id, currency, (approval_date AT TIME ZONE 'UTC')::date, case_reference = ''"
)
PRODUCT_BUCKET = "tenant_id, currency, sku"
PRODUCT_CONTRIBUTION = "{sign}1, {sign}claimed_amount, {sign}recovered_amount, {sign}inventory_value"
RECORD_COUNT = "CASE WHEN voids_id IS NULL THEN 1 ELSE -1 END"
"""A record counts one, and the void of a record takes it back: `record_count` counts the records not voided."""
RECORD_CONTRIBUTION = "{sign}amount_total, {sign}" + RECORD_COUNT


def _upsert(table, columns, values, bucket, contribution, sources):
    unions = "\n        UNION ALL\n        ".join(
        f"SELECT {bucket}, {contribution.format(sign=sign)} FROM {rows}" for rows, sign in sources
    )
    keys = ", ".join(columns[: -len(values)])
    sums = ", ".join(f"sum({v})" for v in values)
    nonzero = " OR ".join(f"sum({v}) <> 0" for v in values)
    updates = ", ".join(f"{v} = t.{v} + EXCLUDED.{v}" for v in values)
    positions = ", ".join(str(i + 1) for i in range(len(columns) - len(values)))
    return f"""
    INSERT INTO {table} AS t ({", ".join(columns)})
    SELECT {keys}, {sums} FROM (
        {unions}
    ) AS delta({", ".join(columns)})
    GROUP BY {positions}
    HAVING {nonzero}
    ORDER BY {positions}
    ON CONFLICT ({keys}) DO UPDATE SET {updates};"""


def trigger_function(name, table, columns, values, bucket, contribution):
    def branch(sources):
        return _upsert(table, columns, values, bucket, contribution, sources)

    return f"""
CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN {branch([("new_rows", "")])}
    ELSIF TG_OP = 'UPDATE' THEN {branch([("new_rows", ""), ("old_rows", "-")])}
    ELSE {branch([("old_rows", "-")])}
    END IF;
    RETURN NULL;
END $$;
"""


def statement_triggers(function, table):
    return "\n".join(
        f"CREATE TRIGGER {function}_{op.lower()} AFTER {op} ON {table} "
        f"REFERENCING {refs} FOR EACH STATEMENT EXECUTE FUNCTION {function}();"
        for op, refs in (
            ("INSERT", "NEW TABLE AS new_rows"),
            ("UPDATE", "NEW TABLE AS new_rows OLD TABLE AS old_rows"),
            ("DELETE", "OLD TABLE AS old_rows"),
        )
    )


CASE_TOTALS_FUNCTION = trigger_function(
    "cases_case_totals",
    "cases_casetotals",
    [
        "tenant_id", "seller_account_id", "currency", "status", "reimbursement_type",
        "case_count", "claimed_amount", "recovered_amount", "shortfall_amount", "inventory_amount",
        "reimbursed_count",
    ],
    ["case_count", "claimed_amount", "recovered_amount", "shortfall_amount", "inventory_amount", "reimbursed_count"],
    CASE_BUCKET,
    CASE_CONTRIBUTION,
)

MONTHLY_RECOVERY_FUNCTION = trigger_function(
    "cases_monthly_recovery",
    "cases_monthlyrecovery",
    ["tenant_id", "seller_account_id", "currency", "month", "automatic", "amount", "record_count"],
    ["amount", "record_count"],
    RECORD_BUCKET,
    RECORD_CONTRIBUTION,
)

DAILY_RECOVERY_FUNCTION = trigger_function(
    "cases_daily_recovery",
    "cases_dailyrecovery",
    ["tenant_id", "seller_account_id", "currency", "day", "automatic", "amount", "record_count"],
    ["amount", "record_count"],
    DAY_BUCKET,
    RECORD_CONTRIBUTION,
)
"""Net reimbursed per approval day (UTC): what the dashboard's period adds up."""

PRODUCT_TOTALS_FUNCTION = trigger_function(
    "cases_product_totals",
    "cases_producttotals",
    ["tenant_id", "currency", "sku", "case_count", "claimed_amount", "recovered_amount", "inventory_amount"],
    ["case_count", "claimed_amount", "recovered_amount", "inventory_amount"],
    PRODUCT_BUCKET,
    PRODUCT_CONTRIBUTION,
)
"""Cases and their figures per SKU and currency, all seller accounts together: the dashboard's top products."""

IMMUTABLE_FUNCTIONS = """
CREATE OR REPLACE FUNCTION cases_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% rows are never %d', TG_TABLE_NAME, lower(TG_OP)
        USING ERRCODE = 'integrity_constraint_violation';
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
       AND NOT (OLD.origin = {manual} AND OLD.confirmed_at IS NULL AND NEW.confirmed_at IS NOT NULL)
    THEN
        RAISE EXCEPTION 'a record takes a report line''s identity only once, when the line confirms it'
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END $$;
""".replace("{manual}", literal(RecordOrigin.MANUAL))
"""`cases_record_only_matches`: a record's facts never change; it may be matched to a case (and unmatched
after a case's correction), voided once, and, if entered by hand, confirmed once by a report line,
whose identity (fingerprint, occurrence, line, run) it then takes."""

INSTALL = "\n".join(
    [
        CASE_TOTALS_FUNCTION,
        statement_triggers("cases_case_totals", "cases_case"),
        MONTHLY_RECOVERY_FUNCTION,
        statement_triggers("cases_monthly_recovery", "cases_reimbursementrecord"),
        IMMUTABLE_FUNCTIONS,
        DAILY_RECOVERY_FUNCTION,
        statement_triggers("cases_daily_recovery", "cases_reimbursementrecord"),
        PRODUCT_TOTALS_FUNCTION,
        statement_triggers("cases_product_totals", "cases_case"),
        "CREATE TRIGGER cases_caseevent_immutable BEFORE UPDATE OR DELETE ON cases_caseevent "
        "FOR EACH ROW EXECUTE FUNCTION cases_refuse_change();",
        "CREATE TRIGGER cases_record_no_delete BEFORE DELETE ON cases_reimbursementrecord "
        "FOR EACH ROW EXECUTE FUNCTION cases_refuse_change();",
        "CREATE TRIGGER cases_record_only_matches BEFORE UPDATE ON cases_reimbursementrecord "
        "FOR EACH ROW EXECUTE FUNCTION cases_record_only_matches();",
    ]
)

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
DROP TRIGGER IF EXISTS cases_daily_recovery_insert ON cases_reimbursementrecord;
DROP TRIGGER IF EXISTS cases_daily_recovery_update ON cases_reimbursementrecord;
DROP TRIGGER IF EXISTS cases_daily_recovery_delete ON cases_reimbursementrecord;
DROP TRIGGER IF EXISTS cases_product_totals_insert ON cases_case;
DROP TRIGGER IF EXISTS cases_product_totals_update ON cases_case;
DROP TRIGGER IF EXISTS cases_product_totals_delete ON cases_case;
DROP FUNCTION IF EXISTS cases_daily_recovery();
DROP FUNCTION IF EXISTS cases_product_totals();
"""


@dataclass(frozen=True)
class Rollup:
    """A rollup table: its bucket keys, its summed values, their SQL types, and the query that
    recomputes its rows of one tenant from the source table (`%(tenant_id)s`)."""

    name: str
    table: str
    keys: tuple[str, ...]
    values: tuple[str, ...]
    types: dict[str, str]
    recompute: str


CASE_TOTALS = Rollup(
    name="CaseTotals",
    table="cases_casetotals",
    keys=("seller_account_id", "currency", "status", "reimbursement_type"),
    values=("case_count", "claimed_amount", "recovered_amount", "shortfall_amount", "inventory_amount",
            "reimbursed_count"),
    types={
        "seller_account_id": "bigint", "currency": "text", "status": "text", "reimbursement_type": "text",
        "case_count": "bigint", "claimed_amount": "numeric", "recovered_amount": "numeric",
        "shortfall_amount": "numeric", "inventory_amount": "numeric", "reimbursed_count": "bigint",
    },
    recompute=f"""
        SELECT seller_account_id, currency, status, reimbursement_type,
            count(*) AS case_count, sum(claimed_amount) AS claimed_amount,
            sum(recovered_amount) AS recovered_amount,
            sum(greatest(claimed_amount - recovered_amount, 0)) AS shortfall_amount,
            sum(inventory_value) AS inventory_amount,
            count(*) FILTER (WHERE {RECOVERED_SOMETHING}) AS reimbursed_count
        FROM cases_case WHERE tenant_id = %(tenant_id)s
        GROUP BY seller_account_id, currency, status, reimbursement_type
    """,
)

MONTHLY_RECOVERY = Rollup(
    name="MonthlyRecovery",
    table="cases_monthlyrecovery",
    keys=("seller_account_id", "currency", "month", "automatic"),
    values=("amount", "record_count"),
    types={
        "seller_account_id": "bigint", "currency": "text", "month": "date", "automatic": "boolean",
        "amount": "numeric", "record_count": "bigint",
    },
    recompute=f"""
        SELECT seller_account_id, currency,
            date_trunc('month', approval_date AT TIME ZONE 'UTC')::date AS month,
            case_reference = '' AS automatic,
            sum(amount_total) AS amount, sum({RECORD_COUNT}) AS record_count
        FROM cases_reimbursementrecord WHERE tenant_id = %(tenant_id)s
        GROUP BY 1, 2, 3, 4
    """,
)

DAILY_RECOVERY = Rollup(
    name="DailyRecovery",
    table="cases_dailyrecovery",
    keys=("seller_account_id", "currency", "day", "automatic"),
    values=("amount", "record_count"),
    types={
        "seller_account_id": "bigint", "currency": "text", "day": "date", "automatic": "boolean",
        "amount": "numeric", "record_count": "bigint",
    },
    recompute=f"""
        SELECT seller_account_id, currency, (approval_date AT TIME ZONE 'UTC')::date AS day,
            case_reference = '' AS automatic,
            sum(amount_total) AS amount, sum({RECORD_COUNT}) AS record_count
        FROM cases_reimbursementrecord WHERE tenant_id = %(tenant_id)s
        GROUP BY 1, 2, 3, 4
    """,
)

PRODUCT_TOTALS = Rollup(
    name="ProductTotals",
    table="cases_producttotals",
    keys=("currency", "sku"),
    values=("case_count", "claimed_amount", "recovered_amount", "inventory_amount"),
    types={
        "currency": "text", "sku": "text",
        "case_count": "bigint", "claimed_amount": "numeric", "recovered_amount": "numeric",
        "inventory_amount": "numeric",
    },
    recompute="""
        SELECT currency, sku, count(*) AS case_count, sum(claimed_amount) AS claimed_amount,
            sum(recovered_amount) AS recovered_amount, sum(inventory_value) AS inventory_amount
        FROM cases_case WHERE tenant_id = %(tenant_id)s
        GROUP BY currency, sku
    """,
)

ROLLUPS = (CASE_TOTALS, MONTHLY_RECOVERY, DAILY_RECOVERY, PRODUCT_TOTALS)
SOURCE_TABLES = ("cases_case", "cases_reimbursementrecord")


def differences_sql(rollup: Rollup) -> str:
    """Stored and recomputed values of every bucket of `%(tenant_id)s` where they differ, in one snapshot."""
    keys = ", ".join(rollup.keys)
    stored = ", ".join(f"coalesce(s.{v}, 0)" for v in rollup.values)
    expected = ", ".join(f"coalesce(e.{v}, 0)" for v in rollup.values)
    return f"""
        WITH expected AS ({rollup.recompute}),
        stored AS (SELECT {keys}, {", ".join(rollup.values)} FROM {rollup.table} WHERE tenant_id = %(tenant_id)s)
        SELECT {keys}, {stored}, {expected}
        FROM stored s FULL JOIN expected e USING ({keys})
        WHERE ({stored}) IS DISTINCT FROM ({expected})
        ORDER BY {keys}
    """


def repair_sql(rollup: Rollup) -> str:
    """Upsert the expected values of the buckets given as one array parameter per column."""
    keys = ", ".join(rollup.keys)
    values = ", ".join(rollup.values)
    updates = ", ".join(f"{v} = EXCLUDED.{v}" for v in rollup.values)
    arrays = ", ".join(f"%({c})s::{rollup.types[c]}[]" for c in (*rollup.keys, *rollup.values))
    return f"""
        INSERT INTO {rollup.table} (tenant_id, {keys}, {values})
        SELECT %(tenant_id)s, {keys}, {values} FROM unnest({arrays}) AS fix({keys}, {values})
        ON CONFLICT (tenant_id, {keys}) DO UPDATE SET {updates}
    """
