import base64
import datetime as dt
import json
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django_scopes import scope

from cases import pagination, selectors
from cases.models import Case, CaseStatus, ReimbursementType
from cases.services import case_transition
from tests.factories import add_record, make_case, make_seller_account

pytestmark = pytest.mark.usefixtures("acme_scope")

S = CaseStatus


def get(client, tenant, name="cases:overall", **params):
    response = client.get(reverse(name, args=[tenant.slug]), params)
    assert response.status_code == 200
    return response


def cell(response, column, row=0):
    table = response.context["table"]
    names = [c.name for c in table.columns]
    return table.cells()[row][names.index(column)][1]


def case_ids(response):
    return [row.record.marketplace_case_id for row in response.context["table"].rows]


@pytest.fixture
def globex_case(globex_amazon):
    return make_case(globex_amazon, marketplace_case_id="9999999", sku="SHARED-SKU",
                     product_title="Globex secret gadget")


def test_overall_cases_shows_the_tenants_cases_in_the_sellers_locale(alice_client, acme, acme_amazon, acme_amazon_eu):
    make_case(acme_amazon, marketplace_case_id="1000001", claimed_amount=Decimal("1234.50"), currency="USD",
              product_title="Blue widget", sku="SKU-BLUE", asin="B0BLUE0001")
    make_case(acme_amazon_eu, marketplace_case_id="1000002", claimed_amount=Decimal("99.00"), currency="EUR")
    html = get(alice_client, acme).content.decode()
    assert "<title>Overall Cases · Acme · Case Tracker</title>" in html
    assert "1000001" in html and "$1,234.50" in html and "€99.00" in html
    assert "Blue widget" in html and "SKU-BLUE" in html and "B0BLUE0001" in html
    assert '<span class="status status-open">Open</span>' in html
    assert '<form method="get"' in html


def test_money_follows_the_sellers_language(alice_client, acme, acme_amazon_eu):
    make_case(acme_amazon_eu, claimed_amount=Decimal("1234.50"), currency="EUR")
    response = alice_client.get(reverse("cases:overall", args=[acme.slug]), HTTP_ACCEPT_LANGUAGE="de")
    assert "1.234,50\xa0€" in response.content.decode()


def test_last_update_is_the_day_the_last_thing_happened_not_when_it_was_written(alice_client, acme, acme_amazon):
    case = make_case(acme_amazon, date_filed=dt.date(2026, 5, 10))
    add_record(case, "20.00", on=dt.date(2026, 6, 2))
    assert cell(get(alice_client, acme), "last_update") == "06/02/2026"


def test_another_tenants_cases_never_appear(alice_client, acme, acme_amazon, globex_case):
    make_case(acme_amazon, marketplace_case_id="1000001")
    html = get(alice_client, acme).content.decode()
    assert "9999999" not in html and "Globex" not in html and "A1GLOBEXAMAZ" not in html


def test_seller_account_choices_are_only_the_tenants_own(alice_client, acme, acme_amazon, globex_amazon):
    form = get(alice_client, acme).context["filter"].form
    assert [label for _, label in form.fields["seller_account"].choices][1:] == [acme_amazon.label]


def test_a_filter_naming_another_tenants_account_is_refused_and_shows_nothing(
    alice_client, acme, acme_amazon, globex_amazon, globex_case
):
    make_case(acme_amazon)
    response = get(alice_client, acme, seller_account=globex_amazon.pk)
    html = response.content.decode()
    assert response.context["filter"].errors
    assert case_ids(response) == []
    assert "A1GLOBEXAMAZ" not in html and "9999999" not in html
    assert response.context["result_count"] == 0


@pytest.mark.parametrize("field,value,query", [
    ("marketplace_case_id", "7712345678", "7712345678"),
    ("sku", "Red-Mug-01", "red-mug-01"),
    ("fnsku", "X00ABCDEF1", " x00abcdef1 "),
    ("asin", "B07XYZ1234", "b07xyz1234"),
    ("order_id", "113-1234567-7654321", "113-1234567-7654321"),
    ("shipment_id", "FBA15ABCDEF", "fba15abcdef"),
])
def test_search_finds_a_case_by_any_identifier_ignoring_case(alice_client, acme, acme_amazon, field, value, query):
    wanted = make_case(acme_amazon, **{field: value})
    make_case(acme_amazon)
    assert case_ids(get(alice_client, acme, q=query)) == [wanted.marketplace_case_id]


