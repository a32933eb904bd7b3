"""SQL that writes a staged report's new lines as reimbursement records, matched to their cases.

`cases.records.records_insert_staged` runs these statements, in this order, inside the caller's
transaction; every temporary table is dropped on commit at the latest. The temporary tables
keep the `sync_` names they had when `sync.ingest` wrote the records itself: the bench tells the
ingestion's phases apart by the start of their SQL.
"""

from ..models import RecordOrigin
from ..plausibility import REVERSAL_REASON
from . import literal
from .recompute import case_match_sql

IDENTITY_COLUMNS = (
    "reimbursement_id", "case_reference", "currency", "amount_total", "quantity_cash", "quantity_inventory",
    "sku", "fnsku", "asin", "amazon_order_id",
)
"""`cases.models.MANUAL_IDENTITY` within one seller account: what a report line and a record entered by
hand must share to be the same reimbursement."""

CREATE_MATCHES_SQL = """
DROP TABLE IF EXISTS pg_temp.sync_new_rows;
DROP TABLE IF EXISTS pg_temp.sync_new_matches;
CREATE TEMP TABLE sync_new_matches (
    case_id bigint NOT NULL,
    record_id bigint NOT NULL,
    PRIMARY KEY (case_id, record_id)
) ON COMMIT DROP
"""
"""Where `insert_sql` keeps the records it attached to a case, for the cases to be recomputed
chunk by chunk."""


def new_rows_sql(*, staging_table: str) -> str:
    """The lines not stored yet, each with its occurrence: a report seen before is set aside before
    any of its lines is looked up among the cases. Each line is one probe of the unique index
    `(seller_account, fingerprint, occurrence)` (an index-only scan), so the cost follows the size
    of the report, not the account's history; `OFFSET 0` keeps the planner from turning the
    NOT EXISTS into a hash anti-join that reads all of the account's records from the heap."""
    return f"""
CREATE TEMP TABLE sync_new_rows ON COMMIT DROP AS
SELECT s.* FROM (
    SELECT *, row_number() OVER (PARTITION BY fingerprint ORDER BY line) AS occurrence FROM {staging_table}
) s
WHERE NOT EXISTS (
    SELECT FROM cases_reimbursementrecord r
    WHERE r.seller_account_id = %(seller_account_id)s AND r.fingerprint = s.fingerprint
      AND r.occurrence = s.occurrence
    OFFSET 0
)
"""


def insert_sql(*, columns: tuple[str, ...]) -> str:
    """Insert the new lines, each already attached to the case with its case ID in the same
    seller account (never another account's or tenant's case). Matching while inserting writes each
    record once, instead of inserting it and then updating it. The records attached to a case are
    kept in `sync_new_matches`. `ON CONFLICT` stays as the last guard of the unique line."""
    return f"""
WITH inserted AS (
    INSERT INTO cases_reimbursementrecord (
        tenant_id, seller_account_id, case_id, {", ".join(columns)},
        fingerprint, occurrence, source, source_line, created_at, sync_run_id
    )
    SELECT %(tenant_id)s, %(seller_account_id)s, c.id, {", ".join("s." + c for c in columns)},
        s.fingerprint, s.occurrence, %(source)s, s.line, now(), %(run_id)s
    FROM sync_new_rows s
    LEFT JOIN cases_case c ON c.seller_account_id = %(seller_account_id)s AND {case_match_sql(row="s")}
    ORDER BY s.line
    ON CONFLICT (seller_account_id, fingerprint, occurrence) DO NOTHING
    RETURNING id, case_id
), saved AS (
    INSERT INTO sync_new_matches (case_id, record_id) SELECT case_id, id FROM inserted WHERE case_id IS NOT NULL
)
SELECT count(*) FROM inserted
"""


_KEY = ", ".join(IDENTITY_COLUMNS)

UNCONFIRMED_SQL = f"""
SELECT EXISTS (
    SELECT FROM cases_reimbursementrecord
    WHERE seller_account_id = %(seller_account_id)s AND origin = {literal(RecordOrigin.MANUAL)}
      AND voided_at IS NULL AND confirmed_at IS NULL
)
"""
"""Whether the account has records entered by hand that no report line has confirmed yet: served by
the index of `record_manual_once`, which holds only manual records."""

