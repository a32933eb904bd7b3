"""Hypothesis over the query parameters of every seller page and the export: never a 500, never another
tenant's data.

Each page gets the parameters it really reads (sort, cursor, filters, search, seller account) with values
from its own vocabulary, crafted cursors, and arbitrary text (NUL, any non-surrogate unicode, huge numbers,
NaN and Infinity, very long strings), plus keys it does not know. `FUZZ_EXAMPLES` sets the examples per page:
50 in `make test`, 1,000 in `make stress`.

The pages only read; each request still runs in a savepoint, so one failing example cannot poison the
transaction the next ones share.
"""

import base64
import csv
import datetime as dt
import io
import json
import os
from dataclasses import dataclass
from decimal import Decimal
from urllib.parse import urlencode

import pytest
from django.db import transaction
from django.http.response import MAX_URL_REDIRECT_LENGTH
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cases import pagination
from cases.models import REIMBURSED_STATUSES, Case, CaseStatus, ReimbursementType
from cases.tables import SORT_COLUMNS
from tests.factories import add_record, make_case, make_seller_account

pytestmark = pytest.mark.fuzz

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "50"))
fuzz_settings = settings(
    max_examples=EXAMPLES, deadline=None, print_blob=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

SELLER_PAGES = ["cases:overall", "cases:reimbursed", "cases:export", "dashboard:index"]
GLOBEX_SECRET = "Globex secret gadget"
GLOBEX_CASE_ID = "GLOBEXCASE1"
GLOBEX_CURRENCY = "CAD"

NASTY = [
    "", " ", "\x00", "10\x0000", "NaN", "nan", "-NaN", "sNaN", "Infinity", "-Infinity", "inf", "1e999999",
    "-1e999999", "1E+308", "0", "-0", "-1", "0.001", "1_000", "0x10", "\u0661\u0662", str(2**31), str(2**63),
    str(2**64), str(-(2**63) - 1), "9" * 5000, "0001-01-01", "9999-12-31", "10000-01-01", "2026-02-30",
    "2026-13-01", "0000-00-00", "last", "LAST", "%00", "%", "'", '"', "<script>alert(1)</script>", "../..",
    "\n", "\r\n", "\u202e", "\ufeff", "\U0001F600" * 200, "x" * 20_000, "-", "--claimed", "claimed,-status",
]
text = st.text(st.characters(exclude_categories=["Cs"]), max_size=300)
numbers = st.one_of(st.integers(), st.floats(), st.decimals()).map(str)
junk = st.one_of(st.sampled_from(NASTY), text, numbers)

SORTS = [alias for alias in SORT_COLUMNS] + [f"-{alias}" for alias in SORT_COLUMNS]
sort_values = st.one_of(st.sampled_from(SORTS), junk)


def token(*parts) -> str:
    payload = json.dumps(list(parts), separators=(",", ":"))
    return base64.urlsafe_b64encode(payload.encode()).decode().rstrip("=")


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | text,
    lambda children: st.lists(children, max_size=5) | st.dictionaries(text, children, max_size=5),
    max_leaves=20,
)
any_cursor_value = st.one_of(
    st.dates().map(dt.date.isoformat),
    st.datetimes(timezones=st.timezones() | st.none()).map(dt.datetime.isoformat),
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
    st.text(max_size=100),
    st.sampled_from(NASTY),
)
CURSOR_VALUES_BY_TYPE = {
    "DecimalField": st.one_of(
        st.decimals(allow_nan=True, allow_infinity=True).map(str),
        st.sampled_from(["NaN", "-NaN", "sNaN", "Infinity", "-Infinity", "1e999999", "-1e-999999",
                         "123456789012.99", "1234567890123", "0.001", "1E+2", " 12.50 "]),
    ),
    "DateField": st.one_of(st.dates().map(dt.date.isoformat), st.sampled_from(["99999-01-01", "2026-02-30"])),
    "DateTimeField": st.datetimes(timezones=st.timezones() | st.none()).map(dt.datetime.isoformat),
    "CharField": st.one_of(
        st.text(max_size=100),
        st.text(st.sampled_from("\x00a0-\u00e9\U0001F600\ud800\udfff"), max_size=80),
    ),
}
"""Values a cursor of each sort column might carry: typical, edge and impossible."""


