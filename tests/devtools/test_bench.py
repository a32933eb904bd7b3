"""`manage.py bench` and `devtools.measure`: the parts that run without the 2,000,000-case data set."""

import pytest
from django.core.management import CommandError, call_command

from devtools.measure import ingest_phases


def test_bench_refuses_fewer_than_one_timed_run():
    with pytest.raises(CommandError, match="--runs must be at least 1"):
        call_command("bench", "--no-generate", "--runs", "0")


def test_ingestion_phases_are_told_apart_by_their_sql_and_add_up_to_the_measured_time():
    queries = [
        {"sql": "\n  CREATE TEMP TABLE sync_new_rows AS SELECT", "time": "0.500"},
        {"sql": "WITH inserted AS (INSERT INTO cases_reimbursementrecord", "time": "1.250"},
        {"sql": "WITH target AS (SELECT", "time": "2.000"},
        {"sql": "WITH target AS (SELECT", "time": "0.250"},
        {"sql": "SELECT pg_advisory_xact_lock(1, 2)", "time": "0.010"},
        {"sql": "CREATE TEMP TABLE sync_staging (line   text)", "time": "0.040"},
    ]
    seconds, slowest_other = ingest_phases(queries=queries, seconds=5.0)
    assert seconds == {
        "parse + COPY": pytest.approx(0.95), "new rows": 0.5, "insert + match": 1.25, "recompute": 2.25,
        "chunk ids": 0.0, "deferred checks (commit)": 0.0, "other SQL": pytest.approx(0.05),
    }
    assert slowest_other == "CREATE TEMP TABLE sync_staging (line text) 0.04 s"