def test_search_matches_the_start_of_an_identifier_not_its_middle(alice_client, acme, acme_amazon):
    case = make_case(acme_amazon, sku="RED-MUG-01")
    assert case_ids(get(alice_client, acme, q="RED-MUG")) == [case.marketplace_case_id]
    assert case_ids(get(alice_client, acme, q="MUG-01")) == []


def test_search_never_reaches_another_tenant(alice_client, acme, acme_amazon, globex_case):
    mine = make_case(acme_amazon, sku="SHARED-SKU")
    assert case_ids(get(alice_client, acme, q="shared-sku")) == [mine.marketplace_case_id]
    assert case_ids(get(alice_client, acme, q="9999999")) == []


def test_filters_by_status_type_account_and_date_filed(alice_client, acme, acme_amazon, staff_user):
    other_account = make_seller_account(acme, "A1ACMESECOND")
    today = dt.date(2026, 3, 10)
    target = make_case(acme_amazon, reimbursement_type=ReimbursementType.LOST_INBOUND, date_filed=today)
    make_case(acme_amazon, reimbursement_type=ReimbursementType.LOST_INBOUND, date_filed=today - dt.timedelta(days=30))
    make_case(other_account, reimbursement_type=ReimbursementType.LOST_INBOUND, date_filed=today)
    make_case(acme_amazon, reimbursement_type=ReimbursementType.OTHER, date_filed=today)
    closed = make_case(acme_amazon, reimbursement_type=ReimbursementType.LOST_INBOUND, date_filed=today)
    case_transition(case=closed, to_status=S.CLOSED, actor=staff_user, reason="Done")
    response = get(alice_client, acme, status=S.OPEN, type=ReimbursementType.LOST_INBOUND,
                   seller_account=acme_amazon.pk, filed_from="2026-03-01", filed_to="2026-03-31")
    assert case_ids(response) == [target.marketplace_case_id]
    assert case_ids(get(alice_client, acme, status=S.CLOSED)) == [closed.marketplace_case_id]


def test_status_counts_come_from_the_rollup_and_link_to_the_filter(
    alice_client, acme, acme_amazon, staff_user, globex_case
):
    make_case(acme_amazon)
    make_case(acme_amazon)
    case_transition(case=make_case(acme_amazon), to_status=S.NOT_ELIGIBLE, actor=staff_user, reason="Denied")
    response = get(alice_client, acme)
    counts = {status: (n, url) for status, n, url in response.context["status_counts"]}
    assert counts[S.OPEN] == (2, "?status=open")
    assert counts[S.NOT_ELIGIBLE][0] == 1
    assert counts[S.CLOSED][0] == 0
    assert 'href="?status=not_eligible"' in response.content.decode()


def test_result_count_is_exact_from_the_rollup_for_rollup_filters(alice_client, acme, acme_amazon):
    for _ in range(3):
        make_case(acme_amazon, reimbursement_type=ReimbursementType.OTHER)
    make_case(acme_amazon)
    response = get(alice_client, acme, type=ReimbursementType.OTHER, status=S.OPEN)
    assert (response.context["result_count"], response.context["result_count_capped"]) == (3, False)
    assert "3 cases" in response.content.decode()


def test_result_count_is_capped_for_other_filters(alice_client, acme, acme_amazon, monkeypatch):
    monkeypatch.setattr(selectors, "COUNT_CAP", 2)
    for _ in range(4):
        make_case(acme_amazon, sku="MANY")
    response = get(alice_client, acme, q="many")
    assert (response.context["result_count"], response.context["result_count_capped"]) == (2, True)
    assert "2+ cases" in response.content.decode()
    response = get(alice_client, acme, q="nothing-like-it")
    assert (response.context["result_count"], response.context["result_count_capped"]) == (0, False)


