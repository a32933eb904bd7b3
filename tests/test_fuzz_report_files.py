"""Hypothesis over report files, through the production path: `import_report` on a real account, with the
bytes decoded by `decode_lines` as the admin upload and the import command do.

Each file starts from valid lines and is then bent the ways files reach us: another encoding (Windows-1252,
UTF-16, a byte-order mark), CRLF, a comma or semicolon re-save, quoting, columns dropped, added or moved,
cells replaced by NUL, huge numbers, odd dates, very long text or implausible values, lines repeated or
blank, bytes inserted, the file cut short. Every file is either imported or refused with a `ReportError`
(any other exception fails the test); a refused file leaves the database exactly as it was (counts and sums
of records, cases, history and rollups); and after every file the rollups agree with a recomputation.
`FUZZ_EXAMPLES` sets the number of files: 50 in `make test`, 1,000 in `make stress`.
"""

import csv
import io
import os
from decimal import Decimal

import pytest
from django.db import connection
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from cases.rollups import rollup_differences
from sync.ingest import import_report
from sync.models import RunKind
from sync.report import COLUMNS, ReportError, decode_lines
from tests.factories import make_case, make_seller_account

pytestmark = [pytest.mark.fuzz, pytest.mark.django_db(transaction=True)]
"""Committed, as in production: each import creates and drops a temporary table, and thousands of them in the
one transaction of a test would exhaust PostgreSQL's lock table."""

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "50"))
fuzz_settings = settings(
    max_examples=EXAMPLES, deadline=None, print_blob=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large,
                           HealthCheck.large_base_example],
)

BASE = {
    "approval-date": "2026-05-10T01:02:03+00:00", "reimbursement-id": "5001", "case-id": "1000000001",
    "amazon-order-id": "", "reason": "Lost_Warehouse", "sku": "SKU-1", "fnsku": "X000000001", "asin": "B000000001",
    "product-name": "Blue widget", "condition": "NewItem", "currency-unit": "USD", "amount-per-unit": "20.00",
    "amount-total": "20.00", "quantity-reimbursed-cash": "1", "quantity-reimbursed-inventory": "0",
    "quantity-reimbursed-total": "1", "original-reimbursement-id": "", "original-reimbursement-type": "",
}
VALID_ROWS = [
    BASE,
    {**BASE, "reimbursement-id": "5002", "case-id": "1000000002", "amazon-order-id": "111-1234567-1234567",
     "reason": "Damaged_Warehouse", "amount-per-unit": "15.00", "amount-total": "30.00",
     "quantity-reimbursed-cash": "2", "quantity-reimbursed-total": "2"},
    {**BASE, "reimbursement-id": "5003", "case-id": "", "reason": "Lost_Inbound", "product-name": "Green, \"big\" gadget",
     "amount-per-unit": "12.50", "amount-total": "12.50"},
    {**BASE, "reimbursement-id": "5004", "amount-total": "0.00", "quantity-reimbursed-cash": "0",
     "quantity-reimbursed-inventory": "2", "quantity-reimbursed-total": "2"},
    {**BASE, "reimbursement-id": "5020", "reason": "Reimbursement_Reversal", "amount-total": "-20.00",
     "quantity-reimbursed-cash": "-1", "quantity-reimbursed-total": "-1", "original-reimbursement-id": "5001",
     "original-reimbursement-type": "Lost_Warehouse"},
    {**BASE, "reimbursement-id": "5030", "approval-date": "2026-06-01", "amount-per-unit": "999999999999.99",
     "amount-total": "999999999999.99"},
    {**BASE, "reimbursement-id": "5040", "case-id": "2000000001", "currency-unit": "EUR"},
]
"""Lines that read: ordinary ones, an inventory-only one, a reversal; and, drawn less often, one near the largest
amount a case holds and one of the tenant's other (EU) account."""

NASTY_DATES = [
    "", "0001-01-01T00:00:00+05:00", "9999-12-31T23:00:00-05:00", "0001-01-01", "9999-12-31", "1999-12-31",
    "2099-01-01", "2026-02-30", "03/04/2026", "13/04/2026", "04/13/2026 1:02:03 PM", "0/0/2026", "2026/09/02",
    "2026-09-02", "\"2026-09-02T10:00:00Z\"", "2026-05-10T01:02:03PDT", "2026-05-10T25:00:00", "1e999999",
]
NASTY_AMOUNTS = [
    "", "1e999999", "-1e999999", "NaN", "sNaN", "Infinity", "9" * 5000, "999999999999.99", "-999999999999.99",
    "1e12", "0.001", "-20.00", "0", "-0", "1_000", "\u0661\u0662", "30,00", "\"20.00\"",
]
NASTY_QUANTITIES = ["", "-1", "0", "2", "2147483648", "-2147483649", "9" * 5000, "1.5", "+-1", "\u00b2"]
NASTY_CURRENCIES = ["", "XTS", "DEM", "usd", "EUR", "CAD", "DOLLARS", "\u00dcSD"]
NASTY_TEXTS = [
    "", " ", "\x00", "a\x00b", "Reimbursement_Reversal", "GeneralAdjustment", "1000000001", "2000000001", '"',
    '""', "\"a\"\"b\"", "x" * 600, "y" * 100_000, "\u202e", "\ufeff", "\r", "\\N", "\\", "\t", "a,b;c",
]
NASTY = {
    "approval-date": NASTY_DATES, "amount-per-unit": NASTY_AMOUNTS, "amount-total": NASTY_AMOUNTS,
    "quantity-reimbursed-cash": NASTY_QUANTITIES, "quantity-reimbursed-inventory": NASTY_QUANTITIES,
    "quantity-reimbursed-total": NASTY_QUANTITIES, "currency-unit": NASTY_CURRENCIES,
}
junk = st.one_of(
    st.sampled_from(NASTY_DATES + NASTY_AMOUNTS + NASTY_QUANTITIES + NASTY_CURRENCIES + NASTY_TEXTS),
    st.text(st.characters(exclude_categories=["Cs"]), max_size=60),
    st.one_of(st.integers(), st.decimals(allow_nan=True, allow_infinity=True), st.floats()).map(str),
)


