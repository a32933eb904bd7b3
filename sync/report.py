"""Amazon's FBA Reimbursements report (`GET_FBA_REIMBURSEMENTS_DATA`), read line by line.

Tab-separated, one header line, parsed by column name: any column order, unknown columns
ignored. Each column is declared once, in `COLUMN_TABLE`: its header, how it is read and
checked, and where it is stored; the header list, the checks and the staging table's columns
are derived from it. `read_report_copy` streams: it holds one line at a time plus at most
`MAX_PROBLEMS` problems, whatever the size of the file. Writing reports (the sandbox, the demo,
the benchmark) is `sync.report_writer`'s job.
"""

import datetime as dt
import hashlib
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from operator import itemgetter

from cases.money import CENT, is_currency, parse_amount

MAX_PROBLEMS = 50
MAX_AMOUNT = Decimal("1e12")
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
    return text, text


Parser = Callable[[str], tuple[object, str]]
"""Reads a value: returns it and its normalized text, or raises BadValue."""


@dataclass(frozen=True)
class Column:
    """One column of the report: its header, how its value is read and checked, where it is stored."""

    header: str
    field: str | None
    """Its staging column and ReimbursementRecord field; None: checked, not kept."""
    sql_type: str = "text"
    parse: Parser | None = None
    """None: the value is its text, stripped."""
    limit: int | None = None
    """The most characters its text may have."""
    cut: bool = False
    """A longer text is cut to `limit` instead of making the line bad."""
    identity: bool = True
    """Part of the line's fingerprint."""


COLUMN_TABLE = (
    Column("approval-date", "approval_date", "timestamptz", parse=parse_date),
    Column("reimbursement-id", "reimbursement_id", parse=parse_required_text, limit=64),
    Column("case-id", "case_reference", limit=64),
    Column("amazon-order-id", "amazon_order_id", limit=64),
    Column("reason", "reason", limit=64),
    Column("sku", "sku", limit=64),
    Column("fnsku", "fnsku", limit=20),
    Column("asin", "asin", limit=20),
    Column("product-name", "product_name", limit=500, cut=True, identity=False),
    Column("condition", "condition", limit=64),
    Column("currency-unit", "currency", parse=parse_currency),
    Column("amount-per-unit", "amount_per_unit", "numeric", parse=parse_amount_or_zero),
    Column("amount-total", "amount_total", "numeric", parse=parse_money),
    Column("quantity-reimbursed-cash", "quantity_cash", "integer", parse=parse_quantity),
    Column("quantity-reimbursed-inventory", "quantity_inventory", "integer", parse=parse_quantity),
    Column("quantity-reimbursed-total", None, parse=parse_quantity),
    Column("original-reimbursement-id", "original_reimbursement_id", limit=64),
    Column("original-reimbursement-type", "original_reimbursement_type", limit=64),
)
"""Every column of Amazon's report, in its order, which is also the order of the values hashed
into a line's fingerprint: adding, removing or moving a column changes every fingerprint, and
every line of a report downloaded again would count twice.

All of them are required: a report without, say, `sku` would give its rows other fingerprints
than the same rows in a complete report, and they would count twice. `quantity-reimbursed-total`
is checked against the two other quantities, not kept."""

COLUMNS = tuple(column.header for column in COLUMN_TABLE)
"""The headers, in the report's order."""

_STAGING = (
    ("line", "integer"),
    ("fingerprint", "uuid"),
    *((column.field, column.sql_type) for column in COLUMN_TABLE if column.field),
)
STAGING_COLUMNS = tuple(name for name, _ in _STAGING)
"""The columns of ingestion's staging table, in the order of the lines of `read_report_copy`:
the line number, the fingerprint, then the kept columns in the report's order."""


def staging_columns_sql() -> str:
    """The column definitions of ingestion's staging table, for its CREATE TABLE."""
    return ",\n".join(f"{name} {sql_type} NOT NULL" for name, sql_type in _STAGING)


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


_INDEX = {column.header: index for index, column in enumerate(COLUMN_TABLE)}
_PARSED_CHECKS = tuple((index, column) for index, column in enumerate(COLUMN_TABLE) if column.parse)
_TEXT_CHECKS = tuple(
    (index, column) for index, column in enumerate(COLUMN_TABLE) if not column.parse and column.limit and not column.cut
)
_LIMITED = tuple((index, column.limit) for index, column in enumerate(COLUMN_TABLE) if column.limit and not column.cut)
_SHORT_LIMIT = min(limit for _, limit in _LIMITED)
_LONG_LIMIT = max(limit for _, limit in _LIMITED)
assert {limit for _, limit in _LIMITED} == {_SHORT_LIMIT, _LONG_LIMIT}, "the length check knows two limits"
_SHORT_TEXTS = itemgetter(*(index for index, limit in _LIMITED if limit == _SHORT_LIMIT))
_LONG_TEXTS = itemgetter(*(index for index, limit in _LIMITED if limit == _LONG_LIMIT))
((_CUT, _CUT_LIMIT),) = ((index, column.limit) for index, column in enumerate(COLUMN_TABLE) if column.cut)
(_UNHASHED,) = (index for index, column in enumerate(COLUMN_TABLE) if not column.identity)
_KEPT = itemgetter(*(index for index, column in enumerate(COLUMN_TABLE) if column.field))