def test_sorting_by_claimed_amount_both_ways(alice_client, acme, acme_amazon):
    for amount in ("30.00", "10.00", "20.00"):
        make_case(acme_amazon, marketplace_case_id=f"C{amount}", claimed_amount=Decimal(amount))
    assert case_ids(get(alice_client, acme, sort="claimed")) == ["C10.00", "C20.00", "C30.00"]
    assert case_ids(get(alice_client, acme, sort="-claimed")) == ["C30.00", "C20.00", "C10.00"]


def test_sorting_by_product_uses_the_sku(alice_client, acme, acme_amazon):
    for sku in ("B-SKU", "C-SKU", "A-SKU"):
        make_case(acme_amazon, marketplace_case_id=sku, sku=sku, product_title="Zebra")
    assert case_ids(get(alice_client, acme, sort="product")) == ["A-SKU", "B-SKU", "C-SKU"]


def test_default_sort_is_newest_filed_first_and_an_unknown_sort_falls_back_to_it(alice_client, acme, acme_amazon):
    for day in (1, 3, 2):
        make_case(acme_amazon, marketplace_case_id=f"D{day}", date_filed=dt.date(2026, 1, day))
    assert case_ids(get(alice_client, acme)) == ["D3", "D2", "D1"]
    assert case_ids(get(alice_client, acme, sort="internal_note")) == ["D3", "D2", "D1"]


def test_sort_headers_are_links_that_drop_the_cursor(alice_client, acme, acme_amazon):
    make_case(acme_amazon)
    html = get(alice_client, acme, sort="claimed", cursor="last").content.decode()
    assert 'href="?sort=-claimed"' in html
    assert 'aria-sort="ascending"' in html


@pytest.fixture
def tied_cases(acme_amazon, monkeypatch):
    """Seven cases, three per page, most with the same claimed amount: pages must not skip or repeat a tie."""
    monkeypatch.setattr(pagination, "PER_PAGE", 3)
    amounts = ["5.00", "7.00", "7.00", "7.00", "7.00", "7.00", "9.00"]
    cases = [make_case(acme_amazon, claimed_amount=Decimal(a)) for a in amounts]
    return [c.marketplace_case_id for c in sorted(cases, key=lambda c: (c.claimed_amount, c.pk))]


def follow(client, response, name):
    url = response.context[name]
    assert url, f"no {name}"
    response = client.get(response.wsgi_request.path + url)
    assert response.status_code == 200
    return response


def test_keyset_paging_walks_forward_through_ties_without_gaps(alice_client, acme, tied_cases):
    page1 = get(alice_client, acme, sort="claimed")
    page2 = follow(alice_client, page1, "next_url")
    page3 = follow(alice_client, page2, "next_url")
    assert case_ids(page1) + case_ids(page2) + case_ids(page3) == tied_cases
    assert page3.context["next_url"] is None
    assert page1.context["previous_url"] is None


def test_keyset_paging_walks_back_to_the_same_pages(alice_client, acme, tied_cases):
    page2 = follow(alice_client, get(alice_client, acme, sort="claimed"), "next_url")
    page3 = follow(alice_client, page2, "next_url")
    back2 = follow(alice_client, page3, "previous_url")
    back1 = follow(alice_client, back2, "previous_url")
    assert case_ids(back2) == tied_cases[3:6]
    assert case_ids(back1) == tied_cases[:3]
    assert back1.context["previous_url"] is None


def test_last_page_shows_the_last_rows_in_normal_order(alice_client, acme, tied_cases):
    last = follow(alice_client, get(alice_client, acme, sort="claimed"), "last_url")
    assert case_ids(last) == tied_cases[-3:]
    assert last.context["next_url"] is None
    before_last = follow(alice_client, last, "previous_url")
    assert case_ids(before_last) == tied_cases[1:4]


def test_last_page_descending(alice_client, acme, tied_cases):
    last = get(alice_client, acme, sort="-claimed", cursor="last")
    assert case_ids(last) == list(reversed(tied_cases))[-3:]


