"""Amazon's FBA Reimbursements report (`GET_FBA_REIMBURSEMENTS_DATA`), read line by line.

Tab-separated, one header line, parsed by column name: any column order, unknown columns
ignored. `read_report` streams: it holds one line at a time plus at most `MAX_PROBLEMS`
problems, whatever the size of the file. Writing reports (the sandbox, the demo, the benchmark)
is `sync.report_writer`'s job.
"""

import datetime as dt
import hashlib
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from operator import itemgetter
from typing import NamedTuple

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
_WHOLE_NUMBER = re.compile(r"[+-]?[0-9]+")


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


class ReportRow(NamedTuple):
    """One valid line, its values normalized (dates in UTC, amounts as Decimal to the cent).

    The fields are in the order of the ingestion's staging table, so a row is written as is.
    """

    line: int
    fingerprint: str
    case_reference: str
    approval_date: dt.datetime
    reimbursement_id: str
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


class BadValue(ValueError):
    """A value that cannot be read; its message goes into a ReportProblem."""


@lru_cache(maxsize=65536)
def parse_date(text: str) -> tuple[dt.datetime, str]:
    """ISO 8601, leniently: an offset, `Z`, a zone name (PST), or none (UTC); `T` or a space; a date alone.

    Returns the moment in UTC and its normalized text.
    """
    if not text:
        raise BadValue("is empty")
    zone = _ZONE_NAME.search(text) if text[-1].isalpha() else None
    iso = text[: zone.start()] + ZONE_NAMES[zone.group(1)] if zone else text
    try:
        value = dt.datetime.fromisoformat(iso)
    except ValueError:
        raise BadValue(f"{text!r} is not a date (expected ISO 8601, e.g. 2026-05-10T01:02:03+00:00)") from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.timezone.utc)
    elif value.utcoffset():
        value = value.astimezone(dt.timezone.utc)
    return value, value.isoformat()


@lru_cache(maxsize=65536)
def parse_money(text: str) -> tuple[Decimal, str]:
    """An amount to the cent, and its normalized text (`20` and `20.00` are the same)."""
    if not text:
        raise BadValue("is empty")
    try:
        value = parse_amount(text)
    except ValueError as error:
        raise BadValue(str(error)) from None
    if abs(value) >= MAX_AMOUNT:  # first: quantizing 1e30 to the cent would exceed Decimal's precision
        raise BadValue(f"{text!r} is too large")
    if value != value.quantize(CENT):
        raise BadValue(f"{text!r} has more than two decimal places")
    value = value.quantize(CENT) + 0
    return value, str(value)


def parse_amount_or_zero(text: str) -> tuple[Decimal, str]:
    return parse_money(text or "0")


@lru_cache(maxsize=4096)
def parse_quantity(text: str) -> tuple[int, str]:
    """A whole number of units, negative on reversals; empty is 0."""
    if not text:
        return 0, "0"
    if not _WHOLE_NUMBER.fullmatch(text):
        raise BadValue(f"{text!r} is not a whole number")
    value = int(text)
    if abs(value) >= 2**31:
        raise BadValue(f"{text!r} is too large")
    return value, str(value)


@lru_cache(maxsize=1024)
def parse_currency(text: str) -> tuple[str, str]:
    code = text.upper()
    if not is_currency(code):
        raise BadValue(f"{text!r} is not an ISO 4217 currency code" if text else "is empty")
    return code, code


def parse_required_text(text: str) -> tuple[str, str]:
    if not text:
        raise BadValue("is empty")
    if len(text) > TEXT_LIMITS["reimbursement-id"]:
        raise BadValue(f"is longer than {TEXT_LIMITS['reimbursement-id']} characters")
    return text, text


PARSERS: dict[str, Callable[[str], tuple[object, str]]] = {
    "approval-date": parse_date,
    "reimbursement-id": parse_required_text,
    "currency-unit": parse_currency,
    "amount-per-unit": parse_amount_or_zero,
    "amount-total": parse_money,
    "quantity-reimbursed-cash": parse_quantity,
    "quantity-reimbursed-inventory": parse_quantity,
    "quantity-reimbursed-total": parse_quantity,
}
"""Columns read into a value; every other column is text, checked against `TEXT_LIMITS`."""

