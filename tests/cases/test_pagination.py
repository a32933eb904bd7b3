"""Paging every sort of Overall Cases both ways, from the first page to the last and back.

Eight cases, three per page, with ties in every column but the case ID: a page that repeats, skips or
starts over shows up as a difference with the order the database gives for the same sort.
"""

import base64
import datetime as dt
import json
from decimal import Decimal

import pytest
from django.urls import reverse
from django_scopes import scope

from cases import pagination
from cases.models import Case, CaseStatus, ReimbursementType
from cases.services import case_transition
from cases.tables import DEFAULT_SORT, SORT_COLUMNS, SORT_PREFIXES
from tests.factories import add_record, make_case

pytestmark = pytest.mark.usefixtures("acme_scope")

PER_PAGE = 3
SORTS = [*SORT_COLUMNS, *(f"-{alias}" for alias in SORT_COLUMNS)]


@pytest.fixture
def mixed_cases(acme_amazon, staff_user, monkeypatch):
    monkeypatch.setattr(pagination, "PER_PAGE", PER_PAGE)
    shapes = [
        ("B-SKU", "30.00", 1, ReimbursementType.LOST_WAREHOUSE),
        ("A-SKU", "10.00", 2, ReimbursementType.DAMAGED_WAREHOUSE),
        ("B-SKU", "30.00", 2, ReimbursementType.LOST_WAREHOUSE),
        ("C-SKU", "20.00", 1, ReimbursementType.OTHER),
        ("A-SKU", "30.00", 3, ReimbursementType.LOST_WAREHOUSE),
        ("C-SKU", "10.00", 2, ReimbursementType.DAMAGED_WAREHOUSE),
        ("B-SKU", "20.00", 1, ReimbursementType.OTHER),
        ("A-SKU", "30.00", 2, ReimbursementType.LOST_WAREHOUSE),
    ]
    cases = [
        make_case(acme_amazon, marketplace_case_id=f"P{n}", sku=sku, claimed_amount=Decimal(amount),
                  date_filed=dt.date(2026, 1, day), reimbursement_type=kind, currency="CAD" if n in (2, 5) else "USD")
        for n, (sku, amount, day, kind) in enumerate(shapes)
    ]
    add_record(cases[0], "10.00")
    add_record(cases[3], "10.00")
    case_transition(case=cases[5], to_status=CaseStatus.CLOSED, actor=staff_user, reason="Withdrawn")
    return cases


def _ids(response) -> list[str]:
    return [row.record.marketplace_case_id for row in response.context["table"].rows]


def _open(client, url):
    response = client.get(url)
    assert response.status_code == 200
    return response


def _walk(client, response, link: str) -> list[list[str]]:
    """The pages met following `link` until it is gone, the starting page first."""
    pages = [_ids(response)]
    while response.context[link]:
        response = _open(client, response.wsgi_request.path + response.context[link])
        pages.append(_ids(response))
        assert len(pages) <= 10, f"{link} never ends: {pages}"
    return pages


def _database_order(tenant, sort: str) -> list[str]:
    alias = sort.removeprefix("-")
    columns = (*SORT_PREFIXES.get(alias, ()), SORT_COLUMNS[alias])
    with scope(tenant=tenant):
        ascending = list(Case.objects.filter(tenant=tenant).order_by(*columns, "id")
                         .values_list("marketplace_case_id", flat=True))
    return ascending[::-1] if sort.startswith("-") else ascending


def _chunked(ids: list[str]) -> list[list[str]]:
    return [ids[start:start + PER_PAGE] for start in range(0, len(ids), PER_PAGE)]


def _chunked_from_the_end(ids: list[str]) -> list[list[str]]:
    """Pages met walking back from the last page: full pages from the end, the first page what is left."""
    return [page[::-1] for page in _chunked(ids[::-1])][::-1]


@pytest.mark.parametrize("sort", SORTS)
def test_next_pages_through_every_case_once_in_the_sort_order(alice_client, acme, mixed_cases, sort):
    first = _open(alice_client, reverse("cases:overall", args=[acme.slug]) + f"?sort={sort}")

    pages = _walk(alice_client, first, "next_url")

    assert pages == _chunked(_database_order(acme, sort))