def cursor_value_for(sort: str):
    return CURSOR_VALUES_BY_TYPE[Case._meta.get_field(SORT_COLUMNS[sort.removeprefix("-")]).get_internal_type()]


cursor_ids = st.integers() | st.floats() | st.booleans() | text
crafted_cursors = st.one_of(
    st.builds(token, st.sampled_from(SORTS) | text, st.sampled_from(["a", "b"]) | text, any_cursor_value,
              cursor_ids),
    json_values.map(token),
    st.binary(max_size=300).map(lambda raw: base64.urlsafe_b64encode(raw).decode()),
    junk,
)
sort_with_its_cursor = st.sampled_from(SORTS).flatmap(
    lambda sort: st.builds(
        lambda direction, value, pk: [("sort", sort), ("cursor", token(sort, direction, value, pk))],
        st.sampled_from(["a", "b"]), cursor_value_for(sort), st.integers(1, 2**63 - 1) | cursor_ids,
    )
)
"""A crafted cursor that names the requested sort, so that its value reaches the query; its value is
typed like the sort column, typical, on the edge or impossible."""


def cursor_values(real_cursors: list[str]):
    return st.one_of(st.sampled_from(real_cursors + [pagination.LAST]), crafted_cursors)


def query(keys: dict, data) -> str:
    """Pairs drawn from the page's own parameters, with repeats, and keys it does not know."""
    own = st.sampled_from(sorted(keys)).flatmap(lambda key: st.tuples(st.just(key), keys[key])).map(lambda p: [p])
    other = st.tuples(st.sampled_from(["page", "per_page", "order", "format", "next"]) | text, junk).map(
        lambda p: [p]
    )
    groups = data.draw(st.lists(st.one_of(own, own, other, sort_with_its_cursor), max_size=8), label="params")
    encoded = urlencode([pair for group in groups for pair in group])
    raw = data.draw(st.sampled_from(["", "&%ZZ", "&%ff%fe=%c0", "&=&&;", "&a=%00", "&sort"]), label="raw")
    return encoded + raw


def fetch(client, url: str):
    """The response and its whole body (a streamed export is read to its end)."""
    with transaction.atomic():
        response = client.get(url)
        body = b"".join(response.streaming_content) if response.streaming else response.content
    assert response.status_code != 500
    return response, body.decode()


@dataclass(frozen=True)
class World:
    cases: set[int]
    accounts: list[int]
    globex_account: int
    globex_case: int
    cursors: list[str]
    """The pager's own cursors, every sort and direction from every case."""

    def __repr__(self) -> str:
        return f"World(cases={sorted(self.cases)}, accounts={self.accounts})"


