"""The dashboard's chart and top products, written in Python (`dashboard/panels.py`): the HTML their
templates wrote, pinned line by line on small inputs (a negative month, a SKU to escape and to quote,
an empty list)."""

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.humanize.templatetags.humanize import intcomma
from django.utils import translation

from dashboard.chart import bar_chart
from dashboard.panels import chart_html, count_text, products_html
from dashboard.selectors import MonthFigures, ProductFigures, TopProducts

OCTOBER, NOVEMBER = dt.date(2026, 10, 1), dt.date(2026, 11, 1)


def chart_of(months, currency="USD", language="en-us") -> str:
    chart = bar_chart(points=[(month.month, month.recovered) for month in months])
    return str(chart_html(chart, currency=currency, months=months, language=language))


def test_a_chart_draws_a_bar_per_month_and_lists_the_same_numbers():
    html = chart_of([MonthFigures(OCTOBER, Decimal("12.50"), Decimal("3.00")),
                     MonthFigures(NOVEMBER, Decimal("-4.00"), Decimal("0.00"))])

    lines = html.splitlines()
    assert lines[:9] == [
        "",
        '<figure class="chart">',
        "  <figcaption>Recovered per month, last 12 months (USD)</figcaption>",
        '  <svg viewBox="0 0 600 220" width="100%" role="img"',
        '       aria-labelledby="chart-title-USD" aria-describedby="chart-desc-USD" class="bars">',
        '    <title id="chart-title-USD">Recovered per month in USD</title>',
        '    <desc id="chart-desc-USD">Bar chart of the net amount reimbursed on cases each month, from October'
        " 2026 to November 2026; the table below lists the same numbers.</desc>",
        '    <line x1="0" x2="600" y1="149.3" y2="149.3" stroke="#5b6777" stroke-width="1"/>',
        "    ",
    ]
    assert '    <rect x="51.8" y="16.0" width="204.4" height="133.3" fill="#0b63ce"><title>October 2026: $12.50' \
           "</title></rect>" in lines
    assert '    <rect x="343.8" y="149.3" width="204.4" height="42.7" fill="#c62828"><title>November 2026: -$4.00' \
           "</title></rect>" in lines
    assert '    <text x="446.0" y="212" text-anchor="middle" font-size="11" fill="#5b6777">Nov</text>' in lines
    assert '    <text x="4" y="12" font-size="11" fill="#5b6777">$12.50</text>' in lines
    assert [line.strip() for line in lines if line.strip().startswith('<tr><th scope="row">')] == [
        '<tr><th scope="row">October 2026</th><td class="num">$12.50</td><td class="num">$3.00</td></tr>',
        '<tr><th scope="row">November 2026</th><td class="num">-$4.00</td><td class="num">$0.00</td></tr>',
    ]
    assert html.endswith("  </details>\n</figure>\n")


def test_an_empty_chart_says_so_in_its_description_and_its_drawing():
    html = chart_of([MonthFigures(OCTOBER, Decimal("0.00"), Decimal("0.00"))], currency="EUR", language="fr")

    assert '<desc id="chart-desc-EUR">No reimbursements answering a case in the last 12 months.</desc>' in html
    assert ('<text x="50%" y="90" text-anchor="middle" font-size="14" fill="#5b6777">No reimbursements in the '
            "last 12 months</text>\n    \n  </svg>") in html
    assert '<tr><th scope="row">octobre 2026</th>' in html


def test_top_products_link_each_sku_to_its_cases_and_escape_it():
    products = TopProducts("EUR", by_claimed=[
        ProductFigures('A&B <1>"', 1200, Decimal("1500.00"), Decimal("5.25"), Decimal("0.00")),
        ProductFigures("", 1, Decimal("3.00"), Decimal("0.00"), Decimal("0.00")),
    ], by_recovered=[])

    html = str(products_html(products, currency="EUR", cases_url="/t/acme/cases/", account_selected=True,
                             language="en-us"))

    rows = [line.strip() for line in html.splitlines() if line.strip().startswith("<tr><")]
    assert rows == [
        '<tr><th scope="row"><a href="/t/acme/cases/?q=A%26B%20%3C1%3E%22">A&amp;B &lt;1&gt;&quot;</a></th>'
        '<td class="num">1,200</td><td class="num">€1,500.00</td><td class="num">€5.25</td>'
        '<td class="num">€0.00</td></tr>',
        '<tr><th scope="row"><span class="muted">No SKU</span></th><td class="num">1</td>'
        '<td class="num">€3.00</td><td class="num">€0.00</td><td class="num">€0.00</td></tr>',
        '<tr><td colspan="5" class="muted">Nothing recovered in EUR yet.</td></tr>',
    ]
    assert '<p class="muted">For all seller accounts together.</p>' in html
    assert html.count("<caption>Top products by") == 2


def test_top_products_of_all_accounts_say_nothing_of_the_selection():
    products = TopProducts("USD", by_claimed=[], by_recovered=[])

    html = str(products_html(products, currency="USD", cases_url="/t/acme/cases/", account_selected=False,
                             language="en-us"))

    assert "For all seller accounts together" not in html
    assert "<tbody>\n      \n      </tbody>" in html


@pytest.mark.parametrize("language", ["en-us", "de", "fr", "hi", "es"])
def test_counts_are_grouped_as_intcomma_groups_them(language):
    with translation.override(language):
        for count in (0, 7, 999, 1000, 1234567, 10_000_000, -4321):
            assert count_text(count, language) == intcomma(count), (language, count)