@pytest.fixture
def full_pages(acme_amazon, mixed_cases):
    """A ninth case: the cases then fill three pages of three exactly."""
    make_case(acme_amazon, marketplace_case_id="P8", date_filed=dt.date(2026, 1, 4))


@pytest.mark.parametrize("sort", ["-date_filed", "claimed"])
def test_when_the_cases_fill_their_pages_exactly_the_last_page_has_no_next(alice_client, acme, full_pages, sort):
    first = _open(alice_client, reverse("cases:overall", args=[acme.slug]) + f"?sort={sort}")

    pages = _walk(alice_client, first, "next_url")

    assert [len(page) for page in pages] == [PER_PAGE] * 3
    assert pages == _chunked(_database_order(acme, sort))


@pytest.mark.parametrize("sort", ["-date_filed", "claimed"])
def test_when_the_cases_fill_their_pages_exactly_previous_stops_at_the_first_page(alice_client, acme, full_pages,
                                                                                  sort):
    first = _open(alice_client, reverse("cases:overall", args=[acme.slug]) + f"?sort={sort}")
    second = _open(alice_client, first.wsgi_request.path + first.context["next_url"])
    third = _open(alice_client, second.wsgi_request.path + second.context["next_url"])

    backward = _walk(alice_client, third, "previous_url")

    assert backward == _chunked(_database_order(acme, sort))[::-1]


@pytest.mark.parametrize("sort", SORTS)
def test_previous_from_the_last_page_walks_back_through_the_same_pages(alice_client, acme, mixed_cases, sort):
    first = _open(alice_client, reverse("cases:overall", args=[acme.slug]) + f"?sort={sort}")
    forward = _walk(alice_client, first, "next_url")
    last = _open(alice_client, first.wsgi_request.path + first.context["last_url"])

    backward = _walk(alice_client, last, "previous_url")

    order = _database_order(acme, sort)
    assert forward == _chunked(order)
    assert backward[::-1] == _chunked_from_the_end(order)
    assert last.context["next_url"] is None


@pytest.mark.parametrize("sort", SORTS)
def test_previous_from_a_page_reached_by_next_gives_the_page_before(alice_client, acme, mixed_cases, sort):
    first = _open(alice_client, reverse("cases:overall", args=[acme.slug]) + f"?sort={sort}")
    second = _open(alice_client, first.wsgi_request.path + first.context["next_url"])
    third = _open(alice_client, second.wsgi_request.path + second.context["next_url"])

    back = _open(alice_client, third.wsgi_request.path + third.context["previous_url"])

    assert _ids(back) == _ids(second)
    assert back.context["previous_url"] and back.context["next_url"]


def test_the_default_sort_newest_filed_first_pages_forward_past_the_first_page(alice_client, acme, mixed_cases):
    first = _open(alice_client, reverse("cases:overall", args=[acme.slug]))
    second = _open(alice_client, first.wsgi_request.path + first.context["next_url"])

    assert _ids(first) == _database_order(acme, DEFAULT_SORT)[:PER_PAGE]
    assert _ids(second) == _database_order(acme, DEFAULT_SORT)[PER_PAGE:2 * PER_PAGE]
    assert not set(_ids(first)) & set(_ids(second))
    assert first.context["previous_url"] is None and second.context["previous_url"]


def test_a_single_page_has_neither_next_nor_previous(alice_client, acme, acme_amazon, monkeypatch):
    monkeypatch.setattr(pagination, "PER_PAGE", PER_PAGE)
    for n in range(PER_PAGE):
        make_case(acme_amazon, marketplace_case_id=f"S{n}")

    for cursor in ("", "last"):
        page = _open(alice_client, reverse("cases:overall", args=[acme.slug]) + f"?cursor={cursor}")
        assert len(_ids(page)) == PER_PAGE
        assert (page.context["next_url"], page.context["previous_url"]) == (None, None)


def test_a_cursor_of_another_sort_opens_the_first_page_of_the_sort_asked_for(alice_client, acme, mixed_cases):
    first = _open(alice_client, reverse("cases:overall", args=[acme.slug]) + "?sort=claimed")
    cursor = first.context["next_url"].split("cursor=")[1].split("&")[0]

    other = _open(alice_client, reverse("cases:overall", args=[acme.slug]) + f"?sort=-claimed&cursor={cursor}")

    assert _ids(other) == _database_order(acme, "-claimed")[:PER_PAGE]
    assert other.context["previous_url"] is None