@pytest.fixture
def world(acme, alice, acme_amazon, globex_amazon, monkeypatch):
    """Acme's cases in two accounts, enough for several pages of two; one Globex case with a secret."""
    monkeypatch.setattr(pagination, "PER_PAGE", 2)
    acme_eu = make_seller_account(acme, "A1ACMEEUROPE", region="EU", marketplace_ids=["A1PA6795UKMFR9"])
    cases = []
    for n, (claimed, kind, filed) in enumerate([
        ("12.50", ReimbursementType.LOST_WAREHOUSE, dt.date(2026, 1, 3)),
        ("12.50", ReimbursementType.DAMAGED_WAREHOUSE, dt.date(2026, 1, 3)),
        ("99999999999.99", ReimbursementType.LOST_WAREHOUSE, dt.date(2025, 12, 31)),
        ("0.01", ReimbursementType.CUSTOMER_RETURN, dt.date(2026, 2, 1)),
        ("40.00", ReimbursementType.LOST_WAREHOUSE, dt.date(2026, 2, 2)),
    ]):
        account = acme_amazon if n % 2 == 0 else acme_eu
        cases.append(make_case(account, marketplace_case_id=f"ACME{n}", sku=f"SKU-\u00e9{n}",
                               claimed_amount=Decimal(claimed), reimbursement_type=kind, date_filed=filed,
                               currency="USD" if n % 2 == 0 else "EUR"))
    add_record(cases[0], "12.50")
    add_record(cases[4], "10.00")
    globex_case = make_case(globex_amazon, marketplace_case_id=GLOBEX_CASE_ID, product_title=GLOBEX_SECRET,
                            claimed_amount=Decimal("500"), currency=GLOBEX_CURRENCY, date_filed=dt.date(2026, 1, 3))
    add_record(globex_case, "100", currency=GLOBEX_CURRENCY)
    real_cursors = [
        pagination.cursor_encode(sort=pagination.sort_parse(sort, columns=SORT_COLUMNS, default=sort), after=after,
                                 row=case)
        for sort in SORTS for after in (True, False) for case in cases
    ]
    return World(cases={case.pk for case in cases}, accounts=[acme_amazon.pk, acme_eu.pk],
                 globex_account=globex_amazon.pk, globex_case=globex_case.pk, cursors=real_cursors)


def list_keys(world) -> dict:
    accounts = world.accounts + [world.globex_account]
    return {
        "sort": sort_values,
        "cursor": cursor_values(world.cursors),
        "status": st.sampled_from(CaseStatus.values) | junk,
        "type": st.sampled_from(ReimbursementType.values) | junk,
        "seller_account": st.sampled_from(accounts).map(str) | junk,
        "filed_from": st.dates().map(dt.date.isoformat) | junk,
        "filed_to": st.dates().map(dt.date.isoformat) | junk,
        "q": st.sampled_from(["ACME0", "acme1", "SKU-\u00e92", GLOBEX_CASE_ID, "B000000001"]) | junk,
        "page": st.integers().map(str) | junk,
    }


def assert_no_globex(body: str) -> None:
    assert GLOBEX_SECRET not in body


@pytest.mark.parametrize("name", ["cases:overall", "cases:reimbursed"])
@fuzz_settings
@given(data=st.data())
def test_case_lists_answer_any_query_with_a_page_of_the_tenants_own_cases(alice_client, acme, world, name, data):
    url = reverse(name, args=[acme.slug]) + "?" + query(list_keys(world), data)
    response, body = fetch(alice_client, url)
    assert response.status_code == 200
    page = response.context["page"]
    if page is None:
        assert "Some filters are not valid" in body
    else:
        assert {case.pk for case in page.rows} <= world.cases
    assert_no_globex(body)


@pytest.mark.parametrize("name", ["cases:overall", "cases:reimbursed"])
@fuzz_settings
@given(data=st.data())
def test_case_lists_answer_any_cursor_of_the_sort_with_a_page(alice_client, acme, world, name, data):
    """Valid filters only, so that every cursor reaches the query."""
    pairs = data.draw(sort_with_its_cursor, label="sort and cursor")
    valid = {"status": REIMBURSED_STATUSES[0], "type": ReimbursementType.values[0],
             "seller_account": str(world.accounts[0])}
    filters = data.draw(st.lists(st.sampled_from(sorted(valid.items())), max_size=3), label="filters")
    url = reverse(name, args=[acme.slug]) + "?" + urlencode(pairs + filters)
    response, body = fetch(alice_client, url)
    assert response.status_code == 200
    page = response.context["page"]
    assert page is not None and {case.pk for case in page.rows} <= world.cases
    assert_no_globex(body)


