"""The dashboard's two largest pieces, written in Python as their templates wrote them: each currency's
bar chart (with its table of months) and its top products.

Rendered by the template engine they were two thirds of the dashboard's Python time: about 900 variable
lookups and 250 `money` tags a request for three currencies. `tests/dashboard/test_panels.py` pins
their HTML.
"""

import datetime as dt
from functools import lru_cache
from urllib.parse import quote

from django.utils import numberformat
from django.utils.formats import date_format, get_format
from django.utils import translation
from django.utils.html import conditional_escape as esc
from django.utils.safestring import SafeString, mark_safe

from cases.money import format_money

from .chart import BarChart
from .selectors import MonthFigures, TopProducts


@lru_cache(maxsize=1024)
def month_label(month: dt.date, format: str, language: str | None) -> str:
    """A month named as the `date` filter names it in `language`, cached: a dashboard names the same 12
    months 38 times a currency."""
    with translation.override(language):
        return date_format(month, format)


@lru_cache(maxsize=64)
def _grouping(language: str | None) -> tuple[str, int, str]:
    with translation.override(language):
        return get_format("DECIMAL_SEPARATOR"), get_format("NUMBER_GROUPING"), get_format("THOUSAND_SEPARATOR")


def count_text(count: int, language: str | None) -> str:
    """A count with its thousands grouped, as humanize's `intcomma` writes it in `language`, the locale's
    separators read once per language (`intcomma` reads three settings for every number)."""
    decimal_separator, grouping, thousand_separator = _grouping(language)
    return numberformat.format(count, decimal_separator, None, grouping, thousand_separator, force_grouping=True,
                               use_l10n=True)


def chart_html(chart: BarChart, *, currency: str, months: list[MonthFigures], language: str) -> SafeString:
    """The bar chart of the months' recovered amounts, and the same numbers as a table."""

    def money(amount) -> str:
        return esc(format_money(amount, currency, language))

    def month(value: dt.date, format: str) -> str:
        return esc(month_label(value, format, language))

    code = esc(currency)
    if chart.is_empty:
        desc = "No reimbursements answering a case in the last 12 months."
    else:
        desc = (f'Bar chart of the net amount reimbursed on cases each month, from {month(chart.bars[0].month, "F Y")}'
                f' to {month(chart.bars[-1].month, "F Y")}; the table below lists the same numbers.')
    bars = "".join(
        f'\n    <rect x="{bar.x}" y="{bar.y}" width="{bar.width}" height="{bar.height}" '
        f'fill="{"#c62828" if bar.negative else "#0b63ce"}"><title>{month(bar.month, "F Y")}: {money(bar.amount)}'
        f'</title></rect>\n    <text x="{bar.label_x}" y="{chart.label_y}" text-anchor="middle" font-size="11" '
        f'fill="#5b6777">{month(bar.month, "M")}</text>\n    '
        for bar in chart.bars
    )
    if chart.is_empty:
        corner = ('<text x="50%" y="90" text-anchor="middle" font-size="14" fill="#5b6777">'
                  "No reimbursements in the last 12 months</text>\n    ")
    else:
        corner = f'<text x="4" y="12" font-size="11" fill="#5b6777">{money(chart.top_amount)}</text>'
    rows = "".join(
        f'\n        <tr><th scope="row">{month(row.month, "F Y")}</th><td class="num">{money(row.recovered)}</td>'
        f'<td class="num">{money(row.automatic)}</td></tr>\n      '
        for row in months
    )
    return mark_safe(f"""
<figure class="chart">
  <figcaption>Recovered per month, last 12 months ({code})</figcaption>
  <svg viewBox="0 0 {chart.width} {chart.height}" width="100%" role="img"
       aria-labelledby="chart-title-{code}" aria-describedby="chart-desc-{code}" class="bars">
    <title id="chart-title-{code}">Recovered per month in {code}</title>
    <desc id="chart-desc-{code}">{desc}</desc>
    <line x1="0" x2="{chart.width}" y1="{chart.baseline_y}" y2="{chart.baseline_y}" stroke="#5b6777" stroke-width="1"/>
    {bars}
    {corner}
  </svg>
  <details>
    <summary>The numbers</summary>
    <table>
      <caption>Recovered per month, last 12 months ({code})</caption>
      <thead><tr><th scope="col">Month</th><th scope="col" class="num">Recovered on cases</th><th scope="col" class="num">Paid without a case</th></tr></thead>
      <tbody>
      {rows}
      </tbody>
    </table>
  </details>
</figure>
""")


def products_html(products: TopProducts, *, currency: str, cases_url: str, account_selected: bool,
                  language: str) -> SafeString:
    """The top products by claimed and by recovered, each SKU linking to its cases."""

    def money(amount) -> str:
        return esc(format_money(amount, currency, language))

    def rows(figures) -> str:
        return "".join(
            '\n        <tr><th scope="row">'
            + (f'<a href="{esc(cases_url)}?q={esc(quote(row.sku, safe="/"))}">{esc(row.sku)}</a>' if row.sku
               else '<span class="muted">No SKU</span>')
            + f'</th><td class="num">{esc(count_text(row.case_count, language))}</td>'
            f'<td class="num">{money(row.claimed)}</td>'
            f'<td class="num">{money(row.recovered)}</td><td class="num">{money(row.inventory)}</td></tr>\n      '
            for row in figures
        )

    code = esc(currency)
    head = ('<thead><tr><th scope="col">SKU</th><th scope="col" class="num">Cases</th><th scope="col" '
            'class="num">Claimed</th><th scope="col" class="num">Recovered</th><th scope="col" class="num">'
            "Returned to inventory</th></tr></thead>")
    by_recovered = rows(products.by_recovered) or (
        f'\n        <tr><td colspan="5" class="muted">Nothing recovered in {code} yet.</td></tr>\n      ')
    note = '<p class="muted">For all seller accounts together.</p>' if account_selected else ""
    return mark_safe(f"""
<section class="products" aria-labelledby="products-{code}">
  <h4 id="products-{code}">By product</h4>
  {note}
  <div class="grid">
    <table>
      <caption>Top products by claimed ({code})</caption>
      {head}
      <tbody>
      {rows(products.by_claimed)}
      </tbody>
    </table>
    <table>
      <caption>Top products by recovered ({code})</caption>
      {head}
      <tbody>
      {by_recovered}
      </tbody>
    </table>
  </div>
</section>
""")
