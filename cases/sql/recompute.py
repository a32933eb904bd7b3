"""How a case's figures and status follow from its records, and which records are its.

`cases.services.cases_recompute` and `records_match` run these statements.
"""

from ..models import LOST_STATUSES, CaseStatus, RecordOrigin
from . import label_case, literal

S = CaseStatus

RECOMPUTE_SQL = f"""
WITH target AS (
    SELECT id, status, recovered_amount, currency, claimed_amount, nullif(units_claimed, 0) AS units_claimed,
        units_reimbursed_cash::bigint + units_reimbursed_inventory AS units
    FROM cases_case WHERE id = ANY(%(case_ids)s::bigint[])
), agg AS (
    SELECT t.id, t.status AS old_status, t.recovered_amount AS old_recovered, t.units AS old_units,
        t.claimed_amount, t.units_claimed,
        coalesce(sum(r.amount_total) FILTER (WHERE r.currency = t.currency), 0) AS recovered,
        coalesce(sum(r.quantity_cash) FILTER (WHERE r.currency = t.currency), 0) AS cash_units,
        coalesce(sum(r.quantity_inventory) FILTER (WHERE r.currency = t.currency), 0) AS inventory_units,
        (max(r.approval_date) FILTER (WHERE r.currency = t.currency AND r.voided_at IS NULL AND r.voids_id IS NULL)
            AT TIME ZONE 'UTC')::date AS last_on,
        max(r.id) FILTER (WHERE r.id >= %(first_new_record)s) AS cause_record
    FROM target t LEFT JOIN cases_reimbursementrecord r ON r.case_id = t.id
    GROUP BY t.id, t.status, t.recovered_amount, t.units, t.claimed_amount, t.units_claimed
), derived AS (
    SELECT a.*,
        CASE
            WHEN a.old_status IN ({', '.join(literal(s) for s in LOST_STATUSES)}) THEN a.old_status
            WHEN a.units_claimed IS NOT NULL AND a.cash_units + a.inventory_units >= a.units_claimed
                THEN {literal(S.FULLY_REIMBURSED)}
            WHEN a.units_claimed IS NULL AND a.recovered > 0 AND a.recovered >= a.claimed_amount
                THEN {literal(S.FULLY_REIMBURSED)}
            WHEN a.recovered > 0 OR a.cash_units + a.inventory_units > 0 THEN {literal(S.PARTIALLY_REIMBURSED)}
            ELSE {literal(S.OPEN)}
        END AS new_status,
        coalesce(
            (SELECT (cr.approval_date AT TIME ZONE 'UTC')::date FROM cases_reimbursementrecord cr
             WHERE cr.id = a.cause_record AND cr.origin <> {literal(RecordOrigin.VOID)}),
            %(happened_on)s::date
        ) AS happened_on
    FROM agg a
), changed AS (
    UPDATE cases_case c
    SET recovered_amount = d.recovered, units_reimbursed_cash = d.cash_units,
        units_reimbursed_inventory = d.inventory_units, last_reimbursed_on = d.last_on,
        status = d.new_status, updated_at = now(),
        last_event_on = CASE
            WHEN d.new_status <> d.old_status OR d.recovered <> d.old_recovered
                 OR d.cash_units + d.inventory_units <> d.old_units
            THEN greatest(c.last_event_on, d.happened_on)
            ELSE c.last_event_on END
    FROM derived d
    WHERE c.id = d.id
      AND (c.recovered_amount, c.units_reimbursed_cash, c.units_reimbursed_inventory,
           c.last_reimbursed_on, c.status)
          IS DISTINCT FROM (d.recovered, d.cash_units, d.inventory_units, d.last_on, d.new_status)
    RETURNING c.id, c.tenant_id, c.status, c.recovered_amount, c.claimed_amount, c.currency,
        c.units_reimbursed_cash, c.units_reimbursed_inventory, c.units_claimed,
        d.old_status, d.old_recovered, d.old_units, d.cause_record, d.happened_on
), events AS (
    INSERT INTO cases_caseevent
        (tenant_id, case_id, from_status, to_status, source, actor_id, reason, record_id, happened_on, created_at)
    SELECT tenant_id, id, old_status, status, %(source)s, %(actor_id)s,
        %(reason)s || CASE WHEN old_status = status
                           THEN ' (reimbursement recorded on a case that stays ' ||
                                {label_case('status', CaseStatus)} || ')'
                           ELSE '' END
        || ': recovered ' || recovered_amount || ' of ' || claimed_amount || ' ' || currency
        || ', units ' || units_reimbursed_cash || ' cash + ' || units_reimbursed_inventory || ' inventory'
        || coalesce(' of ' || units_claimed || ' claimed', ''),
        cause_record, happened_on, now()
    FROM changed
    WHERE old_status <> status OR recovered_amount <> old_recovered
       OR units_reimbursed_cash::bigint + units_reimbursed_inventory <> old_units
    RETURNING from_status, to_status
)
SELECT (SELECT count(*) FROM changed), (SELECT count(*) FROM events WHERE from_status <> to_status)
"""


def case_match_sql(*, row: str) -> str:
    """The one rule matching a record (or report line) `row` to a case `c` of the same seller account,
    which the caller's SQL requires: the same case ID, and the same currency (a reimbursement in
    another currency than the claim stays unmatched, for staff to look at)."""
    return (f"c.marketplace_case_id = {row}.case_reference AND c.currency = {row}.currency "
            f"AND {row}.case_reference <> ''")


MATCH_SQL = f"""
UPDATE cases_reimbursementrecord r SET case_id = c.id
FROM cases_case c
WHERE r.case_id IS NULL
  AND r.seller_account_id = %(seller_account_id)s AND c.seller_account_id = %(seller_account_id)s
  AND {case_match_sql(row="r")}
  AND ({{scope}})
RETURNING r.case_id, r.id
"""