def test_pager_links_keep_the_filters(alice_client, acme, tied_cases):
    page1 = get(alice_client, acme, sort="claimed", status="open")
    assert "status=open" in page1.context["next_url"] and "sort=claimed" in page1.context["next_url"]
    html = page1.content.decode()
    assert ">Next</a>" in html and ">Last</a>" in html


def test_a_mangled_cursor_is_harmless(alice_client, acme, tied_cases):
    for cursor in ("garbage", "W10", "WyJjbGFpbWVkIiwiYSIsIm5vdC1hLW51bWJlciIsMV0"):
        response = get(alice_client, acme, sort="claimed", cursor=cursor)
        assert len(case_ids(response)) <= 3


def test_export_link_carries_the_filters_and_the_sort(alice_client, acme, acme_amazon):
    make_case(acme_amazon)
    response = get(alice_client, acme, status="open", sort="-claimed", cursor="last")
    export_url = response.context["export_url"]
    assert export_url.startswith(reverse("cases:export", args=[acme.slug]) + "?")
    assert "status=open" in export_url and "sort=-claimed" in export_url and "cursor" not in export_url
    assert f'href="{export_url.replace("&", "&amp;")}">Export CSV</a>' in response.content.decode()


def test_reimbursed_cases_lists_only_reimbursed_ones_with_their_units(alice_client, acme, acme_amazon):
    partly = make_case(acme_amazon, units_claimed=3, claimed_amount=Decimal("60.00"))
    add_record(partly, "20.00", cash=1)
    add_record(partly, "0.00", cash=0, inventory=1)
    make_case(acme_amazon)
    response = get(alice_client, acme, "cases:reimbursed")
    assert case_ids(response) == [partly.marketplace_case_id]
    assert (cell(response, "units_cash"), cell(response, "units_inventory")) == (1, 1)
    html = response.content.decode()
    assert "<title>Reimbursed Cases · Acme · Case Tracker</title>" in html
    assert "$20.00" in html and "11/02/2026" in html
    counts = [(status, n) for status, n, _ in response.context["status_counts"]]
    assert counts == [(S.PARTIALLY_REIMBURSED, 1), (S.FULLY_REIMBURSED, 0)]


def test_reimbursed_cases_filtered_by_open_is_empty_since_an_open_case_recovered_nothing(
        alice_client, acme, acme_amazon):
    make_case(acme_amazon)
    response = get(alice_client, acme, "cases:reimbursed", status="open")
    assert not response.context["filter"].errors
    assert case_ids(response) == []


def test_a_tenant_without_a_ready_account_sees_what_to_do_instead_of_a_table(client, acme):
    from tests.factories import make_user

    make_seller_account(acme, "A1NOTREADY", connected=False, service_initiated_on=None)
    client.force_login(make_user("newbie", acme))
    for name in ("cases:overall", "cases:reimbursed"):
        html = get(client, acme, name).content.decode()
        assert "Amazon NA A1NOTREADY" in html
        assert "is not connected" in html and "Authorized Partner" in html
        assert "has no reimbursement service yet" in html
        assert "<table" not in html and "Export CSV" not in html


def test_a_tenant_without_any_account_is_told_so(client, acme):
    from tests.factories import make_user

    client.force_login(make_user("newbie", acme))
    html = get(client, acme).content.decode()
    assert "No seller account yet" in html and "<table" not in html


def test_an_account_needing_reconnection_is_flagged_beside_the_table(alice_client, acme, acme_amazon):
    make_seller_account(acme, "A1STALE", needs_reconnect=True)
    make_case(acme_amazon)
    html = get(alice_client, acme).content.decode()
    assert "<table" in html
    assert "Amazon NA A1STALE" in html and "needs reconnecting" in html
    assert "A1ACMEAMAZON</h2>" not in html


@pytest.fixture
def reimbursed_case(acme_amazon, staff_user):
    case = make_case(acme_amazon, marketplace_case_id="5550001", units_claimed=2, claimed_amount=Decimal("40.00"),
                     seller_note="We sent Amazon the invoices.", internal_note="Seller is difficult, be brief",
                     order_id="113-0000000-0000001", actor=staff_user)
    add_record(case, "20.00", cash=1)
    add_record(case, "20.00", cash=1)
    add_record(case, "-20.00", cash=-1)
    return case


