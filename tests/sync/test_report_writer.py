"""The report writer writes what the parser reads: the simulated marketplaces' reports are Amazon's."""

from cases.models import ReimbursementType
from sync.report import COLUMNS, read_report_copy
from sync.report_writer import AMAZON_REASONS, report_header, report_line


def test_every_type_of_case_has_the_reason_amazon_writes_when_it_pays_one():
    assert set(AMAZON_REASONS) == set(ReimbursementType)


def test_a_written_line_puts_each_value_under_its_header_and_leaves_the_others_empty():
    written = report_line({"reimbursement-id": "5001", "quantity-reimbursed-cash": 1})
    values = dict(zip(report_header().split("\t"), written.split("\t"), strict=True))
    assert list(values) == list(COLUMNS)
    assert (values["reimbursement-id"], values["quantity-reimbursed-cash"], values["sku"]) == ("5001", "1", "")


def test_a_written_report_is_read_back_by_the_parser():
    written = report_line({
        "approval-date": "2026-05-10T01:02:03+00:00", "reimbursement-id": "5001", "case-id": "1000000001",
        "reason": AMAZON_REASONS[ReimbursementType.LOST_WAREHOUSE], "currency-unit": "USD",
        "amount-per-unit": "20.00", "amount-total": "20.00", "quantity-reimbursed-cash": 1,
        "quantity-reimbursed-inventory": 0, "quantity-reimbursed-total": 1,
    })
    (copied,) = read_report_copy([report_header() + "\n", written + "\n"], source="written")
    assert copied.startswith("2\t")
    assert "\t1000000001\t" in copied and "\tLost_Warehouse\t" in copied
