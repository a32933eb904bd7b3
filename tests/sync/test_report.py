"""The report parser, through the path ingestion runs: `read_report_copy`'s lines are copied
into a table built from `staging_columns_sql`, and PostgreSQL reads them into typed values."""

import datetime as dt
from collections import namedtuple
from decimal import Decimal
from pathlib import Path

import pytest
from django.db import connection

from cases.models import ReimbursementRecord
from sync.report import (
    COLUMN_TABLE,
    COLUMNS,
    MAX_PROBLEMS,
    STAGING_COLUMNS,
    ReportError,
    decode_lines,
    read_report_copy,
    staging_columns_sql,
)

DATA = Path(__file__).parent.parent / "data"
UTC = dt.timezone.utc
StagedRow = namedtuple("StagedRow", STAGING_COLUMNS)


@pytest.fixture
def staged(db):
    """The rows of a report as ingestion stages them, with PostgreSQL's types."""

    def stage(lines, source="r"):
        with connection.cursor() as cursor:
            cursor.execute(f"CREATE TEMP TABLE parsed_report ({staging_columns_sql()})")
            with cursor.copy(f"COPY parsed_report ({', '.join(STAGING_COLUMNS)}) FROM STDIN") as copy:
                for line in read_report_copy(lines, source=source):
                    copy.write(line)
            cursor.execute("SELECT * FROM parsed_report ORDER BY line")
            rows = [StagedRow(*row) for row in cursor.fetchall()]
            cursor.execute("DROP TABLE parsed_report")
        return rows

    return stage


@pytest.fixture
def read(staged):
    def read_file(name):
        with open(DATA / name, "rb") as stream:
            return staged(decode_lines(stream), source=name)

    return read_file


def problems_of(lines, source="report.tsv"):
    with pytest.raises(ReportError) as caught:
        list(read_report_copy(lines, source=source))
    return caught.value


def report(*rows, columns=COLUMNS):
    return ["\t".join(columns) + "\n", *("\t".join(row) + "\n" for row in rows)]


def line(**values):
    row = {
        "approval-date": "2026-05-10T01:02:03+00:00", "reimbursement-id": "5001", "case-id": "1000000001",
        "reason": "Lost_Warehouse", "currency-unit": "USD", "amount-per-unit": "20.00", "amount-total": "20.00",
        "quantity-reimbursed-cash": "1", "quantity-reimbursed-inventory": "0", "quantity-reimbursed-total": "1",
    }
    row.update(values)
    return [row.get(column, "") for column in COLUMNS]


def test_the_columns_are_the_eighteen_of_amazons_report():
    assert len(COLUMNS) == 18
    assert COLUMNS[0] == "approval-date" and COLUMNS[-1] == "original-reimbursement-type"


def test_each_kept_column_is_a_record_field_and_a_text_is_limited_to_its_length():
    limited = [column for column in COLUMN_TABLE if column.field and column.limit]
    assert [column.limit for column in limited] == [
        ReimbursementRecord._meta.get_field(column.field).max_length for column in limited
    ]
    assert STAGING_COLUMNS[:2] == ("line", "fingerprint")
    assert set(STAGING_COLUMNS[2:]) <= {field.name for field in ReimbursementRecord._meta.get_fields()}


def test_a_text_with_a_backslash_or_a_carriage_return_is_staged_as_written(staged):
    (row,) = staged(report(line(**{"product-name": "10\\ widget \\n\\N"})))
    assert row.product_name == "10\\ widget \\n\\N"
    (row,) = staged(report(line(**{"product-name": "Blue\rwidget"})))
    assert row.product_name == "Blue\rwidget"


def test_a_product_name_longer_than_its_field_is_cut_and_a_long_fnsku_is_a_problem(staged):
    (row,) = staged(report(line(**{"product-name": "x" * 600})))
    assert row.product_name == "x" * 500
    (problem,) = problems_of(report(line(fnsku="X" * 21, **{"product-name": "x" * 600}))).problems
    assert (problem.field, problem.message) == ("fnsku", "is longer than 20 characters")