def test_case_page_shows_what_the_seller_may_see(alice_client, acme, reimbursed_case):
    response = alice_client.get(reverse("cases:detail", args=[acme.slug, reimbursed_case.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    assert "<title>Case 5550001 · Acme · Case Tracker</title>" in html
    assert "We sent Amazon the invoices." in html and "113-0000000-0000001" in html
    assert "$40.00" in html and "Amazon NA A1ACMEAMAZON" in html
    assert "Seller is difficult" not in html


def test_case_page_lists_reimbursements_with_the_reversal_marked(alice_client, acme, reimbursed_case):
    response = alice_client.get(reverse("cases:detail", args=[acme.slug, reimbursed_case.pk]))
    html = response.content.decode()
    assert len(response.context["records"]) == 3
    assert html.count('class="reversal"') == 1 and ">Reversal<" in html
    assert "-$20.00" in html


def test_case_page_timeline_names_the_source_never_the_staff_member(alice_client, acme, reimbursed_case):
    response = alice_client.get(reverse("cases:detail", args=[acme.slug, reimbursed_case.pk]))
    html = response.content.decode()
    assert "Reimbursement team" in html and "Marketplace sync" in html
    timeline = [(e.get_from_status_display(), e.get_to_status_display()) for e in response.context["events"]]
    assert timeline == [("", "Open"), ("Open", "Partially Reimbursed"), ("Partially Reimbursed", "Fully Reimbursed"),
                        ("Fully Reimbursed", "Partially Reimbursed")]
    assert "Open → Partially Reimbursed" in html and "Fully Reimbursed → Partially Reimbursed" in html
    assert "stacy" not in html


def test_case_page_of_another_tenants_case_is_not_found(alice_client, acme, globex_case):
    response = alice_client.get(reverse("cases:detail", args=[acme.slug, globex_case.pk]))
    assert response.status_code == 404
    assert "9999999" not in response.content.decode()
    with scope(tenant=globex_case.tenant):
        assert Case.objects.filter(pk=globex_case.pk).exists()


def test_a_cursor_with_a_tampered_value_opens_the_first_page(alice_client, acme, acme_amazon):
    make_case(acme_amazon, marketplace_case_id="1000000001")
    payload = json.dumps(["-date_filed", "a", "not-a-date", 1], separators=(",", ":"))
    token = base64.urlsafe_b64encode(payload.encode()).decode().rstrip("=")
    response = get(alice_client, acme, cursor=token)
    assert response.status_code == 200
    assert case_ids(response) == ["1000000001"]
    assert response.context["page"].first


def test_a_status_chip_keeps_the_other_filters_and_the_sort_and_starts_at_the_first_page(alice_client, acme,
                                                                                         acme_amazon):
    make_case(acme_amazon)
    response = get(alice_client, acme, q="knife", type="lost_warehouse", sort="claimed", status="open",
                   cursor="abc")
    urls = {status.value: url for status, _, url in response.context["status_counts"]}
    assert urls["closed"] == "?q=knife&type=lost_warehouse&sort=claimed&status=closed"


def test_a_filter_the_rollup_knows_matches_nothing_never_reads_the_cases(alice_client, acme, acme_amazon):
    """Walking the sort's index to find no row reads every case of the tenant: the rollup already knows."""
    make_case(acme_amazon, reimbursement_type=ReimbursementType.LOST_WAREHOUSE)

    with CaptureQueriesContext(connection) as queries:
        response = get(alice_client, acme, status=S.NOT_ELIGIBLE, type=ReimbursementType.OTHER)

    assert case_ids(response) == []
    assert "No cases match." in response.content.decode()
    assert not [q["sql"] for q in queries.captured_queries if 'FROM "cases_case"' in q["sql"]]
    with CaptureQueriesContext(connection) as queries:
        assert case_ids(get(alice_client, acme, status=S.OPEN)) != []
    assert [q["sql"] for q in queries.captured_queries if 'FROM "cases_case"' in q["sql"]]
