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


def test_a_text_with_a_backslash_or_a_line_break_is_staged_as_written(staged):
    (row,) = staged(report(line(**{"product-name": "10\\ widget \\n\\N"})))
    assert row.product_name == "10\\ widget \\n\\N"
    (row,) = staged(report(line(**{"product-name": "Blue\rwidget"})))
    assert row.product_name == "Blue\rwidget"
    (row,) = staged(report(line(**{"product-name": "Blue\nwidget"})))
    assert row.product_name == "Blue\nwidget"


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


def test_a_report_with_one_bad_line_says_one_problem():
    error = problems_of(report(line(), line(**{"currency-unit": "DOLLARS"})), source="report.tsv")
    assert str(error) == ("report.tsv: 1 problem, nothing was imported.\n"
                          "  line 3, currency-unit: 'DOLLARS' is not an ISO 4217 currency code")


def test_missing_columns_are_one_error_on_the_header_naming_them():
    error = problems_of(open(DATA / "report_missing_columns.tsv").readlines())
    assert [str(problem) for problem in error.problems] == [
        "line 1, header: missing columns: currency-unit, amount-total"
    ]


def test_an_empty_file_is_an_error():
    error = problems_of(["\n", "\r\n"], source="empty.tsv")
    assert str(error) == "empty.tsv: 1 problem, nothing was imported.\n  line 1, header: the file is empty"


def test_a_nul_byte_in_the_header_names_the_header_and_its_line():
    error = problems_of(["\n", "\t".join(COLUMNS).replace("sku", "s\x00ku") + "\n", "\t".join(line()) + "\n"],
                        source="nul.tsv")
    assert str(error) == ("nul.tsv: 1 problem, nothing was imported.\n  line 2, header: holds a NUL character: "
                          "this is not a text file as Amazon writes it (re-download the report)")


def test_a_blank_line_in_the_middle_of_a_report_keeps_every_row_after_it(staged):
    lines = report(line(), line(**{"reimbursement-id": "5002"}), line(**{"reimbursement-id": "5003"}))
    rows = staged([*lines[:2], "\n", " \t \r\n", *lines[2:]])
    assert [(row.line, row.reimbursement_id) for row in rows] == [(2, "5001"), (5, "5002"), (6, "5003")]


def test_a_nul_line_in_the_middle_of_a_report_does_not_hide_the_problems_after_it():
    lines = report(line(sku="SKU\x00"), line(**{"currency-unit": "DOLLARS"}))
    assert [(p.line, p.field) for p in problems_of(lines).problems] == [(2, "sku"), (3, "currency-unit")]


def test_the_last_value_of_a_line_is_read_to_its_last_character(staged):
    columns = [column for column in COLUMNS if column != "sku"] + ["sku"]
    values = dict(zip(COLUMNS, line(sku="SKU-X")))
    (row,) = staged(["\t".join(columns) + "\r\n", "\t".join(values[column] for column in columns) + "\r\n"])
    assert row.sku == "SKU-X"


def test_a_line_the_csv_reader_cannot_split_is_named_and_the_lines_after_it_are_still_read():
    lines = [",".join(COLUMNS) + "\n", ",".join(line(sku="SKU\r1")) + "\n",
             ",".join(line(**{"currency-unit": "DOLLARS"})) + "\n"]
    error = problems_of(lines, source="report.csv")
    assert [(p.line, p.field) for p in error.problems] == [(2, "line"), (3, "currency-unit")]
    assert error.problems[0].message.startswith("is not comma-separated values: new-line character seen")


def test_blank_lines_before_the_header_count_in_the_line_numbers():
    lines = ["\n", "  \r\n", *report(line(), line(**{"currency-unit": "DOLLARS"}))]
    assert [(p.line, p.field) for p in problems_of(lines).problems] == [(5, "currency-unit")]


def test_a_byte_order_mark_before_the_header_is_not_part_of_the_first_column(staged):
    (plain,) = staged(report(line()))
    (row,) = staged(["\ufeff" + "\t".join(COLUMNS) + "\r\n", "\t".join(line()) + "\r\n"])
    assert row == plain


