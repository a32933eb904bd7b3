"""The load test's sellers, for locust: each logs in as the seller of a tenant of its own (stress-01,
stress-02, ...; see `devtools.stressdata`) and reads its pages, waiting 1 to 5 s between pages.

Run by `make load` (`python -m devtools.loadrun`); by hand:
`locust -f devtools/locustfile.py --headless -u 50 -r 5 -t 300s --host http://127.0.0.1:8765`.
Each request is named after its page, so the statistics come per page.
"""

import itertools
import os
import random
import re
from html import unescape as html_unescape

from locust import HttpUser, between, task

PASSWORD = os.environ.get("LOAD_PASSWORD", "stress-password")
TENANTS = int(os.environ.get("LOAD_TENANTS", "50"))
CASE_LINK = re.compile(r'href="(/t/[^/"]+/cases/\d+/)"')
NEXT_LINK = re.compile(r'href="(\?[^"]+)" rel="next"')
FILTERS = (
    "?status=open", "?status=partially_reimbursed", "?status=fully_reimbursed", "?type=lost_warehouse",
    "?type=customer_return&sort=-claimed_amount", "?sort=date_filed", "?q=STRESS-SKU-17", "?q=B0STR00042",
    "?filed_from=2026-01-01&sort=-recovered_amount",
)
_numbers = itertools.count()


class Seller(HttpUser):
    wait_time = between(1, 5)

    def on_start(self) -> None:
        number = next(_numbers) % TENANTS + 1
        self.slug = f"stress-{number:02d}"
        self.base = f"/t/{self.slug}"
        self.case_links: list[str] = []
        self.client.get("/accounts/login/", name="login page")
        with self.client.post(
            "/accounts/login/", name="log in", catch_response=True,
            data={"username": self.slug, "password": PASSWORD,
                  "csrfmiddlewaretoken": self.client.cookies.get("csrftoken", "")},
        ) as response:
            if "/accounts/login/" in response.url:
                response.failure(f"could not log in as {self.slug}")

    def _page(self, path: str, name: str) -> str:
        with self.client.get(path, name=name, catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"{response.status_code} for {path}")
                return ""
            if "/accounts/login/" in response.url:
                response.failure(f"sent to the login page from {path}")
                return ""
            return response.text

    @task(4)
    def overall_cases(self) -> None:
        html = self._page(f"{self.base}/cases/", "Overall Cases")
        self.case_links = CASE_LINK.findall(html) or self.case_links
        next_page = NEXT_LINK.search(html)
        if next_page and random.random() < 0.3:
            self._page(f"{self.base}/cases/{html_unescape(next_page.group(1))}", "Overall Cases, next page")

    @task(3)
    def filtered_cases(self) -> None:
        self._page(f"{self.base}/cases/{random.choice(FILTERS)}", "Overall Cases, filtered")

    @task(3)
    def case_page(self) -> None:
        if self.case_links:
            self._page(random.choice(self.case_links), "Case page")

    @task(2)
    def dashboard(self) -> None:
        self._page(f"{self.base}/dashboard/", "Dashboard")

    @task(1)
    def reimbursed_cases(self) -> None:
        self._page(f"{self.base}/reimbursed/", "Reimbursed Cases")

    @task(1)
    def export(self) -> None:
        with self.client.get(f"{self.base}/cases/export.csv", name="CSV export", catch_response=True) as response:
            if response.status_code != 200 or not response.text.startswith("Case ID,"):
                response.failure(f"{response.status_code} for the export")
