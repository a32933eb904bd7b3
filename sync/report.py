"""Amazon's FBA Reimbursements report (`GET_FBA_REIMBURSEMENTS_DATA`), read line by line.

Tab-separated, one header line, parsed by column name: any column order, unknown columns
ignored. `read_report` streams: it holds one line at a time plus at most `MAX_PROBLEMS`
problems, whatever the size of the file.
"""

import datetime as dt
import hashlib
import re
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache

from cases.money import CENT, is_currency, parse_amount

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
"""All of them are required: a report without, say, `sku` would give its rows other fingerprints
than the same rows in a complete report, and they would count twice."""

MAX_PROBLEMS = 50
MAX_AMOUNT = Decimal("1e12")
TEXT_LIMITS = {
    "reimbursement-id": 64,
    "case-id": 64,
    "amazon-order-id": 64,
    "reason": 64,
    "sku": 64,
    "fnsku": 20,
    "asin": 20,
    "condition": 64,
    "original-reimbursement-id": 64,
    "original-reimbursement-type": 64,
}
PRODUCT_NAME_LIMIT = 500
ZONE_NAMES = {"UTC": "+00:00", "GMT": "+00:00", "PST": "-08:00", "PDT": "-07:00"}
_ZONE_NAME = re.compile(r"\s*(UTC|GMT|PST|PDT)$")


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
        count = self.problem_count
        lines = [f"{self.source}: {count} problem{'s' if count != 1 else ''}, nothing was imported."]
        lines += [f"  {problem}" for problem in self.problems]
        if self.unlisted:
            lines.append(f"  and {self.unlisted} more")
        return "\n".join(lines)

    @property
    def unlisted(self) -> int:
        return self.problem_count - len(self.problems)


@dataclass(frozen=True, slots=True)
class ReportRow:
    """One valid line, its values normalized (dates in UTC, amounts as Decimal to the cent)."""

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


class BadValue(ValueError):
    """A value that cannot be read; its message goes into a ReportProblem."""


@lru_cache(maxsize=4096)
def parse_date(text: str) -> dt.datetime:
    """ISO 8601, leniently: an offset, `Z`, a zone name (PST), or none (UTC); `T` or a space; a date alone."""
    if not text:
        raise BadValue("is empty")
    zone = _ZONE_NAME.search(text)
    iso = text[: zone.start()] + ZONE_NAMES[zone.group(1)] if zone else text
    try:
        value = dt.datetime.fromisoformat(iso)
    except ValueError:
        raise BadValue(f"{text!r} is not a date (expected ISO 8601, e.g. 2026-05-10T01:02:03+00:00)") from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.timezone.utc)
    return value.astimezone(dt.timezone.utc)


def parse_money(text: str) -> Decimal:
    if not text:
        raise BadValue("is empty")
    try:
        value = parse_amount(text)
    except ValueError as error:
        raise BadValue(str(error)) from None
    if value != value.quantize(CENT):
        raise BadValue(f"{text!r} has more than two decimal places")
    if abs(value) >= MAX_AMOUNT:
        raise BadValue(f"{text!r} is too large")
    return value.quantize(CENT)


def parse_amount_or_zero(text: str) -> Decimal:
    return parse_money(text) if text else Decimal("0.00")


def parse_quantity(text: str) -> int:
    if not text:
        return 0
    if not text.lstrip("+-").isdigit():
        raise BadValue(f"{text!r} is not a whole number")
    value = int(text)
    if abs(value) >= 2**31:
        raise BadValue(f"{text!r} is too large")
    return value


def parse_currency(text: str) -> str:
    code = text.upper()
    if not is_currency(code):
        raise BadValue(f"{text!r} is not an ISO 4217 currency code" if text else "is empty")
    return code


def parse_required_text(text: str) -> str:
    if not text:
        raise BadValue("is empty")
    return text


PARSERS: dict[str, Callable[[str], object]] = {
    "approval-date": parse_date,
    "reimbursement-id": parse_required_text,
    "currency-unit": parse_currency,
    "amount-per-unit": parse_amount_or_zero,
    "amount-total": parse_money,
    "quantity-reimbursed-cash": parse_quantity,
    "quantity-reimbursed-inventory": parse_quantity,
    "quantity-reimbursed-total": parse_quantity,
}


def fingerprint(values: dict[str, object]) -> uuid.UUID:
    """The identity of a line: a hash of its normalized values.

    `product-name` is left out: Amazon rewrites titles, and the same reimbursement must keep
    its identity when its product is renamed between two downloads of the report.
    """
    text = "\x1f".join(
        values[column].isoformat() if column == "approval-date" else str(values[column])
        for column in COLUMNS
        if column != "product-name"
    )
    return uuid.UUID(bytes=hashlib.blake2b(text.encode(), digest_size=16).digest())


