"""Amazon's FBA Reimbursements report (`GET_FBA_REIMBURSEMENTS_DATA`), read line by line.

Tab-separated, one header line, parsed by column name: any column order, unknown columns
ignored. Each column is declared once, in `COLUMN_TABLE`: its header, how it is read and
checked, and where it is stored; the header list, the checks and the staging table's columns
are derived from it. Every line that reads also passes the plausibility rules of
`cases.plausibility`, the same ones as a record typed in by hand. `read_report_copy` streams: it
holds one line at a time plus at most `MAX_PROBLEMS` problems, whatever the size of the file.
Writing reports (the sandbox, the demo, the benchmark) is `sync.report_writer`'s job.

Files as sellers have them are read too: without the optional columns (older and EU downloads),
re-saved by a spreadsheet (fields in double quotes, comma- or semicolon-separated: the header line
tells), with date-only or day/month approval dates where the order is plain; a UTF-8 or UTF-16
byte-order mark, CRLF line ends. What cannot be read one way only is refused, saying what to do.
"""

import codecs
import csv
import datetime as dt
import hashlib
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from itertools import chain
from operator import itemgetter

from cases.money import CENT, parse_amount
from cases.plausibility import (
    EARLIEST_APPROVAL, amount_problems, approval_date_problem, currency_problem, latest_approval,
)

MAX_PROBLEMS = 50
MAX_AMOUNT = Decimal("1e12")
ZONE_NAMES = {"UTC": "+00:00", "GMT": "+00:00", "PST": "-08:00", "PDT": "-07:00"}
_ZONE_NAME = re.compile(r"\s*(UTC|GMT|PST|PDT)$")
_WHOLE_NUMBER = re.compile(r"[+-]?[0-9]+")
_ZERO = Decimal(0)
_SLASH_DATE = re.compile(
    r"([0-9]{1,4})/([0-9]{1,2})/([0-9]{1,4})"
    r"(?:[ T]+([0-9]{1,2}):([0-9]{2})(?::([0-9]{2}))?(?:\s*([AaPp][Mm]))?)?(.*)"
)
DELIMITERS = ("\t", ",", ";")
"""What separates the fields: a tab in Amazon's files; a comma, or a semicolon where the decimal mark is a
comma, in a spreadsheet's re-save. The header line tells which."""


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


SHOWN_LENGTH = 40


def _shown(text: str) -> str:
    """A value quoted in a problem: cut to its first `SHOWN_LENGTH` characters."""
    return repr(text) if len(text) <= SHOWN_LENGTH else repr(text[:SHOWN_LENGTH]) + "…"


@lru_cache(maxsize=65536)
def parse_date(text: str) -> tuple[dt.datetime, str]:
    """ISO 8601, leniently: an offset, `Z`, a zone name (PST), or none (UTC); `T` or a space; a date alone.

    Returns the moment in UTC and its normalized text.
    """
    if not text:
        raise BadValue("is empty")
    iso = _slash_date_as_iso(text) if "/" in text else text
    zone = _ZONE_NAME.search(iso) if iso[-1].isalpha() else None
    if zone:
        iso = iso[: zone.start()] + ZONE_NAMES[zone.group(1)]
    try:
        value = dt.datetime.fromisoformat(iso)
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.timezone.utc)
        elif value.utcoffset():
            value = value.astimezone(dt.timezone.utc)
    except ValueError:
        raise BadValue(f"{_shown(text)} is not a date (expected ISO 8601, e.g. 2026-05-10T01:02:03+00:00)") from None
    except OverflowError:
        raise BadValue(f"{_shown(text)} is out of the range of dates") from None
    return value, value.isoformat()


