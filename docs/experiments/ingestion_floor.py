"""How fast could a first ingestion be on this machine? A lower bound, measured.

Runs, on the bench database, the least database work any design of the ingestion must do for the
bench report, in a transaction that is rolled back:

- the lines not stored yet (one probe each of a unique line index; here it leads with the approval
  date, `(seller_account, approval_date, fingerprint, occurrence)`, where `record_unique_line` has
  no date: a report's lines then probe and insert into the recent end of the index, a layout a
  redesign would adopt, and the floor's to measure);
- insert the records, each matched to its case by case ID (one probe each of the cases' unique
  index);
- one set-based reference check instead of per-row foreign keys;
- add the new records to the figures of their cases in a narrow table at fillfactor 50 with no
  index on a column the update writes (only its primary key and `(tenant_id, case_id)`), so every
  update is HOT (no index entry written), and write one history line per changed case.

It leaves out what the real ingestion also does (per-row foreign-key checks, rollup triggers, the
status rules of a full recompute, the wide `cases_case` rows and their 10 indexes), so the real
thing can only be slower. Python's parsing and COPY come on top
(1–2 s per 100,000 lines, see docs/performance.md).

    DEBUG=true DATABASE_URL=postgres:///casetracker_bench .venv/bin/python manage.py shell \
        < docs/experiments/ingestion_floor.py

Setup (copies of 2,000,000 cases' figures, 1.3 million records, 1.8 million events) takes about a
minute and is not timed; it ends with a CHECKPOINT, which needs a superuser (or `pg_checkpoint`).
"""

import tempfile
import time
from pathlib import Path

from django.db import connection, transaction

from devtools.benchdata import bench_report_write, bench_setup
from sync.ingest import CREATE_STAGING_SQL, ROW_COLUMNS, copy_lines
from sync.report import STAGING_COLUMNS, read_report_copy

SETUP = """
SET LOCAL jit = off; SET LOCAL work_mem = '64MB'; SET LOCAL random_page_cost = 1.1;
CREATE TABLE floor_figures (
    case_id bigint PRIMARY KEY, tenant_id bigint NOT NULL, status varchar(32) NOT NULL,
    recovered_amount numeric(14, 2) NOT NULL, units_reimbursed_cash int NOT NULL,
    units_reimbursed_inventory int NOT NULL, last_reimbursed_on date, updated_at timestamptz NOT NULL
) WITH (fillfactor = 50);
INSERT INTO floor_figures SELECT id, tenant_id, status, recovered_amount, units_reimbursed_cash,
    units_reimbursed_inventory, last_reimbursed_on, updated_at FROM cases_case ORDER BY id;
CREATE INDEX ON floor_figures (tenant_id, case_id);
CREATE TABLE floor_records (LIKE cases_reimbursementrecord INCLUDING DEFAULTS INCLUDING CONSTRAINTS);
INSERT INTO floor_records SELECT * FROM cases_reimbursementrecord ORDER BY id;
ALTER TABLE floor_records ADD PRIMARY KEY (id);
CREATE UNIQUE INDEX ON floor_records (seller_account_id, approval_date, fingerprint, occurrence);
CREATE INDEX ON floor_records (case_id, approval_date);
CREATE INDEX ON floor_records (seller_account_id, case_reference) WHERE case_id IS NULL AND case_reference <> '';
CREATE SEQUENCE floor_record_ids; SELECT setval('floor_record_ids', (SELECT max(id) FROM floor_records));
CREATE TABLE floor_events (LIKE cases_caseevent INCLUDING DEFAULTS);
INSERT INTO floor_events SELECT * FROM cases_caseevent ORDER BY id;
ALTER TABLE floor_events ADD PRIMARY KEY (id);
CREATE INDEX ON floor_events (case_id, created_at, id);
CREATE INDEX ON floor_events (created_at);
CREATE SEQUENCE floor_event_ids; SELECT setval('floor_event_ids', (SELECT max(id) FROM floor_events));
ANALYZE floor_figures; ANALYZE floor_records; ANALYZE floor_events;
CHECKPOINT
"""

RECORD_COLUMNS = (*ROW_COLUMNS, "fingerprint", "occurrence")

