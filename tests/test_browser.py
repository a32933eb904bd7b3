"""End to end in real headless Chromium: a seller logs in and walks through their pages."""

import os
import re

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import expect, sync_playwright

from cases.models import Case, CaseStatus
from devtools.demo import demo_seed
from devtools.demo_ledger import demo_ledger_seed
from ledger.models import Opportunity

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
PASSWORD = "browser-demo-pass"


@pytest.fixture
def page():
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(locale="en-US", java_script_enabled=False)  # pages work without it
        context.set_default_timeout(15_000)
        yield context.new_page()
        browser.close()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("across_tenants")  # the setup picks cases of two tenants to visit
def test_a_seller_logs_in_filters_opens_a_case_and_walks_through_the_pages(live_server, settings, page):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    demo_seed(password=PASSWORD)
    demo_ledger_seed(staff=get_user_model().objects.get(username="staff"))
    claimed = Opportunity.objects.filter(tenant__slug="acme-goods", case__isnull=False).select_related("case").first()
    denied = Case.objects.filter(tenant__slug="acme-goods", status=CaseStatus.NOT_ELIGIBLE).order_by("id").first()
    reimbursed = Case.objects.filter(
        tenant__slug="acme-goods", status=CaseStatus.PARTIALLY_REIMBURSED).order_by("id").first()
    other_tenant = Case.objects.filter(tenant__slug="bolt-supplies").order_by("id").first()
    denial = denied.events.filter(to_status=CaseStatus.NOT_ELIGIBLE).get().reason

    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", "seller-a")
    page.fill("input[name=password]", PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name=re.compile("Overall Cases"))).to_be_visible()
    expect(page.get_by_role("link", name=reimbursed.marketplace_case_id)).to_be_visible()
    expect(page.get_by_text(other_tenant.marketplace_case_id)).to_have_count(0)

    page.select_option("select[name=status]", CaseStatus.NOT_ELIGIBLE.value)
    page.fill("input[name=q]", denied.marketplace_case_id)
    page.get_by_role("button", name="Filter").click()
    expect(page).to_have_url(re.compile(r"status=not_eligible"))
    rows = page.locator("table.cases tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Not Eligible")
    expect(page.get_by_role("link", name=reimbursed.marketplace_case_id)).to_have_count(0)

    page.get_by_role("link", name=denied.marketplace_case_id).click()
    expect(page.get_by_role("heading", name=re.compile(f"Case {denied.marketplace_case_id}"))).to_be_visible()
    expect(page.locator("main")).to_contain_text("Not Eligible")
    expect(page.locator("main")).to_contain_text(denial)
    expect(page.locator("main")).not_to_contain_text(denied.internal_note)

    page.get_by_role("link", name="Reimbursed Cases", exact=True).click()
    expect(page.get_by_role("heading", name=re.compile("Reimbursed Cases"))).to_be_visible()
    expect(page.get_by_role("link", name=reimbursed.marketplace_case_id)).to_be_visible()
    expect(page.get_by_role("link", name=denied.marketplace_case_id)).to_have_count(0)

    page.get_by_role("link", name="Identified", exact=True).click()
    expect(page.get_by_role("heading", name=re.compile("Identified"))).to_be_visible()
    expect(page.locator("main")).to_contain_text("expired")
    page.select_option("select[name=state]", "claimed")
    page.get_by_role("button", name="Filter").click()
    expect(page.get_by_role("link", name=claimed.case.marketplace_case_id)).to_be_visible()

    page.get_by_role("link", name="Dashboard", exact=True).click()
    expect(page.get_by_role("heading", name="Dashboard", exact=True)).to_be_visible()
    expect(page.get_by_role("heading", name="Claimed Amount")).to_be_visible()
    expect(page.locator("main")).to_contain_text("USD")
    expect(page.locator("main")).to_contain_text("EUR")
    expect(page.get_by_role("heading", name="Identified to recovered")).to_be_visible()


PHONE = {"width": 390, "height": 844}


def seller_pages(live_server) -> list[str]:
    """Every seller page of Acme, with the busiest case (most records, then most history)."""
    case = max(Case.objects.filter(tenant__slug="acme-goods"), key=lambda c: (c.records.count(), c.events.count()))
    base = f"{live_server.url}/t/acme-goods"
    return [f"{base}/cases/", f"{base}/cases/?q=zzzz-nothing", f"{base}/reimbursed/", f"{base}/dashboard/",
            f"{base}/cases/{case.pk}/", f"{live_server.url}/settings/", f"{live_server.url}/accounts/password_change/"]


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("across_tenants")  # the setup picks the busiest case of the demo to visit
def test_every_seller_page_fits_a_390_px_phone_without_sideways_scroll(live_server, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    demo_seed(password=PASSWORD)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(locale="en-US", java_script_enabled=False, viewport=PHONE)
        context.set_default_timeout(15_000)
        phone = context.new_page()
        phone.goto(f"{live_server.url}/accounts/login/")
        phone.fill("input[name=username]", "seller-a")
        phone.fill("input[name=password]", PASSWORD)
        phone.get_by_role("button", name="Log in").click()
        expect(phone.get_by_role("heading", name=re.compile("Overall Cases"))).to_be_visible()
        widths = {}
        for url in seller_pages(live_server):
            assert phone.goto(url).status == 200, url
            widths[url.removeprefix(live_server.url)] = phone.evaluate("document.documentElement.scrollWidth")
        phone.goto(f"{live_server.url}/t/acme-goods/cases/")
        first_row = phone.locator("table.cases tbody tr").first
        boxes = [first_row.locator(f"td[data-col={name}]").bounding_box() for name in ("case_id", "status")]
        browser.close()
    assert {url: width for url, width in widths.items() if width > PHONE["width"]} == {}
    case_id, status = boxes
    assert case_id["x"] + case_id["width"] <= PHONE["width"] and status["x"] + status["width"] <= PHONE["width"]
    assert case_id["y"] == status["y"], "the case ID and its status share the row's first line"