def test_a_value_past_the_headers_columns_never_fills_a_missing_optional_column(staged):
    kept = [column for column in COLUMNS if not column.startswith("original-")]
    values = dict(zip(COLUMNS, line()))
    for header in ("\t".join(kept) + "\t\n", "\t".join(kept) + "\n"):
        (row,) = staged([header, "\t".join(values[column] for column in kept) + "\tstray\n"])
        assert (row.original_reimbursement_id, row.original_reimbursement_type) == ("", "")
        assert row.amount_total == Decimal("20.00")


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


@pytest.mark.parametrize("field", ["reimbursement-id", "amount-total", "approval-date"])
def test_a_required_value_left_empty_is_named_as_empty_and_nothing_else(field):
    (problem,) = problems_of(report(line(**{field: ""}))).problems
    assert str(problem) == f"line 2, {field}: is empty"


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


def test_an_empty_file_decodes_to_no_lines():
    assert list(decode_lines([])) == []
    assert list(decode_lines(iter([b""]))) == []


def test_a_byte_windows_1252_leaves_undefined_reads_as_a_replacement_mark():
    assert list(decode_lines([b"head\n", b"Caf\xe9 \x81\n"])) == ["head\n", "Caf\u00e9 \ufffd\n"]


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


def test_a_report_without_the_original_reimbursement_columns_reads_with_the_same_fingerprints(read, staged):
    short = [column for column in COLUMNS if not column.startswith("original-")]
    (without,) = staged(report([value for column, value in zip(COLUMNS, line()) if column in short], columns=short))
    (complete,) = staged(report(line()))
    assert without == complete
    assert (without.original_reimbursement_id, without.original_reimbursement_type) == ("", "")


def test_extra_fields_after_the_last_header_never_fill_a_missing_optional_column(staged):
    short = [column for column in COLUMNS if not column.startswith("original-")]
    values = [value for column, value in zip(COLUMNS, line()) if column in short]
    (row,) = staged(report([*values, "stray", "more"], columns=short))
    assert row == staged(report(line()))[0]


def test_a_required_column_is_still_required():
    short = [column for column in COLUMNS if column != "sku"]
    error = problems_of(report([v for c, v in zip(COLUMNS, line()) if c != "sku"], columns=short))
    assert [str(problem) for problem in error.problems] == ["line 1, header: missing column: sku"]


def test_fields_in_double_quotes_read_as_without_them(staged):
    (plain,) = staged(report(line(**{"product-name": 'Blue 10" widget'})))
    quoted = [f'"{value}"' for value in line(**{"product-name": 'Blue 10"" widget'})]
    (row,) = staged(report(quoted, columns=[f'"{column}"' for column in COLUMNS]))
    assert row == plain


def test_a_comma_separated_re_save_with_quotes_reads_the_same(staged):
    (plain,) = staged(report(line(**{"product-name": "Widget, blue"})))
    values = [f'"{value}"' if "," in value else value for value in line(**{"product-name": "Widget, blue"})]
    (row,) = staged([",".join(COLUMNS) + "\r\n", ",".join(values) + "\r\n"])
    assert row == plain


def test_a_semicolon_separated_re_save_reads_the_same(staged):
    (plain,) = staged(report(line()))
    (row,) = staged([";".join(COLUMNS) + "\n", ";".join(line()) + "\n"])
    assert row == plain


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-09-02", dt.datetime(2026, 9, 2, tzinfo=UTC)),
        ("2026/09/02", dt.datetime(2026, 9, 2, tzinfo=UTC)),
        ("13/04/2026", dt.datetime(2026, 4, 13, tzinfo=UTC)),
        ("04/13/2026 1:02:03 PM", dt.datetime(2026, 4, 13, 13, 2, 3, tzinfo=UTC)),
        ("4/13/2026 09:30", dt.datetime(2026, 4, 13, 9, 30, tzinfo=UTC)),
        ("05/05/2026", dt.datetime(2026, 5, 5, tzinfo=UTC)),
        ("13/04/2026 01:02:03 PDT", dt.datetime(2026, 4, 13, 8, 2, 3, tzinfo=UTC)),
        ("13/12/2025", dt.datetime(2025, 12, 13, tzinfo=UTC)),
        ("12/13/2025", dt.datetime(2025, 12, 13, tzinfo=UTC)),
        ("04/13/2026 12:30 PM", dt.datetime(2026, 4, 13, 12, 30, tzinfo=UTC)),
        ("04/13/2026 12:30 AM", dt.datetime(2026, 4, 13, 0, 30, tzinfo=UTC)),
        ("04/13/2026 9:30 am", dt.datetime(2026, 4, 13, 9, 30, tzinfo=UTC)),
    ],
)
def test_dates_a_spreadsheet_writes_are_read_where_they_read_one_way(staged, text, expected):
    (row,) = staged(report(line(**{"approval-date": text})))
    assert row.approval_date == expected