def test_every_bad_value_of_a_line_is_named_parsed_columns_first():
    bad = line(fnsku="X" * 21, **{"reimbursement-id": "R" * 65, "currency-unit": "DOLLARS"})
    assert [(problem.field, problem.message) for problem in problems_of(report(bad)).problems] == [
        ("reimbursement-id", "is longer than 64 characters"),
        ("currency-unit", "'DOLLARS' is not an ISO 4217 currency code"),
        ("fnsku", "is longer than 20 characters"),
    ]


def test_a_plain_report_gives_one_row_per_line_with_typed_values(read):
    rows = read("report_basic.tsv")
    assert [row.line for row in rows] == [2, 3, 4, 5]
    first = rows[0]
    assert first.approval_date == dt.datetime(2026, 5, 10, 1, 2, 3, tzinfo=UTC)
    assert (first.case_reference, first.currency, first.amount_total) == ("1000000001", "USD", Decimal("20.00"))
    assert (first.quantity_cash, first.quantity_inventory) == (1, 0)
    assert rows[2].case_reference == ""


def test_shuffled_columns_a_bom_crlf_an_unknown_column_and_trailing_blank_lines_read_the_same(read):
    plain = {row.fingerprint: row for row in read("report_basic.tsv")}
    shuffled = read("report_shuffled.tsv")
    assert [row.line for row in shuffled] == [2, 3]
    assert shuffled[0] == plain[shuffled[0].fingerprint]
    assert shuffled[0].product_name == "Blue widget"


def test_an_unknown_reason_is_kept(read):
    assert read("report_shuffled.tsv")[1].reason == "Warehouse_Mystery_Adjustment"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-05-10T01:02:03+00:00", dt.datetime(2026, 5, 10, 1, 2, 3, tzinfo=UTC)),
        ("2026-05-10T01:02:03-07:00", dt.datetime(2026, 5, 10, 8, 2, 3, tzinfo=UTC)),
        ("2026-05-10T01:02:03Z", dt.datetime(2026, 5, 10, 1, 2, 3, tzinfo=UTC)),
        ("2026-05-10 01:02:03", dt.datetime(2026, 5, 10, 1, 2, 3, tzinfo=UTC)),
        ("2026-05-10T01:02:03PDT", dt.datetime(2026, 5, 10, 8, 2, 3, tzinfo=UTC)),
        ("2026-05-10", dt.datetime(2026, 5, 10, tzinfo=UTC)),
    ],
)
def test_dates_are_read_leniently_and_kept_in_utc(staged, text, expected):
    (row,) = staged(report(line(**{"approval-date": text})))
    assert row.approval_date == expected


def test_a_reversal_has_negative_amount_and_units(read):
    (row,) = read("report_reversal.tsv")
    assert (row.amount_total, row.quantity_cash, row.original_reimbursement_id) == (Decimal("-20.00"), -1, "5001")


def test_identical_lines_share_a_fingerprint_and_a_renamed_product_keeps_it(read, staged):
    first, second = read("report_duplicates.tsv")
    assert first.fingerprint == second.fingerprint
    (renamed,) = staged(report(line(**{"product-name": "Blue widget, new title"})))
    (original,) = staged(report(line(**{"product-name": "Blue widget"})))
    assert renamed.fingerprint == original.fingerprint


def test_amounts_written_differently_have_the_same_fingerprint(staged):
    (short,) = staged(report(line(**{"amount-total": "20", "currency-unit": "usd"})))
    (long,) = staged(report(line(**{"amount-total": "20.00"})))
    assert short.fingerprint == long.fingerprint
    assert short.amount_total == Decimal("20.00")


