"""Reading Inventory Ledger files: by header name, tolerant of how sellers have them, refusing bad ones whole."""

import pytest

from sync.ledger_report import read_ledger_copy
from sync.ledger_writer import HEADERS, ledger_lines
from sync.report import ReportError

ROW = {"date": "05/10/2026", "fnsku": "X001", "asin": "B01", "msku": "SKU-1", "title": "Mug", "event_type": "Adjustments",
       "reference_id": "R1", "quantity": "-2", "fulfillment_center": "PHX7", "disposition": "SELLABLE", "reason": "M",
       "country": "US", "reconciled_quantity": "0", "unreconciled_quantity": "2",
       "date_and_time": "2026-05-10T01:02:03-07:00", "store": ""}


def fields(copy_line):
    return copy_line.rstrip("\n").split("\t")


def test_a_tab_separated_line_reads_into_its_columns():
    (line,) = read_ledger_copy(ledger_lines([ROW]), source="t")
    values = fields(line)
    assert values[0] == "2"
    assert values[2:11] == ["2026-05-10", "X001", "B01", "SKU-1", "Mug", "Adjustments", "R1", "-2", "PHX7"]
    assert values[-4:] == ["0", "2", "2026-05-10T08:02:03+00:00", ""]


def test_a_comma_separated_download_with_quotes_and_other_column_order_reads_the_same():
    headers = tuple(reversed(HEADERS))
    csv_line = read_ledger_copy(ledger_lines([{**ROW, "title": '"Mug, blue"'}], headers, ","), source="t")
    tab_line = read_ledger_copy(ledger_lines([{**ROW, "title": "Mug, blue"}]), source="t")
    assert fields(next(csv_line))[1:] == fields(next(tab_line))[1:]


def test_an_older_file_without_the_optional_columns_has_the_same_fingerprint():
    old_headers = tuple(h for h in HEADERS if h not in ("Date and Time", "Store", "Reconciled Quantity",
                                                       "Unreconciled Quantity", "Title"))
    (old,) = read_ledger_copy(ledger_lines([ROW], old_headers), source="t")
    (new,) = read_ledger_copy(ledger_lines([ROW]), source="t")
    assert fields(old)[1] == fields(new)[1]
    assert fields(old)[-4:] == ["\\N", "\\N", "\\N", ""]


def test_headers_are_matched_in_any_case_and_spacing():
    headers = tuple(h.upper().replace(" ", "  ") for h in HEADERS)
    rows = [{k: v for k, v in ROW.items()}]
    lines = [ "\t".join(headers) + "\n", ledger_lines(rows)[1]]
    assert len(list(read_ledger_copy(lines, source="t"))) == 1


def test_unknown_event_types_and_reason_codes_are_kept():
    (line,) = read_ledger_copy(ledger_lines([{**ROW, "event_type": "NewKind", "reason": "ZZ"}]), source="t")
    assert "NewKind" in fields(line) and "ZZ" in fields(line)


def test_a_missing_required_column_is_refused_at_the_header():
    headers = tuple(h for h in HEADERS if h != "Reference ID")
    with pytest.raises(ReportError) as error:
        list(read_ledger_copy(ledger_lines([ROW], headers), source="ledger.csv"))
    assert str(error.value) == (
        "ledger.csv: 1 problem, nothing was imported.\n"
        "  line 1, header: missing column: Reference ID (is this the Inventory Ledger's detailed view?)"
    )


def test_bad_values_are_named_by_line_and_column_after_every_line_is_read():
    rows = [ROW, {**ROW, "quantity": "two"}, ROW, {**ROW, "date": "13/45/2026", "fnsku": ""}]
    with pytest.raises(ReportError) as error:
        list(read_ledger_copy(ledger_lines(rows), source="ledger.tsv"))
    assert [str(p) for p in error.value.problems] == [
        "line 3, Quantity: 'two' is not a whole number",
        "line 5, Date: '13/45/2026' is not a date (expected MM/DD/YYYY or YYYY-MM-DD)",
        "line 5, FNSKU: is empty",
    ]


def test_a_future_date_is_refused():
    with pytest.raises(ReportError, match="line 2, Date: 2999-01-01 is in the future"):
        list(read_ledger_copy(ledger_lines([{**ROW, "date": "01/01/2999"}]), source="t"))


def test_an_empty_file_is_refused():
    with pytest.raises(ReportError, match="the file is empty"):
        list(read_ledger_copy([], source="t"))


def test_a_value_longer_than_its_column_is_refused_and_a_long_title_cut():
    with pytest.raises(ReportError, match="line 2, FNSKU: is longer than 20 characters"):
        list(read_ledger_copy(ledger_lines([{**ROW, "fnsku": "X" * 21}]), source="t"))
    (line,) = read_ledger_copy(ledger_lines([{**ROW, "title": "T" * 600}]), source="t")
    assert fields(line)[6] == "T" * 500


def test_tabs_backslashes_and_a_literal_null_marker_in_a_csv_field_are_escaped_for_copy():
    (line,) = read_ledger_copy(ledger_lines([{**ROW, "title": "a\tb\\c", "msku": "\\N"}], delimiter=","), source="t")
    values = fields(line)
    assert (values[5], values[6]) == ("\\\\N", "a\\tb\\\\c")