def test_a_date_that_reads_two_ways_is_refused_saying_how_to_write_it():
    (problem,) = problems_of(report(line(**{"approval-date": "03/04/2026"}))).problems
    assert (problem.line, problem.field) == (2, "approval-date")
    assert problem.message == (
        "'03/04/2026' could be day/month or month/day (3 April or 4 March): write dates as YYYY-MM-DD "
        "(e.g. 2026-04-03), as Amazon's download does, or re-download the report")


@pytest.mark.parametrize(("text", "message"), [
    ("12/05/2026", "'12/05/2026' could be day/month or month/day (12 May or 5 December)"),
    ("05/12/2026", "'05/12/2026' could be day/month or month/day (5 December or 12 May)"),
    ("0/5/2026", "'0/5/2026' is not a date"),
    ("13/14/2026", "'13/14/2026' is not a date"),
    ("04/13/2026 13:00 PM", "'04/13/2026 13:00 PM' is not a date"),
])
def test_a_slash_date_at_the_edge_of_reading_one_way_is_refused_for_what_it_is(text, message):
    (problem,) = problems_of(report(line(**{"approval-date": text}))).problems
    assert (problem.line, problem.field) == (2, "approval-date")
    assert problem.message.startswith(message)


def test_a_utf16_file_with_its_byte_order_mark_reads_like_utf8(staged):
    text = "\t".join(COLUMNS) + "\r\n" + "\t".join(line(**{"product-name": "Caf\u00e9"})) + "\r\n"
    data = text.encode("utf-16")
    chunks = [data[i:i + 7] for i in range(0, len(data), 7)]
    (row,) = staged(decode_lines(chunks))
    assert row.product_name == "Caf\u00e9"
    assert row == staged(report(line(**{"product-name": "Caf\u00e9"})))[0]


def test_a_utf16_file_decodes_to_its_lines_as_written_the_last_one_without_a_line_end_included():
    text = "\t".join(COLUMNS) + "\r\n" + "\t".join(line()) + "\n" + "\t".join(line(sku="Caf\u00e9"))
    data = text.encode("utf-16")
    assert list(decode_lines(data[i:i + 5] for i in range(0, len(data), 5))) == text.splitlines(keepends=True)


def test_a_utf16_file_cut_in_the_middle_of_a_character_ends_with_a_replacement_mark():
    data = "case-id\n1000000001".encode("utf-16") + b"\x31"
    assert list(decode_lines([data[:9], data[9:]])) == ["case-id\n", "1000000001\ufffd"]


def test_a_utf16_file_with_a_broken_character_reads_with_a_replacement_mark_in_its_place(staged):
    head = ("\t".join(COLUMNS) + "\r\n").encode("utf-16-le")
    values = line(**{"product-name": "Caf@"})
    body = ("\t".join(values) + "\r\n").encode("utf-16-le").replace("@".encode("utf-16-le"), b"\x00\xd8")
    (row,) = staged(decode_lines([b"\xff\xfe" + head, body]))
    assert row.product_name == "Caf\ufffd"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("approval-date", "0001-01-01T00:00:00+05:00", "out of the range of dates"),
        ("approval-date", "9999-12-31T23:00:00-05:00", "out of the range of dates"),
        ("approval-date", "0001-01-01T00:00:00+00:00", "is before 2000-01-01"),
        ("approval-date", "1999-12-31", "is before 2000-01-01"),
        ("approval-date", "9999-01-01T00:00:00+00:00", "is in the future"),
        ("quantity-reimbursed-cash", "9" * 5000, "too large"),
        ("currency-unit", "XTS", "XTS is not a currency any marketplace pays reimbursements in"),
        ("currency-unit", "DEM", "DEM is not a currency any marketplace pays reimbursements in"),
    ],
)
def test_values_out_of_range_are_named_instead_of_crashing(field, value, message):
    (problem,) = problems_of(report(line(**{field: value}))).problems
    assert (problem.line, problem.field) == (2, field)
    assert message in problem.message