def _slash_date_as_iso(text: str) -> str:
    """`2026/04/13`, `13/04/2026` or `04/13/2026` (with a time, 24-hour or AM/PM), as a spreadsheet writes
    dates, in ISO 8601; a date that reads two ways (`03/04/2026`) is refused, saying how to write it."""
    match = _SLASH_DATE.fullmatch(text)
    if not match:
        return text
    first, second, third, hour, minute, second_of_minute, half, rest = match.groups()
    if len(first) == 4:
        year, month, day = int(first), int(second), int(third)
    elif len(third) == 4:
        a, b, year = int(first), int(second), int(third)
        if not (a and b):
            return text
        if a > 12 >= b:
            day, month = a, b
        elif b > 12 >= a or a == b:
            month, day = a, b
        elif a > 12:
            return text
        else:
            raise BadValue(
                f"{_shown(text)} could be day/month or month/day ({a} {_MONTHS[b - 1]} or {b} {_MONTHS[a - 1]}): "
                f"write dates as YYYY-MM-DD (e.g. {year}-{b:02d}-{a:02d}), as Amazon's download does, or "
                "re-download the report"
            )
    else:
        return text
    time = ""
    if hour is not None:
        hours = int(hour)
        if half:
            if not 1 <= hours <= 12:
                return text
            hours = hours % 12 + (12 if half.upper() == "PM" else 0)
        time = f"T{hours:02d}:{minute}:{second_of_minute or '00'}"
    return f"{year:04d}-{month:02d}-{day:02d}{time}{rest.strip()}"


_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December")


@lru_cache(maxsize=65536)
def parse_money(text: str) -> tuple[Decimal, str]:
    """An amount to the cent, and its normalized text (`20` and `20.00` are the same)."""
    if not text:
        raise BadValue("is empty")
    try:
        value = parse_amount(text)
    except ValueError:
        raise BadValue(f"{_shown(text)} is not an amount") from None
    if abs(value) >= MAX_AMOUNT:  # first: quantizing 1e30 to the cent would exceed Decimal's precision
        raise BadValue(f"{_shown(text)} is too large")
    if value != value.quantize(CENT):
        raise BadValue(f"{_shown(text)} has more than two decimal places")
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
        raise BadValue(f"{_shown(text)} is not a whole number")
    if len(text.lstrip("+-").lstrip("0")) > 10:  # before int(): Python refuses to read 4,300 digits and more
        raise BadValue(f"{_shown(text)} is too large")
    value = int(text)
    if abs(value) >= 2**31:
        raise BadValue(f"{_shown(text)} is too large")
    return value, str(value)


@lru_cache(maxsize=1024)
def parse_currency(text: str) -> tuple[str, str]:
    code = text.upper()
    problem = currency_problem(code)
    if problem:
        raise BadValue(problem)
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
    optional: bool = False
    """A report may lack it; its value is then empty, as in a report that has it empty."""


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
    Column("original-reimbursement-id", "original_reimbursement_id", limit=64, optional=True),
    Column("original-reimbursement-type", "original_reimbursement_type", limit=64, optional=True),
)
"""Every column of Amazon's report, in its order, which is also the order of the values hashed
into a line's fingerprint: adding, removing or moving a column changes every fingerprint, and
every line of a report downloaded again would count twice.

All but the `optional` ones are required: a report without, say, `sku` would give its rows other
fingerprints than the same rows in a complete report, and they would count twice. An optional
column missing reads as empty, and a line's fingerprint hashes the empty text, so a line has the
same fingerprint whether its report lacks the column or has it empty: older and EU downloads lack
the two `original-reimbursement-*` columns, which are empty on every line but reversals and
adjustments. `quantity-reimbursed-total` is checked against the two other quantities, not kept."""

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


class Problems:
    """The problems of a file being read: the first `MAX_PROBLEMS` kept, all counted."""

    def __init__(self) -> None:
        self.kept: list[ReportProblem] = []
        self.count = 0

    def add(self, line: int, field: str, message: str) -> None:
        self.count += 1
        if len(self.kept) < MAX_PROBLEMS:
            self.kept.append(ReportProblem(line, field, message))


@dataclass(frozen=True)
class _Header:
    number: int
    """Its line number."""
    delimiter: str
    names: list[str]
    positions: list[int]
    """For each of `COLUMNS`, its position in a line; a missing optional column's is `len(names)`, a
    position every line has empty."""


_HEADER_NAMES = frozenset(COLUMNS)


def _header_names(text: str, delimiter: str) -> list[str]:
    return [name.strip().strip('"').strip().lower() for name in text.split(delimiter)]


