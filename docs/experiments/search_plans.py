"""The plans and times of the seller's search on the bench data (docs/performance.md, "Search by prefix").

Runs, for each search given, what Overall Cases runs (the search's ids, the first page, the capped
count) inside the tenant's scope, five times warm, then EXPLAIN (ANALYZE) of each query it made.

    PYTHONPATH=. DEBUG=true DATABASE_URL=postgres://casetracker_app@127.0.0.1/casetracker_bench \\
        .venv/bin/python docs/experiments/search_plans.py bench-big 1000000020 SKU-0412 bench zzzz

Add PLANS=1 for the whole plans instead of their scans.
"""

import os
import sys
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "casetracker.settings")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django_scopes import scope  # noqa: E402

from accounts.models import Tenant  # noqa: E402
from accounts.selectors import seller_account_list  # noqa: E402
from cases import selectors  # noqa: E402
from cases.filters import CaseFilter  # noqa: E402
from cases.pagination import keyset_page, sort_parse  # noqa: E402
from cases.tables import DEFAULT_SORT, SORT_COLUMNS  # noqa: E402


def search(tenant, text):
    accounts = seller_account_list(tenant=tenant)
    found = CaseFilter({"q": text}, selectors.case_list(tenant=tenant), seller_accounts=accounts, tenant=tenant)
    assert found.is_valid(), found.errors
    page = keyset_page(found.qs, sort=sort_parse(None, columns=SORT_COLUMNS, default=DEFAULT_SORT), token=None)
    count = selectors.COUNT_CAP if found.search_overflow else selectors.case_totals_capped(
        cases=found.qs, cap=selectors.COUNT_CAP)[0]
    return found, page, count


def main(slug, *texts):
    tenant = Tenant.objects.get(slug=slug)
    for text in texts:
        with scope(tenant=tenant):
            with CaptureQueriesContext(connection) as captured:
                found, page, count = search(tenant, text)
            times = []
            for _ in range(5):
                started = time.perf_counter()
                search(tenant, text)
                times.append((time.perf_counter() - started) * 1000)
            print(f"=== {text!r}: {len(page.rows)} rows on page 1, broad={found.search_overflow}, count={count}, "
                  f"median of 5 warm: {sorted(times)[2]:.1f} ms")
            for query in captured.captured_queries:
                if "cases_case" not in query["sql"]:
                    continue
                with connection.cursor() as cursor:
                    cursor.execute("EXPLAIN (ANALYZE, COSTS OFF) " + query["sql"])
                    plan = [row[0] for row in cursor.fetchall()]
                wanted = plan if os.environ.get("PLANS") == "1" else [
                    line for line in plan if "Scan" in line or "Execution" in line]
                print("  -", query["sql"][:90], "...")
                print("\n".join(f"      {line.strip()[:150]}" for line in wanted))


if __name__ == "__main__":
    main(*sys.argv[1:])