@fuzz_settings
@given(data=st.data())
def test_export_answers_any_query_with_the_tenants_own_rows_or_a_named_error(alice_client, acme, world, data):
    url = reverse("cases:export", args=[acme.slug]) + "?" + query(list_keys(world), data)
    response, body = fetch(alice_client, url)
    assert response.status_code in (200, 400)
    if response.status_code == 400:
        assert body.startswith("Not exported: some filters are not valid.")
    else:
        ids = {row["Case ID"] for row in csv.DictReader(io.StringIO(body))}
        assert ids <= {f"ACME{n}" for n in range(5)}
        assert_no_globex(body)


@fuzz_settings
@given(data=st.data())
def test_dashboard_answers_any_query_with_the_tenants_own_figures(alice_client, acme, world, data):
    keys = {
        "account": st.sampled_from(world.accounts + [world.globex_account]).map(str) | junk,
        "sort": sort_values,
        "cursor": cursor_values(world.cursors),
        "recovered_from": st.dates().map(dt.date.isoformat) | junk,
        "recovered_to": st.dates().map(dt.date.isoformat) | junk,
    }
    response, body = fetch(alice_client, reverse("dashboard:index", args=[acme.slug]) + "?" + query(keys, data))
    assert response.status_code == 200
    selected = response.context["selected_account"]
    assert selected is None or selected.pk in world.accounts
    assert GLOBEX_CURRENCY not in {summary.currency for summary, *_ in response.context["panels"]}
    assert GLOBEX_CURRENCY not in {figures.currency for figures in response.context["period_figures"]}


@fuzz_settings
@given(data=st.data(), case_pk=st.integers(min_value=0, max_value=10**30))
def test_case_page_answers_any_id_and_query_with_the_tenants_case_or_not_found(alice_client, acme, world, data,
                                                                                 case_pk):
    case_pk = data.draw(st.sampled_from(sorted(world.cases) + [world.globex_case, case_pk]), label="case")
    keys = {"cursor": cursor_values(world.cursors), "sort": sort_values, "page": junk}
    url = reverse("cases:detail", args=[acme.slug, case_pk]) + "?" + query(keys, data)
    response, body = fetch(alice_client, url)
    if case_pk in world.cases:
        assert response.status_code == 200
        assert response.context["case"].tenant_id == acme.pk
    else:
        assert response.status_code == 404
    assert_no_globex(body)


@fuzz_settings
@given(data=st.data())
def test_home_answers_any_query_by_sending_the_seller_to_their_tenant(alice_client, acme, world, data):
    response, _ = fetch(alice_client, reverse("home") + "?" + query({"next": junk}, data))
    assert response.status_code == 302
    assert response["Location"] == reverse("cases:overall", args=[acme.slug])


@pytest.mark.parametrize("name", SELLER_PAGES)
@fuzz_settings
@given(data=st.data())
def test_an_outsider_gets_not_found_whatever_the_query(charlie_client, acme, world, name, data):
    response, body = fetch(charlie_client, reverse(name, args=[acme.slug]) + "?" + query(list_keys(world), data))
    assert response.status_code == 404
    assert "ACME0" not in body


@pytest.mark.parametrize("name", SELLER_PAGES)
@fuzz_settings
@given(data=st.data())
def test_a_visitor_not_logged_in_is_sent_to_log_in_whatever_the_query(client, acme, world, name, data):
    url = reverse(name, args=[acme.slug]) + "?" + query(list_keys(world), data)
    response, body = fetch(client, url)
    if response.status_code == 400:
        # `next` would carry the URL, its percent signs encoded again, past Django's limit on redirects.
        assert len(reverse("login") + "?next=") + 3 * len(url) > MAX_URL_REDIRECT_LENGTH
    else:
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login") + "?next=")
    assert "ACME0" not in body


@fuzz_settings
@given(data=st.data())
def test_the_login_page_answers_any_query(db, client, data):
    response, _ = fetch(client, reverse("login") + "?" + query({"next": junk}, data))
    assert response.status_code == 200