def _read_header(lines: Iterator[str], source: str) -> _Header:
    number = 0
    for text in lines:
        number += 1
        text = text.lstrip("\ufeff").rstrip("\r\n")
        if text.strip():
            break
    else:
        raise ReportError(source=source, problems=[ReportProblem(1, "header", "the file is empty")])
    if "\x00" in text:
        raise ReportError(source=source, problems=[ReportProblem(number, "header", _NUL)])
    delimiter = max(DELIMITERS, key=lambda d: len(_HEADER_NAMES.intersection(_header_names(text, d))))
    names = _header_names(text, delimiter)
    positions: dict[str, int] = {}
    for index, name in enumerate(names):
        positions.setdefault(name, index)
    missing = [column.header for column in COLUMN_TABLE if column.header not in positions and not column.optional]
    if missing:
        raise ReportError(
            source=source,
            problems=[ReportProblem(number, "header", "missing column" + ("s" if len(missing) > 1 else "")
                                    + ": " + ", ".join(missing))],
        )
    return _Header(number, delimiter, names, [positions.get(column, len(names)) for column in COLUMNS])


_NUL = "holds a NUL character: this is not a text file as Amazon writes it (re-download the report)"


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
_HEADER_OF_FIELD = {column.field: column.header for column in COLUMN_TABLE if column.field}
_REASON = _INDEX["reason"]
_ORIGINAL_ID = _INDEX["original-reimbursement-id"]
_ORIGINAL_TYPE = _INDEX["original-reimbursement-type"]


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


def _parse_line(
    number: int, raw: Iterable[str], problems: Problems, latest: dt.datetime
) -> tuple[str, list[str]] | None:
    """The line's fingerprint and its normalized texts in `COLUMNS` order (a `cut` text cut to its
    limit); None if it is bad. `latest` is the latest plausible approval date.

    A good line goes through the straight path, unrolled for speed: each parsed column read by
    its column's parser, then one length check per limit, then the plausibility rules in one
    condition that every ordinary line passes (reversals and adjustments take `_implausible`). The
    first bad value sends the line through `_line_problems`, which notes every problem of the line.
    """
    texts = [text.strip() for text in raw]
    per_unit_given = bool(texts[_PER_UNIT])
    try:
        date, texts[_DATE] = _read_date(texts[_DATE])
        _, texts[_REIMBURSEMENT] = _read_reimbursement(texts[_REIMBURSEMENT])
        _, texts[_CURRENCY] = _read_currency(texts[_CURRENCY])
        per_unit, texts[_PER_UNIT] = _read_per_unit(texts[_PER_UNIT])
        total, texts[_TOTAL_AMOUNT] = _read_total_amount(texts[_TOTAL_AMOUNT])
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
    if (
        not EARLIEST_APPROVAL <= date <= latest or total < _ZERO or cash < 0 or inventory < 0 or per_unit < _ZERO
        or per_unit_given and total != (per_unit * cash if cash or inventory else per_unit)
    ) and _implausible(number, texts, date, per_unit if per_unit_given else None, total, cash, inventory,
                       latest, problems):
        return None
    unhashed = texts[_UNHASHED]
    texts[_UNHASHED] = ""
    print_ = fingerprint(texts)
    texts[_UNHASHED] = unhashed
    texts[_CUT] = texts[_CUT][:_CUT_LIMIT]
    return print_, texts


def _implausible(number: int, texts: list[str], date: dt.datetime, per_unit: Decimal | None, total: Decimal,
                 cash: int, inventory: int, latest: dt.datetime, problems: Problems) -> bool:
    """Note what `cases.plausibility` finds wrong with a line that reads; whether it found anything."""
    found = 0
    if problem := approval_date_problem(date, latest=latest):
        problems.add(number, "approval-date", problem)
        found += 1
    for field, problem in amount_problems(
        reason=texts[_REASON], original_reimbursement_id=texts[_ORIGINAL_ID],
        original_reimbursement_type=texts[_ORIGINAL_TYPE], amount_per_unit=per_unit, amount_total=total,
        quantity_cash=cash, quantity_inventory=inventory,
    ).items():
        problems.add(number, _HEADER_OF_FIELD[field], problem)
        found += 1
    return bool(found)


