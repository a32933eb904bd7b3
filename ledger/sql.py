"""The set-based SQL of the ledger: storing a staged file's lines and writing detected opportunities."""

from .detection import ADJUSTMENTS, DETECTED_CODES

LINE_COLUMNS = (
    "date", "fnsku", "asin", "msku", "title", "event_type", "reference_id", "quantity", "fulfillment_center",
    "disposition", "reason", "country", "reconciled_quantity", "unreconciled_quantity", "event_time", "store",
)


def numbered_sql(*, staging_table: str) -> str:
    """The staged lines with their occurrence (rank among identical lines of the file), not stored yet
    (one probe of the unique index per line, as for reimbursement records: `OFFSET 0` keeps the planner
    from hash-joining all of the account's lines)."""
    return f"""
DROP TABLE IF EXISTS pg_temp.ledger_new_lines;
CREATE TEMP TABLE ledger_new_lines ON COMMIT DROP AS
SELECT s.* FROM (
    SELECT *, row_number() OVER (PARTITION BY fingerprint ORDER BY line) AS occurrence FROM {staging_table}
) s
WHERE NOT EXISTS (
    SELECT FROM ledger_ledgerline l
    WHERE l.seller_account_id = %(seller_account_id)s AND l.fingerprint = s.fingerprint
      AND l.occurrence = s.occurrence
    OFFSET 0
)
"""


INSERT_SQL = f"""
INSERT INTO ledger_ledgerline (
    tenant_id, seller_account_id, {", ".join(LINE_COLUMNS)}, fingerprint, occurrence, source, source_line, sync_run_id
)
SELECT %(tenant_id)s, %(seller_account_id)s, {", ".join("s." + c for c in LINE_COLUMNS)},
    s.fingerprint, s.occurrence, %(source)s, s.line, %(run_id)s
FROM ledger_new_lines s
"""
"""A plain insert: the lines were found new under the account's lock, which every writer holds, so the unique
constraint is a last guard only (a violation would roll the import back whole); `ON CONFLICT` would make
each of a million inserts a speculative one."""

NEW_FNSKUS_SQL = "SELECT DISTINCT fnsku FROM ledger_new_lines"


def reconcile_sql(*, staging_table: str) -> str:
    """Bring the reconciliation counts of adjustment lines already stored up to date with the file's: Amazon
    updates them on lines it reported before. Only lines whose counts changed are written; returns their
    FNSKUs."""
    return f"""
UPDATE ledger_ledgerline l
SET reconciled_quantity = s.reconciled_quantity, unreconciled_quantity = s.unreconciled_quantity
FROM (
    SELECT *, row_number() OVER (PARTITION BY fingerprint ORDER BY line) AS occurrence FROM {staging_table}
    WHERE event_type = '{ADJUSTMENTS}' AND unreconciled_quantity IS NOT NULL
) s
WHERE l.seller_account_id = %(seller_account_id)s AND l.fingerprint = s.fingerprint
  AND l.occurrence = s.occurrence
  AND (l.reconciled_quantity, l.unreconciled_quantity)
      IS DISTINCT FROM (s.reconciled_quantity, s.unreconciled_quantity)
RETURNING l.fnsku
"""


DETECTION_LINES_SQL = f"""
SELECT f.fnsku, l.date, l.reference_id, l.reason, l.quantity, l.fulfillment_center, l.msku, l.asin, l.title,
       l.unreconciled_quantity
FROM unnest(%(fnskus)s::text[]) AS f (fnsku)
CROSS JOIN LATERAL (
    SELECT * FROM ledger_ledgerline
    WHERE seller_account_id = %(seller_account_id)s AND fnsku = f.fnsku
      AND event_type = '{ADJUSTMENTS}' AND reason IN ({", ".join(f"'{code}'" for code in sorted(DETECTED_CODES))})
    OFFSET 0
) l
ORDER BY f.fnsku, l.date, l.id
"""
"""The lines detection reads, looked up FNSKU by FNSKU in the partial index `ledger_detected_lines` (whose
condition these literals repeat), by a lateral join that `OFFSET 0` keeps apart: one probe per FNSKU, whatever
the statistics say. A list of FNSKUs in `= ANY` was applied as a filter over all of the account's detected
lines, once per chunk."""