ROW_ORDER = (
    "case-id", "approval-date", "reimbursement-id", "amazon-order-id", "reason", "sku", "fnsku", "asin",
    "product-name", "condition", "currency-unit", "amount-per-unit", "amount-total",
    "quantity-reimbursed-cash", "quantity-reimbursed-inventory",
    "original-reimbursement-id", "original-reimbursement-type",
)
"""The report columns in ReportRow's order (after line and fingerprint); `quantity-reimbursed-total`
is checked, not kept."""


def fingerprint(normalized: Iterable[str]) -> str:
    """The identity of a line: a hash of its normalized values, in `COLUMNS` order, as the 32 hex
    digits of a UUID (what PostgreSQL reads into a `uuid` column).

    `product-name` is left out (its normalized text is empty): Amazon rewrites titles, and the
    same reimbursement must keep its identity when its product is renamed between two downloads
    of the report.
    """
    return hashlib.blake2b("\x1f".join(normalized).encode(), digest_size=16).hexdigest()


class _Problems:
    def __init__(self) -> None:
        self.kept: list[ReportProblem] = []
        self.count = 0

    def add(self, line: int, field: str, message: str) -> None:
        self.count += 1
        if len(self.kept) < MAX_PROBLEMS:
            self.kept.append(ReportProblem(line, field, message))


def _read_header(lines: Iterator[str], source: str) -> tuple[int, list[int]]:
    """The header's line number and, for each of `COLUMNS`, its position in a line."""
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
    return number, [positions[column] for column in COLUMNS]


_INDEX = {column: index for index, column in enumerate(COLUMNS)}
_TYPED = tuple((_INDEX[column], column, parse) for column, parse in PARSERS.items())
_LIMITED = tuple((_INDEX[column], column, limit) for column, limit in TEXT_LIMITS.items() if column not in PARSERS)
_PRODUCT_NAME = _INDEX["product-name"]
_SHORT_LIMIT = min(limit for _, _, limit in _LIMITED)
_LONG_LIMIT = max(limit for _, _, limit in _LIMITED)
_SHORT_TEXTS = itemgetter(*(index for index, _, limit in _LIMITED if limit == _SHORT_LIMIT))
_LONG_TEXTS = itemgetter(*(index for index, _, limit in _LIMITED if limit == _LONG_LIMIT))
assert {limit for _, _, limit in _LIMITED} == {_SHORT_LIMIT, _LONG_LIMIT}, "the length check knows two limits"
_ROW_PICK = itemgetter(*(_INDEX[column] for column in ROW_ORDER))


_DATE, _REIMBURSEMENT, _CURRENCY, _PER_UNIT, _TOTAL_AMOUNT, _CASH, _INVENTORY, _UNITS = (_INDEX[c] for c in PARSERS)


