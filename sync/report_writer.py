"""Writing FBA Reimbursements reports, for the simulated marketplaces: the sandbox, the demo and
the benchmark write the same files Amazon sends, and `sync.report` reads them like Amazon's."""

from cases.models import ReimbursementType
from sync.report import COLUMNS

AMAZON_REASONS = {
    ReimbursementType.LOST_WAREHOUSE: "Lost_Warehouse",
    ReimbursementType.DAMAGED_WAREHOUSE: "Damaged_Warehouse",
    ReimbursementType.LOST_INBOUND: "Lost_Inbound",
    ReimbursementType.CUSTOMER_RETURN: "CustomerReturn",
    ReimbursementType.REMOVAL_ORDER: "GeneralAdjustment",
    ReimbursementType.FEE_OVERCHARGE: "GeneralAdjustment",
    ReimbursementType.OTHER: "CustomerServiceIssue",
}
"""The `reason` Amazon writes when it pays a case of each type."""


def report_header() -> str:
    """The header line of a report, without its line break."""
    return "\t".join(COLUMNS)


def report_line(values: dict[str, object]) -> str:
    """One line of a report, in `COLUMNS` order, without its line break; a missing column is empty."""
    return "\t".join(str(values.get(column, "")) for column in COLUMNS)