REIMBURSED_SQL = """
SELECT fnsku, (approval_date AT TIME ZONE 'UTC')::date, quantity_cash + quantity_inventory
FROM cases_reimbursementrecord
WHERE seller_account_id = %(seller_account_id)s AND fnsku = ANY(%(fnskus)s) AND case_reference = ''
  AND reason = ANY(%(reasons)s) AND voided_at IS NULL AND origin <> 'void'
"""

LATEST_PER_UNIT_SQL = """
SELECT DISTINCT ON (fnsku) fnsku, amount_per_unit, currency
FROM cases_reimbursementrecord
WHERE seller_account_id = %(seller_account_id)s AND fnsku = ANY(%(fnskus)s)
  AND amount_per_unit > 0 AND amount_total > 0 AND voided_at IS NULL AND origin <> 'void'
ORDER BY fnsku, approval_date DESC, id DESC
"""

PRICES_SQL = """
SELECT sku, amount, currency FROM ledger_skuprice
WHERE seller_account_id = %(seller_account_id)s AND sku = ANY(%(skus)s)
"""
"""The staff prices of a chunk's SKUs, in one array parameter: as `sku__in`, Django wrote one placeholder per SKU
(5,000 a chunk), which psycopg then took 0.1 s to split."""

_UPSERT_TYPES = (
    ("claim_type", "text"), ("fnsku", "text"), ("reference_id", "text"), ("sku", "text"), ("asin", "text"),
    ("title", "text"), ("fulfillment_centers", "text"), ("event_date", "date"), ("units_lost", "integer"),
    ("units_open", "integer"), ("value_per_unit", "numeric"), ("amount", "numeric"), ("currency", "text"),
    ("value_source", "text"), ("window_opens_on", "date"), ("window_closes_on", "date"),
)
UPSERT_COLUMNS = tuple(name for name, _ in _UPSERT_TYPES)
_FIGURES = UPSERT_COLUMNS[3:]


DETECTED_TABLE = "ledger_detected"
CREATE_DETECTED_SQL = f"""
DROP TABLE IF EXISTS pg_temp.{DETECTED_TABLE};
CREATE TEMP TABLE {DETECTED_TABLE} ({", ".join(f"{name} {sql_type}" for name, sql_type in _UPSERT_TYPES)})
ON COMMIT DROP
"""
COPY_DETECTED_SQL = f"COPY {DETECTED_TABLE} ({', '.join(UPSERT_COLUMNS)}) FROM STDIN"
"""A chunk's detected events reach PostgreSQL by COPY, row by row in psycopg's C code: passed as one array per
column, they were quoted into the statement's text element by element in Python (Django's cursors bind on
the client), 3.5 s of a first import's 80,000 opportunities."""

UPSERT_SQL = f"""
INSERT INTO ledger_opportunity (
    tenant_id, seller_account_id, {", ".join(UPSERT_COLUMNS)}, dismiss_reason, detected_at, updated_at
)
SELECT %s, %s, v.*, '', now(), now()
FROM {DETECTED_TABLE} AS v
ON CONFLICT (seller_account_id, fnsku, reference_id, claim_type) DO UPDATE SET
    {", ".join(f"{c} = EXCLUDED.{c}" for c in _FIGURES)}, updated_at = now()
WHERE ({", ".join("ledger_opportunity." + c for c in _FIGURES)})
      IS DISTINCT FROM ({", ".join("EXCLUDED." + c for c in _FIGURES)})
"""
"""Write the detected events of `ledger_detected`: new ones inserted, known ones updated where a figure
changed. Never touches what staff decided (`case`, `dismissed_*`)."""
