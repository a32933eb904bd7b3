"""`manage.py bench` and `devtools.measure`: the parts that run without the 2,000,000-case data set."""

import datetime as dt

import pytest
from django.core.management import CommandError, call_command
from django.urls import NoReverseMatch, reverse

from devtools.measure import ingest_phases
from tests.factories import make_case


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


@pytest.mark.django_db
def test_the_bare_page_renders_the_first_page_rows_of_its_tenant_only_outside_the_products_urls(
        client, acme_amazon, globex_amazon, settings):
    newest = make_case(acme_amazon, marketplace_case_id="NEWEST", date_filed=dt.date(2026, 11, 1))
    make_case(acme_amazon, marketplace_case_id="OLDER", date_filed=dt.date(2026, 10, 1))
    make_case(globex_amazon, marketplace_case_id="GLOBEX", date_filed=dt.date(2026, 11, 2))
    with pytest.raises(NoReverseMatch):
        reverse("bench_bare", args=["acme"])
    settings.ROOT_URLCONF = "devtools.bench_urls"

    page = client.get(reverse("bench_bare", args=["acme"])).content.decode()

    assert page.index(newest.marketplace_case_id) < page.index("OLDER")
    assert "GLOBEX" not in page