STEPS = {
    "lines not stored yet": """
CREATE TEMP TABLE floor_new ON COMMIT DROP AS SELECT s.* FROM (
    SELECT *, row_number() OVER (PARTITION BY fingerprint ORDER BY line) AS occurrence FROM sync_report_rows
) s WHERE NOT EXISTS (
    SELECT FROM floor_records r WHERE r.seller_account_id = %(account)s AND r.approval_date = s.approval_date
      AND r.fingerprint = s.fingerprint AND r.occurrence = s.occurrence OFFSET 0
);
ANALYZE floor_new""",
    "insert records + match": f"""
CREATE TEMP TABLE floor_matches ON COMMIT DROP AS
WITH inserted AS (
    INSERT INTO floor_records (id, tenant_id, seller_account_id, case_id, {", ".join(RECORD_COLUMNS)}, source,
        source_line, created_at)
    SELECT nextval('floor_record_ids'), %(tenant)s, %(account)s, c.id, {", ".join("s." + c for c in RECORD_COLUMNS)},
        'floor', s.line, now()
    FROM floor_new s LEFT JOIN cases_case c ON c.seller_account_id = %(account)s
        AND c.marketplace_case_id = s.case_reference AND c.currency = s.currency AND s.case_reference <> ''
    ORDER BY s.line
    RETURNING id, case_id, amount_total, quantity_cash, quantity_inventory, approval_date
) SELECT * FROM inserted WHERE case_id IS NOT NULL;
ANALYZE floor_matches""",
    "set-based reference check": """
SELECT count(*) FROM floor_matches m WHERE NOT EXISTS (
    SELECT FROM cases_case c WHERE c.id = m.case_id AND c.tenant_id = %(tenant)s AND c.seller_account_id = %(account)s
)""",
    "figures (HOT) + history": """
WITH delta AS (
    SELECT case_id, sum(amount_total) AS amount, sum(quantity_cash) AS cash_units,
        sum(quantity_inventory) AS inventory_units, max(approval_date) AS last_on, max(id) AS cause
    FROM floor_matches GROUP BY case_id
), changed AS (
    UPDATE floor_figures f SET recovered_amount = f.recovered_amount + d.amount,
        units_reimbursed_cash = f.units_reimbursed_cash + d.cash_units,
        units_reimbursed_inventory = f.units_reimbursed_inventory + d.inventory_units,
        last_reimbursed_on = greatest(f.last_reimbursed_on, (d.last_on AT TIME ZONE 'UTC')::date),
        status = CASE WHEN f.status IN ('not_eligible', 'closed') THEN f.status
                      WHEN f.recovered_amount + d.amount > 0 THEN 'partially_reimbursed' ELSE 'open' END,
        updated_at = now()
    FROM delta d WHERE f.case_id = d.case_id
    RETURNING f.case_id, f.tenant_id, f.status, f.recovered_amount, d.cause
)
INSERT INTO floor_events (id, tenant_id, case_id, from_status, to_status, source, reason, record_id, created_at)
SELECT nextval('floor_event_ids'), tenant_id, case_id, 'open', status, 'sync',
    'Report floor: recovered ' || recovered_amount, cause, now()
FROM changed""",
}

slots = bench_setup()
account = slots[0].accounts[0][0]
params = {"tenant": account.tenant_id, "account": account.pk}
with tempfile.TemporaryDirectory() as folder, transaction.atomic(), connection.cursor() as cursor:
    report = Path(folder) / "report.tsv"
    bench_report_write(path=report, slot=slots[0], rows=100_000, spread="recent")
    print("setup (not timed)...")
    cursor.execute(SETUP)
    cursor.execute(CREATE_STAGING_SQL)
    with open(report, encoding="utf-8") as lines:
        copy_lines(cursor, table="sync_report_rows", columns=STAGING_COLUMNS,
                   lines=read_report_copy(lines, source="floor"))
    total = 0.0
    for name, sql in STEPS.items():
        started = time.perf_counter()
        cursor.execute(sql, params)
        seconds = time.perf_counter() - started
        total += seconds
        print(f"{name:30} {seconds:6.2f} s")
    cursor.execute("SELECT n_tup_hot_upd, n_tup_upd FROM pg_stat_xact_user_tables WHERE relname = 'floor_figures'")
    hot, updated = cursor.fetchone()
    print(f"{'database work':30} {total:6.2f} s ({100_000 / total:,.0f} rows/s before parsing); "
          f"HOT updates {hot:,} of {updated:,}")
    transaction.set_rollback(True)