# The cursor itself, without a request: what the pager writes reads back; what it never writes is refused.

def _token(*parts) -> str:
    payload = json.dumps(list(parts), separators=(",", ":"))
    return base64.urlsafe_b64encode(payload.encode()).decode().rstrip("=")


@pytest.mark.parametrize(("param", "expected"), [
    ("claimed", ("claimed", "claimed_amount", False)),
    ("-claimed", ("claimed", "claimed_amount", True)),
    ("  -claimed ", ("claimed", "claimed_amount", True)),
    ("", ("date_filed", "date_filed", True)),
    (None, ("date_filed", "date_filed", True)),
    ("-nonsense", ("date_filed", "date_filed", True)),
])
def test_a_sort_parameter_reads_as_its_column_and_direction_or_the_default(param, expected):
    sort = pagination.sort_parse(param, columns=SORT_COLUMNS, default=DEFAULT_SORT)
    assert (sort.alias, sort.column, sort.descending) == expected
    assert sort.param == (f"-{sort.alias}" if sort.descending else sort.alias)


def test_a_sort_orders_by_its_column_then_id_and_reverses_both():
    ascending, descending = pagination.Sort("claimed", "claimed_amount", False), pagination.Sort(
        "claimed", "claimed_amount", True)
    assert ascending.ordering() == ["claimed_amount", "id"]
    assert ascending.ordering(reverse=True) == ["-claimed_amount", "-id"]
    assert descending.ordering() == ["-claimed_amount", "-id"]
    assert descending.ordering(reverse=True) == ["claimed_amount", "id"]


@pytest.mark.parametrize(("sort", "value"), [
    ("-date_filed", dt.date(2026, 1, 5)),
    ("last_update", dt.date(2026, 1, 6)),
    ("claimed", Decimal("20.50")),
    ("case_id", "1000000001"),
])
@pytest.mark.parametrize("after", [True, False])
def test_a_cursor_reads_back_as_the_sort_direction_and_row_it_was_written_for(sort, value, after):
    parsed = pagination.sort_parse(sort, columns=SORT_COLUMNS, default=DEFAULT_SORT)
    row = Case(pk=42, **{parsed.column: value})

    token = pagination.cursor_encode(sort=parsed, after=after, row=row)

    assert "=" not in token
    cursor = pagination.cursor_decode(token)
    assert cursor == pagination.Cursor(sort, after, value.isoformat() if isinstance(value, dt.date) else str(value), 42)
    assert pagination.cursor_value(model=Case, column=parsed.column, text=cursor.value) == value


def test_a_cursor_is_the_compact_json_of_its_sort_direction_key_and_id_unpadded():
    """Its form is pinned: a link kept from yesterday's page still names the same row, and stays short."""
    sort = pagination.sort_parse("-claimed", columns=SORT_COLUMNS, default=DEFAULT_SORT, prefixes=SORT_PREFIXES)
    row = Case(pk=42, currency="USD", claimed_amount=Decimal("20.50"))

    token = pagination.cursor_encode(sort=sort, after=False, row=row)

    assert base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)) == b'["-claimed","b",["USD","20.50"],42]'


@pytest.mark.parametrize("pk", [1, pagination.MAX_ID])
def test_a_cursor_accepts_every_id_a_bigint_holds(pk):
    assert pagination.cursor_decode(_token("claimed", "b", "1.00", pk)).id == pk


@pytest.mark.parametrize("token", [
    None, "", "last", _token("claimed", "x", "1.00", 1), _token("claimed", "a", 1, 1), _token(1, "a", "1.00", 1),
    _token("claimed", "a", "1.00", 0), _token("claimed", "a", "1.00", pagination.MAX_ID + 1),
    _token("claimed", "a", "1.00", True), _token("claimed", "a", "1.00", "1"), _token("claimed", "a", "1.00"),
    "%%%", "A" * (pagination.MAX_TOKEN + 1),
])
def test_a_cursor_the_pager_never_writes_reads_as_none(token):
    assert pagination.cursor_decode(token) is None