class _Problems:
    def __init__(self) -> None:
        self.kept: list[ReportProblem] = []
        self.count = 0

    def add(self, line: int, field: str, message: str) -> None:
        self.count += 1
        if len(self.kept) < MAX_PROBLEMS:
            self.kept.append(ReportProblem(line, field, message))


def _read_header(lines: Iterator[str], source: str) -> tuple[int, dict[str, int]]:
    number = 0
    for text in lines:
        number += 1
        text = text.lstrip("\ufeff").rstrip("\r\n")
        if text.strip():
            break
    else:
        raise ReportError(source=source, problems=[ReportProblem(1, "header", "the file is empty")])
    positions: dict[str, int] = {}
    for index, name in enumerate(text.split("\t")):
        positions.setdefault(name.strip().strip('"').lower(), index)
    missing = [column for column in COLUMNS if column not in positions]
    if missing:
        raise ReportError(
            source=source,
            problems=[ReportProblem(number, "header", "missing column" + ("s" if len(missing) > 1 else "")
                                    + ": " + ", ".join(missing))],
        )
    return number, {column: positions[column] for column in COLUMNS}


def _parse_line(number: int, fields: list[str], positions: dict[str, int],
                problems: _Problems) -> ReportRow | None:
    width = len(fields)
    raw = {column: fields[index].strip() if index < width else "" for column, index in positions.items()}
    values: dict[str, object] = {}
    bad = False
    for column, text in raw.items():
        parser = PARSERS.get(column)
        try:
            if parser is not None:
                values[column] = parser(text)
            elif column == "product-name":
                values[column] = text[:PRODUCT_NAME_LIMIT]
            elif len(text) > TEXT_LIMITS[column]:
                raise BadValue(f"is longer than {TEXT_LIMITS[column]} characters")
            else:
                values[column] = text
        except BadValue as error:
            problems.add(number, column, str(error))
            bad = True
    if bad:
        return None
    cash, inventory = values["quantity-reimbursed-cash"], values["quantity-reimbursed-inventory"]
    if values["quantity-reimbursed-total"] != cash + inventory:
        problems.add(number, "quantity-reimbursed-total",
                     f"{raw['quantity-reimbursed-total']!r} is not cash {cash} + inventory {inventory}")
        return None
    return ReportRow(
        line=number,
        approval_date=values["approval-date"],
        reimbursement_id=values["reimbursement-id"],
        case_reference=values["case-id"],
        amazon_order_id=values["amazon-order-id"],
        reason=values["reason"],
        sku=values["sku"],
        fnsku=values["fnsku"],
        asin=values["asin"],
        product_name=values["product-name"],
        condition=values["condition"],
        currency=values["currency-unit"],
        amount_per_unit=values["amount-per-unit"],
        amount_total=values["amount-total"],
        quantity_cash=cash,
        quantity_inventory=inventory,
        original_reimbursement_id=values["original-reimbursement-id"],
        original_reimbursement_type=values["original-reimbursement-type"],
        fingerprint=fingerprint(values),
    )


def read_report(lines: Iterable[str], *, source: str) -> Iterator[ReportRow]:
    """Yield every valid row of the report, in file order.

    Tolerates a byte-order mark, CRLF, blank lines, unknown columns and unknown reasons.
    A missing column raises ReportError at once (line 1). Bad values are collected while the
    good rows keep flowing; once the last line is read, ReportError is raised if any line was
    bad. The caller must therefore consume the whole iterator before it writes anything for
    good (ingestion does it inside a transaction).
    """
    iterator = iter(lines)
    number, positions = _read_header(iterator, source)
    problems = _Problems()
    for text in iterator:
        number += 1
        text = text.rstrip("\r\n")
        if not text.strip():
            continue
        row = _parse_line(number, text.split("\t"), positions, problems)
        if row is not None:
            yield row
    if problems.count:
        raise ReportError(source=source, problems=problems.kept, problem_count=problems.count)


def decode_lines(stream: Iterable[bytes]) -> Iterator[str]:
    """Lines of a binary file as text: UTF-8 (byte-order mark or not), or Windows-1252 where a
    line is not UTF-8 (older Seller Central downloads)."""
    for raw in stream:
        try:
            yield raw.decode("utf-8")
        except UnicodeDecodeError:
            yield raw.decode("cp1252", errors="replace")
