"""Amazon's FBA Reimbursements report (`GET_FBA_REIMBURSEMENTS_DATA`), read line by line.

Tab-separated, one header line, parsed by column name. `read_report` streams: it holds one line
at a time plus at most `MAX_PROBLEMS` problems, whatever the size of the file.
"""

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
import datetime as dt
from decimal import Decimal
import uuid

COLUMNS = (
    "approval-date",
    "reimbursement-id",
    "case-id",
    "amazon-order-id",
    "reason",
    "sku",
    "fnsku",
    "asin",
    "product-name",
    "condition",
    "currency-unit",
    "amount-per-unit",
    "amount-total",
    "quantity-reimbursed-cash",
    "quantity-reimbursed-inventory",
    "quantity-reimbursed-total",
    "original-reimbursement-id",
    "original-reimbursement-type",
)
MAX_PROBLEMS = 50


@dataclass(frozen=True)
class ReportProblem:
    """One bad value: the line of the file (the header is line 1), the column, what is wrong."""

    line: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"line {self.line}, {self.field}: {self.message}"


class ReportError(Exception):
    """The report cannot be imported; nothing of it was written.

    `problems` lists the first `MAX_PROBLEMS` bad values, `problem_count` counts them all.
    `str()` names the source and each bad line and field, one per line.
    """

    def __init__(self, *, source: str, problems: list[ReportProblem], problem_count: int | None = None):
        self.source = source
        self.problems = list(problems)
        self.problem_count = problem_count if problem_count is not None else len(self.problems)
        super().__init__(self.describe())

    def describe(self) -> str:
        raise NotImplementedError


@dataclass(frozen=True, slots=True)
class ReportRow:
    """One valid line, its values normalized (dates in UTC, amounts as Decimal)."""

    line: int
    approval_date: dt.datetime
    reimbursement_id: str
    case_reference: str
    amazon_order_id: str
    reason: str
    sku: str
    fnsku: str
    asin: str
    product_name: str
    condition: str
    currency: str
    amount_per_unit: Decimal
    amount_total: Decimal
    quantity_cash: int
    quantity_inventory: int
    original_reimbursement_id: str
    original_reimbursement_type: str
    fingerprint: uuid.UUID


def read_report(lines: Iterable[str], *, source: str) -> Iterator[ReportRow]:
    """Yield every valid row of the report, in file order.

    A missing required column raises ReportError at once (line 1). Bad values are collected
    while the good rows keep flowing; once the last line is read, ReportError is raised if
    any line was bad. The caller must therefore consume the whole iterator before it writes
    anything for good (ingestion does it inside a transaction).
    """
    raise NotImplementedError


def decode_lines(stream: Iterable[bytes]) -> Iterator[str]:
    """Lines of a binary file as text: UTF-8 (byte-order mark or not), or Windows-1252 where a
    line is not UTF-8 (older Seller Central downloads)."""
    raise NotImplementedError