def cell(column: str) -> st.SearchStrategy[str]:
    """A value for `column`: mostly the hard values of its kind, else anything."""
    hard = st.sampled_from(NASTY.get(column, NASTY_TEXTS))
    return st.one_of(hard, hard, hard, junk)


@st.composite
def report_files(draw) -> bytes:
    columns = list(COLUMNS)
    rows = [dict(row) for row in draw(st.lists(st.sampled_from(VALID_ROWS[:5] * 4 + VALID_ROWS[5:]), min_size=1, max_size=6))]
    for _ in range(draw(st.sampled_from([0, 1, 1, 1, 2, 3]))):
        mutation = draw(st.sampled_from(["cell"] * 6 + ["drop", "extra", "shuffle", "repeat", "blank"]))
        if mutation == "cell" and rows:
            row, column = draw(st.sampled_from(rows)), draw(st.sampled_from(columns))
            row[column] = draw(cell(column))
        elif mutation == "drop":
            columns.remove(draw(st.sampled_from(columns)))
        elif mutation == "extra":
            name = draw(st.sampled_from(["marketplace", "fulfillment-center-id", "", "sku"]))
            columns.insert(draw(st.integers(0, len(columns))), name)
            for row in rows:
                row.setdefault(name, draw(junk))
        elif mutation == "shuffle":
            columns = draw(st.permutations(columns))
        elif mutation == "repeat" and rows:
            rows.append(dict(draw(st.sampled_from(rows))))
        elif mutation == "blank":
            rows.insert(draw(st.integers(0, len(rows))), {})
    delimiter = draw(st.sampled_from(["\t", "\t", ",", ";"]))
    quoting = draw(st.sampled_from([None, csv.QUOTE_MINIMAL, csv.QUOTE_ALL]))
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    table = [columns, *([row.get(column, "") for column in columns] if row else [] for row in rows)]
    if quoting is None:
        text = "".join(delimiter.join(values) + newline for values in table)
    else:
        out = io.StringIO()
        csv.writer(out, delimiter=delimiter, quoting=quoting, lineterminator=newline).writerows(table)
        text = out.getvalue()
    encoding = draw(st.sampled_from(["utf-8"] * 4 + ["utf-8-sig", "cp1252", "utf-16"]))
    data = text.encode(encoding, errors="replace")
    damage = draw(st.sampled_from([None] * 6 + ["insert", "cut"]))
    if damage == "insert":
        at = draw(st.integers(0, len(data)))
        data = data[:at] + draw(st.binary(min_size=1, max_size=20)) + data[at:]
    elif damage == "cut":
        data = data[: draw(st.integers(0, len(data)))]
    event(f"written {_DELIMITERS[delimiter]}-separated, {_QUOTING[quoting]}")
    event(f"encoded {encoding}{', ' + damage if damage else ''}")
    return data


_DELIMITERS = {"\t": "tab", ",": "comma", ";": "semicolon"}
_QUOTING = {None: "unquoted", csv.QUOTE_MINIMAL: "quoted where needed", csv.QUOTE_ALL: "every field quoted"}

SNAPSHOT_SQL = """
SELECT (SELECT row(count(*), sum(amount_total), sum(quantity_cash), sum(quantity_inventory),
                   count(*) FILTER (WHERE confirmed_at IS NOT NULL))::text FROM cases_reimbursementrecord),
       (SELECT row(count(*), sum(recovered_amount), sum(units_reimbursed_cash), sum(units_reimbursed_inventory),
                   string_agg(status, ',' ORDER BY id), max(updated_at))::text FROM cases_case),
       (SELECT row(count(*), max(id))::text FROM cases_caseevent),
       (SELECT row(count(*), sum(case_count), sum(claimed_amount), sum(recovered_amount), sum(shortfall_amount))::text
        FROM cases_casetotals),
       (SELECT row(count(*), sum(amount), sum(record_count))::text FROM cases_monthlyrecovery)
"""


def money_snapshot() -> tuple:
    with connection.cursor() as cursor:
        cursor.execute(SNAPSHOT_SQL)
        return cursor.fetchone()


@pytest.fixture
def account(acme):
    account = make_seller_account(acme, "A1FUZZAMAZON")
    europe = make_seller_account(acme, "A1FUZZEUROPE", region="EU", marketplace_ids=["A1PA6795UKMFR9"])
    make_case(account, marketplace_case_id="1000000001", units_claimed=2, claimed_amount=Decimal("40.00"))
    make_case(account, marketplace_case_id="1000000002", units_claimed=2, claimed_amount=Decimal("30.00"))
    make_case(europe, marketplace_case_id="2000000001", units_claimed=1, claimed_amount=Decimal("20.00"),
              currency="EUR")
    return account


@fuzz_settings
@given(data=report_files())
def test_a_fuzzed_report_file_is_imported_or_refused_by_name_and_a_refusal_writes_nothing(account, data):
    before = money_snapshot()
    try:
        import_report(seller_account=account, lines=decode_lines(io.BytesIO(data)), source="fuzz.tsv",
                      kind=RunKind.FILE)
    except ReportError as refused:
        assert refused.problems, "a refusal names at least one line and field"
        assert money_snapshot() == before, "a refused file wrote nothing"
        event(f"refused: {refused.problems[0].field}")
    else:
        event("imported")
    assert rollup_differences(tenant_id=account.tenant_id) == []