def test_every_bad_line_and_field_is_named():
    error = problems_of(open(DATA / "report_bad.tsv").readlines(), source="report_bad.tsv")
    assert [(problem.line, problem.field) for problem in error.problems] == [
        (2, "approval-date"),
        (3, "amount-total"),
        (4, "currency-unit"),
        (5, "quantity-reimbursed-total"),
        (6, "quantity-reimbursed-cash"),
    ]
    text = str(error)
    assert text.startswith("report_bad.tsv: 5 problems, nothing was imported.")
    assert "line 3, amount-total: '30,00' is not an amount" in text
    assert "line 4, currency-unit: 'DOLLARS' is not an ISO 4217 currency code" in text
    assert "line 5, quantity-reimbursed-total: 5 is not cash 1 + inventory 0" in text


def test_missing_columns_are_one_error_on_the_header_naming_them():
    error = problems_of(open(DATA / "report_missing_columns.tsv").readlines())
    assert [str(problem) for problem in error.problems] == [
        "line 1, header: missing columns: currency-unit, amount-total"
    ]


def test_an_empty_file_is_an_error():
    assert "the file is empty" in str(problems_of(["\n", "\n"]))


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("amount-total", "", "is empty"),
        ("amount-total", "1.005", "more than two decimal places"),
        ("amount-total", "NaN", "is not an amount"),
        ("amount-per-unit", "1e13", "too large"),
        ("amount-total", "1e30", "too large"),
        ("amount-total", "1" * 31, "too large"),
        ("amount-total", "1_000", "is not an amount"),
        ("quantity-reimbursed-cash", "+-1", "not a whole number"),
        ("quantity-reimbursed-cash", "\u00b2", "not a whole number"),
        ("reimbursement-id", "", "is empty"),
        ("fnsku", "X" * 21, "longer than 20 characters"),
        ("quantity-reimbursed-inventory", "1.5", "not a whole number"),
        ("approval-date", "", "is empty"),
    ],
)
def test_each_kind_of_bad_value_names_its_field(field, value, message):
    (problem,) = problems_of(report(line(**{field: value}))).problems
    assert (problem.line, problem.field) == (2, field)
    assert message in problem.message


def test_the_list_of_problems_is_capped_with_a_count_of_the_rest():
    error = problems_of(report(*[line(**{"amount-total": "x"})] * (MAX_PROBLEMS + 7)))
    assert len(error.problems) == MAX_PROBLEMS
    assert error.problem_count == MAX_PROBLEMS + 7
    assert str(error).endswith("and 7 more")


def test_good_rows_stream_before_the_error_at_the_end():
    rows = read_report_copy(report(line(), line(**{"amount-total": "x"})), source="r")
    assert next(rows).startswith("2\t")
    with pytest.raises(ReportError):
        next(rows)


def test_a_line_that_is_not_utf8_is_read_as_windows_1252():
    assert list(decode_lines([b"\xef\xbb\xbfhead\n", "Caf\u00e9".encode("cp1252")])) == ["\ufeffhead\n", "Caf\u00e9"]


def test_the_fingerprint_of_a_known_line_never_changes():
    """A changed fingerprint would make every line of a re-downloaded report count twice."""
    loose = line(**{
        "approval-date": " 2026-05-09 18:02:03PDT ", "amazon-order-id": "111-1234567-1234567", "sku": "SKU-1",
        "fnsku": "X000000001", "asin": "B000000001", "product-name": "Blue widget", "condition": "NewItem",
        "currency-unit": "usd", "amount-per-unit": "", "amount-total": "-20", "quantity-reimbursed-cash": "-1",
        "quantity-reimbursed-inventory": "", "quantity-reimbursed-total": "-01",
        "original-reimbursement-id": "4999", "original-reimbursement-type": "Lost_Warehouse",
    })
    with open(DATA / "report_basic.tsv", encoding="utf-8") as basic:
        plain = next(read_report_copy(basic, source="report_basic.tsv"))
    (copied,) = read_report_copy(report(loose), source="r")
    assert plain.split("\t")[:2] == ["2", "5bb540661c1577f4151919c016ea3eec"]
    assert copied.split("\t")[:2] == ["2", "a9f762eac5f9a9df09fdda0992fe9d32"]
