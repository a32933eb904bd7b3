import datetime as dt
import re
from decimal import Decimal
from pathlib import Path

import django
import pytest
from django.template.defaultfilters import date as date_filter
from django.urls import reverse
from django.utils import formats, translation

from cases.tables import date_writer, short_date

from tests.factories import add_record, make_case

pytestmark = pytest.mark.usefixtures("acme_scope")

OVERALL_ROW = (
    '<tr><td  data-col="case_id" data-label="Case ID"><a href="/t/acme/cases/{pk}/">7694048783</a><br>'
    '<span class="muted">{label}</span></td>'
    '<td  data-col="type" data-label="Type">Lost in warehouse</td>'
    '<td  data-col="product" data-label="Product">Chef &lt;knife&gt; &amp; block<br>'
    '<span class="muted">ACME-KNIFE · B0KNIFE001</span></td>'
    '<td  data-col="status" data-label="Status"><span class="status status-open">Open</span></td>'
    '<td class="num" data-col="claimed" data-label="Claimed">$1,234.50</td>'
    '<td class="num" data-col="recovered" data-label="Recovered">$0.00</td>'
    '<td  data-col="date_filed" data-label="Date filed">05/10/2026</td>'
    '<td  data-col="last_update" data-label="Last update">05/10/2026</td></tr>'
)
"""Cells escaped, money and dates in the seller's formats, each cell named for phones."""

REIMBURSED_ROW = (
    '<tr><td  data-col="case_id" data-label="Case ID"><a href="/t/acme/cases/{pk}/">7694048783</a><br>'
    '<span class="muted">{label}</span></td>'
    '<td  data-col="type" data-label="Type">Lost in warehouse</td>'
    '<td  data-col="product" data-label="Product">Chef &lt;knife&gt; &amp; block<br>'
    '<span class="muted">ACME-KNIFE · B0KNIFE001</span></td>'
    '<td  data-col="status" data-label="Status"><span class="status status-fully_reimbursed">Fully Reimbursed'
    '</span></td>'
    '<td class="num" data-col="claimed" data-label="Claimed">$1,234.50</td>'
    '<td class="num" data-col="recovered" data-label="Recovered">$1,234.50</td>'
    '<td class="num" data-col="units_cash" data-label="Units reimbursed (cash)">1234</td>'
    '<td class="num" data-col="units_inventory" data-label="Units reimbursed (inventory)">0</td>'
    '<td  data-col="last_reimbursed" data-label="Last reimbursed">06/01/2026</td></tr>'
)


def tbody(response) -> str:
    """The case table's body, its blank lines included: the rows must come out byte for byte as the
    template loop over `KeysetTable.cells` wrote them."""
    return re.search(r"<table class=\"cases\".*?<tbody>\n(.*?)</tbody>", response.content.decode(), re.S).group(1)


@pytest.fixture
def knife(acme_amazon):
    return make_case(acme_amazon, marketplace_case_id="7694048783", sku="ACME-KNIFE", asin="B0KNIFE001",
                     product_title="Chef <knife> & block", claimed_amount=Decimal("1234.50"),
                     date_filed=dt.date(2026, 5, 10))


def test_overall_cases_rows_are_written_exactly_as_before(alice_client, acme, acme_amazon, knife):
    response = alice_client.get(reverse("cases:overall", args=[acme.slug]))
    assert tbody(response) == "\n  " + OVERALL_ROW.format(pk=knife.pk, label=acme_amazon.label) + "\n\n"


def test_an_empty_list_says_so_in_one_row(alice_client, acme, acme_amazon):
    response = alice_client.get(reverse("cases:overall", args=[acme.slug]))
    assert tbody(response) == '\n  <tr><td colspan="8">No cases match.</td></tr>\n\n'


def test_reimbursed_cases_rows_are_written_exactly_as_before(alice_client, acme, acme_amazon, knife):
    add_record(knife, Decimal("1234.50"), cash=1234, on=dt.date(2026, 6, 1))
    response = alice_client.get(reverse("cases:reimbursed", args=[acme.slug]))
    assert tbody(response) == "\n  " + REIMBURSED_ROW.format(pk=knife.pk, label=acme_amazon.label) + "\n\n"


LOCALES = sorted(path.name for path in (Path(django.__file__).parent / "conf" / "locale").iterdir()
                 if (path / "formats.py").exists())
DAYS = [dt.date(2026, 1, 1), dt.date(2026, 12, 31), dt.date(2009, 5, 9), dt.date(1999, 10, 10)]


@pytest.mark.parametrize("locale", LOCALES)
def test_a_short_date_is_written_as_the_date_filter_writes_it_in_every_locale(locale):
    with translation.override(locale):
        date_format = formats.get_format("SHORT_DATE_FORMAT")
        writer = date_writer(date_format)
        for day in DAYS:
            assert (writer or short_date)(day) == date_filter(day, "SHORT_DATE_FORMAT"), (locale, date_format)


def test_a_format_with_a_letter_other_than_numbers_is_left_to_the_date_filter():
    assert date_writer("j F Y") is None
    assert date_writer("D d.m.Y") is None
    assert date_writer(r"\d\e d/m/Y")(dt.date(2026, 5, 9)) == "de 09/05/2026"
    assert date_writer("Y.n.j.")(dt.date(2026, 5, 9)) == "2026.5.9."