def test_a_cursor_exactly_as_long_as_the_limit_still_reads():
    overhead = len(json.dumps(["case_id", "a", "", 1], separators=(",", ":")))
    token = _token("case_id", "a", "9" * (pagination.MAX_TOKEN * 3 // 4 - overhead), 1)
    assert len(token) == pagination.MAX_TOKEN
    assert pagination.cursor_decode(token).id == 1


@pytest.mark.parametrize("key", [["USD"], ["USD", "1.00", "x", "y"]])
def test_a_cursor_key_of_one_to_four_texts_reads_back_for_the_sort_to_judge(key):
    """The decoder takes a key of up to four columns' values (a sort has at most two today); whether it
    fits the sort asked for is `cursor_values`' to say, with its reason."""
    assert pagination.cursor_decode(_token("-claimed", "a", key, 7)) == pagination.Cursor("-claimed", True, key, 7)


@pytest.mark.parametrize("key", [[], ["USD", "1.00", "x", "y", "z"], ["USD", 1]])
def test_a_cursor_key_that_is_empty_too_long_or_not_all_texts_reads_as_none(key):
    assert pagination.cursor_decode(_token("-claimed", "a", key, 7)) is None


def test_a_well_formed_cursor_longer_than_the_limit_reads_as_none():
    """Nothing longer than the pager writes is decoded, so a padded token costs no JSON parsing."""
    overhead = len(json.dumps(["case_id", "a", "", 1], separators=(",", ":")))
    token = _token("case_id", "a", "9" * (pagination.MAX_TOKEN * 3 // 4 - overhead + 3), 1)
    assert len(token) > pagination.MAX_TOKEN
    assert pagination.cursor_decode(token) is None


@pytest.mark.parametrize(("column", "text", "message"), [
    ("marketplace_case_id", "10\x0000", "marketplace_case_id: a NUL character"),
    ("marketplace_case_id", "9" * 65, "marketplace_case_id: longer than 64 characters"),
    ("marketplace_case_id", "\ud800", "marketplace_case_id: not encodable as UTF-8"),
    ("claimed_amount", "NaN", "claimed_amount: 'NaN' is not a DecimalField"),
    ("claimed_amount", "0.001", "claimed_amount: '0.001' is not a DecimalField"),
    ("claimed_amount", "1" * 13 + ".00", "is not a DecimalField"),
    ("claimed_amount", "x" * 60, f"claimed_amount: {'x' * 40!r} is not a DecimalField"),  # quoted up to 40
    ("date_filed", "2026-13-01", "date_filed: '2026-13-01' is not a DateField"),
    ("updated_at", "2026-01-01T00:00:00", "updated_at: a timestamp without a time zone"),
    ("updated_at", "soon", "updated_at: 'soon' is not a DateTimeField"),
])
def test_a_cursor_value_no_row_could_hold_is_refused_with_its_reason(column, text, message):
    with pytest.raises(pagination.CursorValueError) as refused:
        pagination.cursor_value(model=Case, column=column, text=text)
    assert message in str(refused.value)


@pytest.mark.parametrize(("sort", "value", "message"), [
    ("claimed", "20.50", "claimed: a key of 1 value(s) for 2 column(s)"),
    ("claimed", ["USD", "20.50", "1"], "claimed: a key of 3 value(s) for 2 column(s)"),
    ("case_id", ["1000000001"], "case_id: a key of 1 value(s) for 1 column(s)"),
])
def test_a_cursor_key_of_another_shape_than_its_sort_is_refused_with_its_reason(sort, value, message):
    parsed = pagination.sort_parse(sort, columns=SORT_COLUMNS, default=DEFAULT_SORT, prefixes=SORT_PREFIXES)
    with pytest.raises(pagination.CursorValueError) as refused:
        pagination.cursor_values(model=Case, sort=parsed, cursor=pagination.Cursor(sort, True, value, 1))
    assert str(refused.value) == message


def test_a_cursor_value_at_the_columns_limits_is_accepted():
    assert pagination.cursor_value(model=Case, column="marketplace_case_id", text="9" * 64) == "9" * 64
    assert pagination.cursor_value(model=Case, column="claimed_amount", text="999999999999.99") == Decimal(
        "999999999999.99")