CONFIRM_SQL = f"""
WITH manual AS (
    SELECT id, {_KEY}, row_number() OVER (PARTITION BY {_KEY} ORDER BY id) AS rank
    FROM cases_reimbursementrecord
    WHERE seller_account_id = %(seller_account_id)s AND origin = {literal(RecordOrigin.MANUAL)}
      AND voided_at IS NULL AND confirmed_at IS NULL
), lines AS (
    SELECT line, fingerprint, occurrence, {_KEY}, row_number() OVER (PARTITION BY {_KEY} ORDER BY line) AS rank
    FROM sync_new_rows
    WHERE ({_KEY}) IN (SELECT {_KEY} FROM manual)
), pairs AS (
    SELECT m.id, l.line, l.fingerprint, l.occurrence FROM manual m JOIN lines l USING ({_KEY}, rank)
), confirmed AS (
    UPDATE cases_reimbursementrecord r
    SET fingerprint = p.fingerprint, occurrence = p.occurrence, source_line = p.line, sync_run_id = %(run_id)s,
        confirmed_at = now()
    FROM pairs p
    WHERE r.id = p.id
    RETURNING p.line
)
DELETE FROM sync_new_rows s USING confirmed c WHERE s.line = c.line
"""
"""A new line with the identity of a record entered by hand (and not confirmed yet) confirms it instead
of being inserted: the record takes the line's fingerprint, occurrence and line number, so the next
download of the report finds the line stored. Paired one to one, in order: the second of two identical
lines confirms a second such record, or is inserted."""

CHUNK_SQL = """
WITH chunk AS (
    SELECT DISTINCT case_id FROM sync_new_matches WHERE case_id > %(after)s ORDER BY case_id LIMIT %(size)s
)
SELECT (SELECT array_agg(case_id ORDER BY case_id) FROM chunk),
    (SELECT array_agg(m.record_id ORDER BY m.record_id) FROM sync_new_matches m JOIN chunk USING (case_id))
"""
"""The next cases touched by the report, in id order, and their new records: Python holds one
chunk at a time, whatever the size of the report."""

DROP_SQL = "DROP TABLE sync_new_rows, sync_new_matches"

STAGED_CURRENCIES_SQL = """
SELECT currency, count(*), (array_agg(line ORDER BY line))[1:5] FROM sync_new_rows GROUP BY currency ORDER BY min(line)
"""
"""Each currency of the new lines: how many lines, and the first of them."""

STAGED_CASE_OWNERS_SQL = """
SELECT c.seller_account_id, count(*), (array_agg(s.line ORDER BY s.line))[1:5],
    (array_agg(DISTINCT s.case_reference ORDER BY s.case_reference))[1:5]
FROM sync_new_rows s
JOIN cases_case c ON c.tenant_id = %(tenant_id)s AND c.marketplace_case_id = s.case_reference
WHERE s.case_reference <> ''
GROUP BY c.seller_account_id
"""
"""For each seller account of the tenant, how many new lines name one of its cases (the first lines and
case IDs): one probe of `case_t_caseid` per line. Only the new lines: a report seen before costs nothing."""

MAX_CASE_AMOUNT = 10**12
"""A case's recovered amount is `numeric(14, 2)`: it stays under 10^12."""
MAX_CASE_UNITS = 2**31 - 1
"""A case's units are `integer`."""


def negative_allowed_sql(*, row: str) -> str:
    """`cases.plausibility.may_go_negative` for the record or line `row`: a reversal or an adjustment."""
    return (f"({row}.reason = {literal(REVERSAL_REASON)} OR {row}.original_reimbursement_id <> '' "
            f"OR {row}.original_reimbursement_type <> '' OR right(lower({row}.reason), 10) = 'adjustment')")


STAGED_CASE_LIMITS_SQL = f"""
SELECT c.marketplace_case_id, c.currency, min(s.line), min(s.line) FILTER (WHERE s.amount_total < 0),
    c.recovered_amount + sum(s.amount_total),
    c.units_reimbursed_cash + sum(s.quantity_cash), c.units_reimbursed_inventory + sum(s.quantity_inventory)
FROM sync_new_rows s
JOIN cases_case c ON c.seller_account_id = %(seller_account_id)s AND {case_match_sql(row="s")}
GROUP BY c.id
HAVING abs(c.recovered_amount + sum(s.amount_total)) >= {MAX_CASE_AMOUNT}
    OR abs(c.units_reimbursed_cash + sum(s.quantity_cash)) > {MAX_CASE_UNITS}
    OR abs(c.units_reimbursed_inventory + sum(s.quantity_inventory)) > {MAX_CASE_UNITS}
    OR (c.recovered_amount + sum(s.amount_total) < 0 AND sum(s.amount_total) < 0
        AND NOT bool_or({negative_allowed_sql(row="s")})
        AND NOT EXISTS (
            SELECT FROM cases_reimbursementrecord r
            WHERE r.case_id = c.id AND r.voided_at IS NULL AND r.voids_id IS NULL AND {negative_allowed_sql(row="r")}
        ))
ORDER BY min(s.line)
LIMIT 50
"""
"""The cases the new lines would take out of what a case can hold (an amount of 10^12 or more, more units
than an integer holds) or below zero with no reversal or adjustment, in their records or in the new lines,
to explain it: the case, its currency, its first new line and its first negative one, and the figures it
would have. A case that was below zero already is not blamed on lines that raise it. One more join of the
new lines with the account's cases, like the insert's."""
