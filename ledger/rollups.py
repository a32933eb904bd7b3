"""`OpportunityTotals`, the rollup of opportunities: the triggers that keep it, and its recomputation.

Statement-level triggers with transition tables, as for the cases' rollups (`cases.sql.rollups`): one
grouped upsert per write statement, in the writer's transaction, whoever writes (detection's chunked
`INSERT ... ON CONFLICT`, a staff decision's save, an admin bulk action). Migration
`ledger/0007_opportunity_totals` holds a frozen copy of `INSTALL`; `tests/test_migrations_frozen.py`
checks that the database still holds exactly it. `manage.py rebuild_rollups --verify` compares the
stored buckets with `OPPORTUNITY_TOTALS.recompute`.
"""

from django.db import connection

from cases.locks import rollups_lock
from cases.sql import literal
from cases.sql.rollups import Rollup, statement_triggers, trigger_function
from cases.sql.rollups import ROLLUPS as CASE_ROLLUPS

from .models import OPEN, OpportunityState

STORED_STATE = (
    f"CASE WHEN dismissed_at IS NOT NULL THEN {literal(OpportunityState.DISMISSED)} "
    f"WHEN case_id IS NOT NULL THEN {literal(OpportunityState.CLAIMED)} "
    f"WHEN units_open <= 0 THEN {literal(OpportunityState.RESOLVED)} ELSE {literal(OPEN)} END"
)
"""The stored part of `OpportunityQuerySet.with_state`: its rule up to the window's dates."""
BUCKET = f"tenant_id, seller_account_id, claim_type, currency, {STORED_STATE}, window_opens_on, window_closes_on"
CONTRIBUTION = "{sign}1, {sign}coalesce(amount, 0)"

FUNCTION = trigger_function(
    "ledger_opportunity_totals",
    "ledger_opportunitytotals",
    ["tenant_id", "seller_account_id", "claim_type", "currency", "stored_state", "window_opens_on",
     "window_closes_on", "opportunity_count", "amount"],
    ["opportunity_count", "amount"],
    BUCKET,
    CONTRIBUTION,
)

INSTALL = "\n".join([FUNCTION, statement_triggers("ledger_opportunity_totals", "ledger_opportunity")])

UNINSTALL = """
DROP TRIGGER IF EXISTS ledger_opportunity_totals_insert ON ledger_opportunity;
DROP TRIGGER IF EXISTS ledger_opportunity_totals_update ON ledger_opportunity;
DROP TRIGGER IF EXISTS ledger_opportunity_totals_delete ON ledger_opportunity;
DROP FUNCTION IF EXISTS ledger_opportunity_totals();
"""

OPPORTUNITY_TOTALS = Rollup(
    name="OpportunityTotals",
    table="ledger_opportunitytotals",
    keys=("seller_account_id", "claim_type", "currency", "stored_state", "window_opens_on", "window_closes_on"),
    values=("opportunity_count", "amount"),
    types={
        "seller_account_id": "bigint", "claim_type": "text", "currency": "text", "stored_state": "text",
        "window_opens_on": "date", "window_closes_on": "date", "opportunity_count": "bigint", "amount": "numeric",
    },
    recompute=f"""
        SELECT seller_account_id, claim_type, currency, {STORED_STATE} AS stored_state, window_opens_on,
            window_closes_on, count(*) AS opportunity_count, sum(coalesce(amount, 0)) AS amount
        FROM ledger_opportunity WHERE tenant_id = %(tenant_id)s
        GROUP BY 1, 2, 3, 4, 5, 6
    """,
)

ROLLUPS = (*CASE_ROLLUPS, OPPORTUNITY_TOTALS)
"""Every rollup table: the cases' and the ledger's."""


def all_rollups_lock() -> None:
    """`cases.locks.rollups_lock`, and the opportunities and their rollup after it, in the order of the cases'
    lock: every writer kept out of every rollup and its source until the transaction ends."""
    rollups_lock()
    with connection.cursor() as cursor:
        for table in ("ledger_opportunity", OPPORTUNITY_TOTALS.table):
            cursor.execute(f"LOCK TABLE {table} IN SHARE ROW EXCLUSIVE MODE")