def test_a_nul_byte_names_its_line_and_column():
    error = problems_of(report(line(), line(sku="SKU\x00-1")))
    assert [(p.line, p.field) for p in error.problems] == [(3, "sku")]
    assert "NUL character" in error.problems[0].message


def test_a_nul_byte_in_a_column_the_header_does_not_name_is_named_by_its_position():
    error = problems_of(report(line() + ["extra\x00"]))
    assert [(p.line, p.field) for p in error.problems] == [(2, f"column {len(COLUMNS) + 1}")]


def test_a_value_quoted_in_a_problem_is_cut_after_forty_characters():
    (whole,) = problems_of(report(line(**{"amount-total": "x" * 40}))).problems
    (cut,) = problems_of(report(line(**{"amount-total": "y" * 41}))).problems
    assert whole.message == f"'{'x' * 40}' is not an amount"
    assert cut.message == f"'{'y' * 40}'… is not an amount"


def test_every_bad_parsed_value_of_a_line_is_named_not_just_the_first():
    bad = line(**{"approval-date": "yesterday", "amount-total": "lots", "quantity-reimbursed-cash": "one"})
    assert [(p.line, p.field) for p in problems_of(report(line(), bad)).problems] == [
        (3, "approval-date"), (3, "amount-total"), (3, "quantity-reimbursed-cash"),
    ]


def test_a_line_whose_texts_are_exactly_as_long_as_their_fields_is_staged_whole(staged):
    values = {"fnsku": "F" * 20, "asin": "A" * 20, "sku": "S" * 64, "reimbursement-id": "R" * 64,
              "condition": "C" * 64, "amazon-order-id": "O" * 64}
    (row,) = staged(report(line(**values)))
    assert (row.fnsku, row.asin, row.sku, row.reimbursement_id, row.condition, row.amazon_order_id) == tuple(
        values.values())


def test_texts_exactly_as_long_as_their_fields_pass_on_a_line_with_another_bad_value():
    bad = line(fnsku="X" * 20, sku="S" * 64, **{"reimbursement-id": "R" * 64, "currency-unit": "DOLLARS"})
    assert [(p.line, p.field) for p in problems_of(report(line(), bad)).problems] == [(3, "currency-unit")]
    too_long = line(fnsku="X" * 21, **{"reimbursement-id": "R" * 65, "currency-unit": "DOLLARS"})
    assert [(p.line, p.field) for p in problems_of(report(line(), too_long)).problems] == [
        (3, "reimbursement-id"), (3, "currency-unit"), (3, "fnsku"),
    ]


def test_a_total_of_one_unit_for_a_line_of_two_cash_units_is_a_problem():
    two_units = line(**{"amount-per-unit": "20.00", "amount-total": "20.00", "quantity-reimbursed-cash": "2",
                        "quantity-reimbursed-total": "2"})
    (problem,) = problems_of(report(two_units)).problems
    assert (problem.line, problem.field) == (2, "amount-total")
    assert problem.message == "20.00 is not amount per unit 20.00 × 2 cash units = 40.00"


@pytest.mark.parametrize(("units", "field"), [
    ({"quantity-reimbursed-cash": "1", "quantity-reimbursed-inventory": "-1", "quantity-reimbursed-total": "0"},
     "quantity-reimbursed-inventory"),
    ({"quantity-reimbursed-cash": "-1", "quantity-reimbursed-inventory": "1", "quantity-reimbursed-total": "0",
      "amount-per-unit": "", "amount-total": "0.00"}, "quantity-reimbursed-cash"),
])
def test_a_negative_unit_count_alone_makes_a_line_that_is_no_reversal_a_problem(units, field):
    problem = problems_of(report(line(**units))).problems[0]
    assert (problem.line, problem.field) == (2, field)
    assert problem.message.startswith("-1 is negative: only a reversal")


@pytest.mark.parametrize("original", [
    {"original-reimbursement-id": "4999"}, {"original-reimbursement-type": "Lost_Warehouse"},
])
def test_a_negative_line_naming_the_reimbursement_it_corrects_is_a_reversal(staged, original):
    (row,) = staged(report(line(**{
        "reason": "CustomerReturn", "amount-per-unit": "20.00", "amount-total": "-20.00",
        "quantity-reimbursed-cash": "-1", "quantity-reimbursed-total": "-1", **original,
    })))
    assert (row.amount_total, row.quantity_cash) == (Decimal("-20.00"), -1)