def _parse_line(number: int, raw: Iterable[str], problems: _Problems) -> tuple[str, list[str], list[object]] | None:
    """The line's fingerprint, its normalized texts in `COLUMNS` order (the product name cut to its
    limit) and the values of its `PARSERS` columns, in that order; None if it is bad.

    A good line goes through the straight path; the first bad value sends the line through
    `_line_problems`, which notes every problem of the line.
    """
    texts = [text.strip() for text in raw]
    try:
        date, texts[_DATE] = parse_date(texts[_DATE])
        reimbursement, texts[_REIMBURSEMENT] = parse_required_text(texts[_REIMBURSEMENT])
        currency, texts[_CURRENCY] = parse_currency(texts[_CURRENCY])
        per_unit, texts[_PER_UNIT] = parse_amount_or_zero(texts[_PER_UNIT])
        total_amount, texts[_TOTAL_AMOUNT] = parse_money(texts[_TOTAL_AMOUNT])
        cash, texts[_CASH] = parse_quantity(texts[_CASH])
        inventory, texts[_INVENTORY] = parse_quantity(texts[_INVENTORY])
        units, texts[_UNITS] = parse_quantity(texts[_UNITS])
    except BadValue:
        _line_problems(number, [text.strip() for text in raw], problems)
        return None
    if max(map(len, _SHORT_TEXTS(texts))) > _SHORT_LIMIT or max(map(len, _LONG_TEXTS(texts))) > _LONG_LIMIT:
        _line_problems(number, texts, problems)
        return None
    if units != cash + inventory:
        problems.add(number, "quantity-reimbursed-total", f"{units} is not cash {cash} + inventory {inventory}")
        return None
    name = texts[_PRODUCT_NAME]
    texts[_PRODUCT_NAME] = ""
    print_ = fingerprint(texts)
    texts[_PRODUCT_NAME] = name[:PRODUCT_NAME_LIMIT]
    return print_, texts, [date, reimbursement, currency, per_unit, total_amount, cash, inventory, units]


def _line_problems(number: int, texts: list[str], problems: _Problems) -> None:
    for index, column, parse in _TYPED:
        try:
            parse(texts[index])
        except BadValue as error:
            problems.add(number, column, str(error))
    for index, column, limit in _LIMITED:
        if len(texts[index]) > limit:
            problems.add(number, column, f"is longer than {limit} characters")


def _parsed_lines(lines: Iterable[str], source: str) -> Iterator[tuple[int, str, list[str], list[object]]]:
    iterator = iter(lines)
    number, positions = _read_header(iterator, source)
    width = max(positions) + 1
    pick = itemgetter(*positions)
    padding = [""] * width
    problems = _Problems()
    for text in iterator:
        number += 1
        if not text.strip():
            continue
        fields = text.rstrip("\r\n").split("\t")
        if len(fields) < width:
            fields += padding[len(fields):]
        parsed = _parse_line(number, pick(fields), problems)
        if parsed is not None:
            yield number, *parsed
    if problems.count:
        raise ReportError(source=source, problems=problems.kept, problem_count=problems.count)


def read_report(lines: Iterable[str], *, source: str) -> Iterator[ReportRow]:
    """Yield every valid row of the report, in file order.

    Tolerates a byte-order mark, CRLF, blank lines, unknown columns and unknown reasons.
    A missing column raises ReportError at once (line 1). Bad values are collected while the
    good rows keep flowing; once the last line is read, ReportError is raised if any line was
    bad. The caller must therefore consume the whole iterator before it writes anything for
    good (ingestion does it inside a transaction).
    """
    for number, print_, texts, typed in _parsed_lines(lines, source):
        values: list[object] = list(texts)
        for (index, _, _), value in zip(_TYPED, typed):
            values[index] = value
        yield ReportRow(number, print_, *_ROW_PICK(values))


def read_report_copy(lines: Iterable[str], *, source: str) -> Iterator[str]:
    """The rows of `read_report` as lines of PostgreSQL's COPY text format, in ReportRow's order.

    The values are the normalized texts (ISO dates in UTC, amounts to the cent), which PostgreSQL
    reads into the same values as ReportRow's; building the line from them is cheaper than
    having the COPY adapter format typed values. Same checks, same errors, same streaming.
    """
    for number, print_, texts, _ in _parsed_lines(lines, source):
        text = "\t".join(_ROW_PICK(texts))
        if "\\" in text or "\r" in text or "\n" in text:
            text = text.replace("\\", "\\\\").replace("\r", "\\r").replace("\n", "\\n")
        yield f"{number}\t{print_}\t{text}\n"


def decode_lines(stream: Iterable[bytes]) -> Iterator[str]:
    """Lines of a binary file as text: UTF-8 (byte-order mark or not), or Windows-1252 where a
    line is not UTF-8 (older Seller Central downloads)."""
    for raw in stream:
        try:
            yield raw.decode("utf-8")
        except UnicodeDecodeError:
            yield raw.decode("cp1252", errors="replace")