def _line_problems(number: int, texts: list[str], problems: Problems) -> None:
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


def _unquoted(field: str) -> str:
    """A field a spreadsheet put in double quotes, without them (`""` inside is one quote)."""
    text = field.strip()
    if len(text) >= 2 and text[0] == '"' and text[-1] == '"':
        return text[1:-1].replace('""', '"')
    return field


def _parsed_lines(lines: Iterable[str], source: str) -> Iterator[tuple[int, str, list[str]]]:
    iterator = iter(lines)
    header = _read_header(iterator, source)
    number, delimiter, positions = header.number, header.delimiter, header.positions
    blank = len(header.names)
    with_blank = blank in positions
    width = max(positions) + 1
    pick = itemgetter(*positions)
    padding = [""] * width
    problems = Problems()
    latest = latest_approval(dt.datetime.now(dt.timezone.utc))
    for text in iterator:
        number += 1
        if not text.strip():
            continue
        text = text.rstrip("\r\n")
        if "\x00" in text:
            _nul_problem(number, text, header, problems)
            continue
        if delimiter != "\t":
            try:
                (fields,) = csv.reader((text,), delimiter=delimiter)
            except (csv.Error, ValueError) as error:
                problems.add(number, "line", f"is not {_DELIMITER_NAMES[delimiter]}-separated values: {error}")
                continue
        else:
            fields = text.split("\t")
            if '"' in text:
                fields = [_unquoted(field) for field in fields]
        if len(fields) < width:
            fields += padding[len(fields):]
        elif with_blank:
            fields[blank] = ""
        parsed = _parse_line(number, pick(fields), problems, latest)
        if parsed is not None:
            yield number, *parsed
    if problems.count:
        raise ReportError(source=source, problems=problems.kept, problem_count=problems.count)


_DELIMITER_NAMES = {"\t": "tab", ",": "comma", ";": "semicolon"}


def _nul_problem(number: int, text: str, header: _Header, problems: Problems) -> None:
    """A NUL character names its column (PostgreSQL stores no NUL in a text)."""
    index = next(i for i, field in enumerate(text.split(header.delimiter)) if "\x00" in field)
    name = header.names[index] if index < len(header.names) else ""
    problems.add(number, name or f"column {index + 1}", _NUL)


_KEPT_TABS = len(STAGING_COLUMNS) - 3
"""The separators of a line's kept values."""


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

    A value of a comma- or semicolon-separated file may hold a tab, which COPY would read as
    the end of the value: a line with more tabs than separators has each value escaped.
    """
    for number, print_, texts in _parsed_lines(lines, source):
        kept = _KEPT(texts)
        text = "\t".join(kept)
        if text.count("\t") != _KEPT_TABS:
            text = "\t".join(_copy_escaped(value) for value in kept)
        elif "\\" in text or "\r" in text or "\n" in text:
            text = text.replace("\\", "\\\\").replace("\r", "\\r").replace("\n", "\\n")
        yield f"{number}\t{print_}\t{text}\n"


def _copy_escaped(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\r", "\\r").replace("\n", "\\n").replace("\t", "\\t")


def decode_lines(stream: Iterable[bytes]) -> Iterator[str]:
    """Lines of a binary file as text: UTF-8 (byte-order mark or not), or Windows-1252 where a
    line is not UTF-8 (older Seller Central downloads); UTF-16 when the file starts with its
    byte-order mark (a spreadsheet's "Unicode text")."""
    iterator = iter(stream)
    first = next(iterator, b"")
    if first.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        yield from _utf16_lines(first, iterator)
        return
    if first:
        yield _decoded(first)
    for raw in iterator:
        yield _decoded(raw)


def _decoded(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="replace")


def _utf16_lines(first: bytes, rest: Iterator[bytes]) -> Iterator[str]:
    decoder = codecs.getincrementaldecoder("utf-16")(errors="replace")
    pending = ""
    for chunk in chain((first,), rest):
        pending += decoder.decode(chunk)
        *complete, pending = pending.split("\n")
        for line in complete:
            yield line + "\n"
    pending += decoder.decode(b"", final=True)
    if pending:
        yield pending