def test_an_implausible_line_is_never_passed_on_even_before_the_report_is_refused():
    lines = report(line(), line(**{"reimbursement-id": "5002", "amount-total": "-20.00"}),
                   line(**{"reimbursement-id": "5003"}))
    passed_on = []
    with pytest.raises(ReportError) as caught:
        for copy_line in read_report_copy(lines, source="report.tsv"):
            passed_on.append(int(copy_line.split("\t")[0]))
    assert passed_on == [2, 4]
    assert [(p.line, p.field) for p in caught.value.problems] == [(3, "amount-total")]


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        ({"amount-per-unit": "39.99", "amount-total": "500.00"}, "amount-total",
         "500.00 is not amount per unit 39.99 × 1 cash units = 39.99"),
        ({"amount-total": "-500.00"}, "amount-total", "-500.00 is negative: only a reversal"),
        ({"amount-total": "-20.00", "quantity-reimbursed-cash": "-1", "quantity-reimbursed-total": "-1"},
         "amount-total", "is negative: only a reversal"),
        ({"amount-total": "-20.00", "reason": "Reimbursement_Reversal"}, "amount-total",
         "-20.00 is not amount per unit 20.00 × 1 cash units = 20.00"),
        ({"amount-per-unit": "", "amount-total": "-20.00", "reason": "GeneralAdjustment"}, "amount-total",
         "-20.00 goes the other way than cash units 1"),
        ({"amount-total": "0.00", "quantity-reimbursed-cash": "0", "quantity-reimbursed-total": "0"},
         "amount-total", "0.00 is not the amount per unit 20.00: a line without units"),
    ],
)
def test_an_implausible_line_names_its_line_and_field(values, field, message):
    problem = problems_of(report(line(**values))).problems[0]
    assert (problem.line, problem.field) == (2, field)
    assert message in problem.message


@pytest.mark.parametrize(
    "values",
    [
        {"amount-total": "0.00", "quantity-reimbursed-cash": "0", "quantity-reimbursed-inventory": "2",
         "quantity-reimbursed-total": "2"},
        {"amount-total": "45.00", "amount-per-unit": "45.00", "quantity-reimbursed-cash": "0",
         "quantity-reimbursed-total": "0"},
        {"amount-total": "60.00", "quantity-reimbursed-cash": "3", "quantity-reimbursed-total": "3"},
        {"amount-total": "-20.00", "quantity-reimbursed-cash": "-1", "quantity-reimbursed-total": "-1",
         "reason": "Reimbursement_Reversal"},
        {"amount-total": "-20.00", "quantity-reimbursed-cash": "-1", "quantity-reimbursed-total": "-1",
         "reason": "GeneralAdjustment"},
        {"amount-per-unit": "", "amount-total": "17.50"},
    ],
    ids=["inventory only", "an amount without units", "three units", "reversal", "adjustment", "no per-unit"],
)
def test_the_lines_amazon_writes_are_plausible(staged, values):
    (row,) = staged(report(line(**values)))
    assert row.amount_total == Decimal(values["amount-total"])


def test_every_fixture_report_is_plausible(read):
    for name in ("report_basic.tsv", "report_shuffled.tsv", "report_reversal.tsv", "report_duplicates.tsv",
                 "report_overlap.tsv"):
        assert read(name)


def test_a_value_with_a_tab_keeps_its_backslashes_and_line_breaks_as_written(staged):
    """A comma-separated value holding a tab: every value of the line is escaped for COPY, so a
    backslash, `\\N` or a line break inside a quoted value must come out as the seller wrote it."""
    name = "Blue\twidget \\N 10\\ \\t x\ry\nz"
    values = [f'"{value}"' if value == name else value for value in line(**{"product-name": name, "sku": "SKU\t1"})]
    (row,) = staged([",".join(COLUMNS) + "\n", ",".join(values) + "\n"])
    assert (row.product_name, row.sku) == (name, "SKU\t1")


def test_a_tab_inside_a_value_of_a_comma_separated_file_is_kept(staged):
    values = line(**{"product-name": "Blue\twidget", "sku": "SKU\t1"})
    (row,) = staged([",".join(COLUMNS) + "\n", ",".join(values) + "\n"])
    assert (row.product_name, row.sku) == ("Blue\twidget", "SKU\t1")