def _reader(header: str) -> tuple[int, Parser]:
    index = _INDEX[header]
    parse = COLUMN_TABLE[index].parse
    assert parse is not None, f"{header} is read by a parser"
    return index, parse


_DATE, _read_date = _reader("approval-date")
_REIMBURSEMENT, _read_reimbursement = _reader("reimbursement-id")
_CURRENCY, _read_currency = _reader("currency-unit")
_PER_UNIT, _read_per_unit = _reader("amount-per-unit")
_TOTAL_AMOUNT, _read_total_amount = _reader("amount-total")
_CASH, _read_cash = _reader("quantity-reimbursed-cash")
_INVENTORY, _read_inventory = _reader("quantity-reimbursed-inventory")
_UNITS, _read_units = _reader("quantity-reimbursed-total")
assert [index for index, _ in _PARSED_CHECKS] == [
    _DATE, _REIMBURSEMENT, _CURRENCY, _PER_UNIT, _TOTAL_AMOUNT, _CASH, _INVENTORY, _UNITS
], "the straight path of `_parse_line` reads every parsed column"


def _parse_line(number: int, raw: Iterable[str], problems: _Problems) -> tuple[str, list[str]] | None:
    """The line's fingerprint and its normalized texts in `COLUMNS` order (a `cut` text cut to its
    limit); None if it is bad.

    A good line goes through the straight path, unrolled for speed: each parsed column read by
    its column's parser, then one length check per limit. The first bad value sends the line
    through `_line_problems`, which notes every problem of the line.
    """
    texts = [text.strip() for text in raw]
    try:
        _, texts[_DATE] = _read_date(texts[_DATE])
        _, texts[_REIMBURSEMENT] = _read_reimbursement(texts[_REIMBURSEMENT])
        _, texts[_CURRENCY] = _read_currency(texts[_CURRENCY])
        _, texts[_PER_UNIT] = _read_per_unit(texts[_PER_UNIT])
        _, texts[_TOTAL_AMOUNT] = _read_total_amount(texts[_TOTAL_AMOUNT])
        cash, texts[_CASH] = _read_cash(texts[_CASH])
        inventory, texts[_INVENTORY] = _read_inventory(texts[_INVENTORY])
        units, texts[_UNITS] = _read_units(texts[_UNITS])
    except BadValue:
        _line_problems(number, [text.strip() for text in raw], problems)
        return None
    if max(map(len, _SHORT_TEXTS(texts))) > _SHORT_LIMIT or max(map(len, _LONG_TEXTS(texts))) > _LONG_LIMIT:
        _line_problems(number, texts, problems)
        return None
    if units != cash + inventory:
        problems.add(number, "quantity-reimbursed-total", f"{units} is not cash {cash} + inventory {inventory}")
        return None
    unhashed = texts[_UNHASHED]
    texts[_UNHASHED] = ""
    print_ = fingerprint(texts)
    texts[_UNHASHED] = unhashed
    texts[_CUT] = texts[_CUT][:_CUT_LIMIT]
    return print_, texts


def _line_problems(number: int, texts: list[str], problems: _Problems) -> None:
    """Every bad value of the line: the parsed columns first, then the lengths of the texts."""
    for index, column in _PARSED_CHECKS:
        try:
            text = column.parse(texts[index])[1]
        except BadValue as error:
            problems.add(number, column.header, str(error))
            continue
        if column.limit and len(text) > column.limit:
            problems.add(number, column.header, f"is longer than {column.limit} characters")
    for index, column in _TEXT_CHECKS:
        if len(texts[index]) > column.limit:
            problems.add(number, column.header, f"is longer than {column.limit} characters")


def _parsed_lines(lines: Iterable[str], source: str) -> Iterator[tuple[int, str, list[str]]]:
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


def read_report_copy(lines: Iterable[str], *, source: str) -> Iterator[str]:
    """Yield every valid row of the report, in file order, as a line of PostgreSQL's COPY text
    format in `STAGING_COLUMNS` order.

    The values are the normalized texts (ISO dates in UTC, amounts to the cent, quantities as
    whole numbers), which PostgreSQL reads into typed values through `staging_columns_sql`;
    building the line from them is cheaper than formatting typed values for COPY.

    Tolerates a byte-order mark, CRLF, blank lines, unknown columns and unknown reasons.
    A missing column raises ReportError at once (line 1). Bad values are collected while the
    good rows keep flowing; once the last line is read, ReportError is raised if any line was
    bad. The caller must therefore consume the whole iterator before it writes anything for
    good (ingestion does it inside a transaction).
    """
    for number, print_, texts in _parsed_lines(lines, source):
        text = "\t".join(_KEPT(texts))
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
