"""SQL that voids records: a compensating record per voided one, and the original marked.

`cases.voids.records_void` runs it inside its transaction, under the account's lock, after
`cases.sql.records.CREATE_MATCHES_SQL`: the voids attached to a case go to `sync_new_matches`, for
their cases to be recomputed chunk by chunk as an ingestion's are.
"""

from ..models import RecordOrigin
from . import literal

COPIED = (
    "tenant_id", "seller_account_id", "case_id", "case_reference", "approval_date", "reimbursement_id",
    "amazon_order_id", "reason", "sku", "fnsku", "asin", "product_name", "condition", "currency",
    "amount_per_unit", "original_reimbursement_id", "original_reimbursement_type",
)
"""What a void keeps of its original: the same case, case ID, month and currency, so that it lands in the
same rollup buckets and the same case's figures. The amount per unit stays; the total and the units
are negated."""


def void_sql(*, scope: str) -> str:
    """Void the account's records matching `scope` (a condition on `r`) that are neither voids nor voided.

    The void's fingerprint is derived from the original's id: with `record_void_once`, a second void of
    the same record cannot exist, whoever tries. Returns the number of records voided.
    """
    copied = ", ".join(COPIED)
    return f"""
WITH targets AS (
    SELECT r.* FROM cases_reimbursementrecord r
    WHERE r.seller_account_id = %(seller_account_id)s AND ({scope})
      AND r.origin <> {literal(RecordOrigin.VOID)} AND r.voided_at IS NULL
), marked AS (
    UPDATE cases_reimbursementrecord r SET voided_at = now() FROM targets t WHERE r.id = t.id
), voids AS (
    INSERT INTO cases_reimbursementrecord (
        {copied}, amount_total, quantity_cash, quantity_inventory,
        fingerprint, occurrence, source, created_at, origin, voids_id
    )
    SELECT {copied}, -amount_total, -quantity_cash, -quantity_inventory,
        md5('void ' || id)::uuid, 1, %(source)s, now(), {literal(RecordOrigin.VOID)}, id
    FROM targets
    ORDER BY id
    RETURNING id, case_id
), saved AS (
    INSERT INTO sync_new_matches (case_id, record_id) SELECT case_id, id FROM voids WHERE case_id IS NOT NULL
)
SELECT count(*) FROM voids
"""
