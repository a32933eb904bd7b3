"""Amazon's FBA Inventory Ledger, detailed view (`GET_LEDGER_DETAIL_VIEW_DATA`), read line by line.

Comma- or tab-separated (Seller Central's download is a CSV, the SP-API report tab-separated; the header
line tells), one header line, parsed by column name in any case and order, unknown columns ignored. Each
column is declared once, in `LEDGER_COLUMNS`. It shares the reimbursements parser's tools (`sync.report`):
the problems and the error that names each bad line and field, the lenient ISO dates, whole numbers, the
decoding of files as sellers have them and the fingerprint. Like it, `read_ledger_copy` streams, holding one
line and at most `MAX_PROBLEMS` problems, and a bad file raises `ReportError` once every line is read.

Older files lack `Date and Time`, `Store` and sometimes the two reconciliation columns: those are optional.
`Date` is `MM/DD/YYYY` in downloads (Amazon writes it month first, always), or ISO 8601.
"""

import csv
import datetime as dt
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache

from sync.report import (
    DELIMITERS, BadValue, Column, Problems, ReportError, ReportProblem, fingerprint, parse_date, parse_quantity,
)

EARLIEST_DATE = dt.date(2000, 1, 1)
_US_DATE = re.compile(r"([0-9]{1,2})/([0-9]{1,2})/([0-9]{4})")
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
NULL = "\\N"
"""COPY's NULL: a reconciliation count or a date and time the line does not have."""


@lru_cache(maxsize=8192)
def parse_ledger_date(text: str) -> tuple[dt.date, str]:
    """`12/31/2025` (month first, as the ledger writes it), `2025-12-31`, or an ISO date and time (its date)."""
    if not text:
        raise BadValue("is empty")
    match = _US_DATE.fullmatch(text)
    try:
        if match:
            month, day, year = (int(part) for part in match.groups())
            value = dt.date(year, month, day)
        elif _ISO_DATE.match(text):
            value = dt.date.fromisoformat(text[:10])
        else:
            raise ValueError
    except ValueError:
        raise BadValue(f"{text[:40]!r} is not a date (expected MM/DD/YYYY or YYYY-MM-DD)") from None
    if value < EARLIEST_DATE:
        raise BadValue(f"{value.isoformat()} is before {EARLIEST_DATE.isoformat()}: not a ledger event's date")
    if value > dt.date.today() + dt.timedelta(days=1):
        raise BadValue(f"{value.isoformat()} is in the future")
    return value, value.isoformat()


def parse_moment(text: str) -> tuple[dt.datetime | None, str]:
    """`Date and Time`: ISO 8601 with an offset, read as leniently as reimbursement dates; empty is none."""
    if not text:
        return None, NULL
    return parse_date(text)


def parse_count(text: str) -> tuple[int | None, str]:
    """A reconciliation count: a whole number, or none where the line leaves it empty."""
    if not text:
        return None, NULL
    return parse_quantity(text)


def parse_signed_quantity(text: str) -> tuple[int, str]:
    if not text:
        raise BadValue("is empty")
    return parse_quantity(text)


def parse_required(text: str) -> tuple[str, str]:
    if not text:
        raise BadValue("is empty")
    return text, text


LEDGER_COLUMNS = (
    Column("date", "date", "date", parse=parse_ledger_date),
    Column("fnsku", "fnsku", parse=parse_required, limit=20),
    Column("asin", "asin", limit=20),
    Column("msku", "msku", limit=64),
    Column("title", "title", limit=500, cut=True, identity=False, optional=True),
    Column("event type", "event_type", parse=parse_required, limit=32),
    Column("reference id", "reference_id", limit=64),
    Column("quantity", "quantity", "integer", parse=parse_signed_quantity),
    Column("fulfillment center", "fulfillment_center", limit=16),
    Column("disposition", "disposition", limit=32),
    Column("reason", "reason", limit=16),
    Column("country", "country", limit=8, optional=True),
    Column("reconciled quantity", "reconciled_quantity", "integer", parse=parse_count, identity=False,
           optional=True),
    Column("unreconciled quantity", "unreconciled_quantity", "integer", parse=parse_count, identity=False,
           optional=True),
    Column("date and time", "event_time", "timestamptz", parse=parse_moment, identity=False, optional=True),
    Column("store", "store", limit=64, identity=False, optional=True),
)
"""Every column, in the order hashed into a line's fingerprint; headers in lower case (a file's are matched
in any case). Left out of the fingerprint: the title (Amazon rewrites titles), the reconciliation counts
(Amazon updates them on a line it already reported: a later download of the line updates them instead of
adding a second line) and the two columns older files lack (`Date and Time`, `Store`), so an old and a new
download of the same event are the same line. `Country` is optional and hashed: a file without it hashes it
empty, like a file that has it empty."""

STAGING_COLUMNS = ("line", "fingerprint", *(column.field for column in LEDGER_COLUMNS))


def staging_columns_sql() -> str:
    def null(column: Column) -> str:
        return "" if column.parse in (parse_count, parse_moment) else " NOT NULL"

    return ",\n".join(
        ["line integer NOT NULL", "fingerprint uuid NOT NULL"]
        + [f"{column.field} {column.sql_type}{null(column)}" for column in LEDGER_COLUMNS]
    )


_HEADERS = frozenset(column.header for column in LEDGER_COLUMNS)


def _names(text: str, delimiter: str) -> list[str]:
    (fields,) = csv.reader((text,), delimiter=delimiter)
    return [" ".join(name.strip().lower().split()) for name in fields]


@dataclass(frozen=True)
class _Header:
    number: int
    delimiter: str
    shown: list[str]
    """Each of `LEDGER_COLUMNS`' header as the file writes it, for the problems."""
    positions: list[int]
    """Each column's position in a line; a missing optional column's is past the end of every line."""


def _read_header(lines: Iterator[str], source: str) -> _Header:
    number = 0
    for text in lines:
        number += 1
        text = text.lstrip("\ufeff").rstrip("\r\n")
        if text.strip():
            break
    else:
        raise ReportError(source=source, problems=[ReportProblem(1, "header", "the file is empty")])
    delimiter = max(DELIMITERS, key=lambda d: len(_HEADERS.intersection(_names(text, d))))
    names = _names(text, delimiter)
    (raw,) = csv.reader((text,), delimiter=delimiter)
    positions: dict[str, int] = {}
    for index, name in enumerate(names):
        positions.setdefault(name, index)
    missing = [column.header for column in LEDGER_COLUMNS if column.header not in positions and not column.optional]
    if missing:
        titled = ", ".join(name.title().replace("Id", "ID").replace("Fnsku", "FNSKU").replace("Asin", "ASIN")
                           .replace("Msku", "MSKU") for name in missing)
        raise ReportError(source=source, problems=[ReportProblem(
            number, "header", f"missing column{'s' if len(missing) > 1 else ''}: {titled}"
            " (is this the Inventory Ledger's detailed view?)")])
    far = len(names) + 1000
    return _Header(
        number, delimiter,
        [raw[positions[c.header]].strip() if c.header in positions else c.header for c in LEDGER_COLUMNS],
        [positions.get(column.header, far) for column in LEDGER_COLUMNS],
    )


_IDENTITY = tuple(index for index, column in enumerate(LEDGER_COLUMNS) if column.identity)
_TEXTS = tuple(index for index, column in enumerate(LEDGER_COLUMNS) if column.sql_type == "text")
_TABS = len(LEDGER_COLUMNS) - 1
"""The columns whose values are escaped for COPY; the others are dates, numbers or COPY's NULL."""


def _escaped(text: str) -> str:
    if "\\" in text or "\t" in text or "\n" in text or "\r" in text:
        return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    return text


_PARSED = tuple((index, column.parse) for index, column in enumerate(LEDGER_COLUMNS) if column.parse)
_LIMITED = tuple(
    (index, column.limit, column.cut) for index, column in enumerate(LEDGER_COLUMNS) if column.limit
)


def _parse_line(number: int, fields: list[str], header: _Header, problems: Problems) -> tuple[str, list[str]] | None:
    """The line's fingerprint and its values as COPY text in `LEDGER_COLUMNS` order, or None if it is bad
    (each bad value noted, naming the column as the file does). Every value is read, so that a bad line
    names all of its bad values."""
    width = len(fields)
    texts = [fields[position].strip() if position < width else "" for position in header.positions]
    bad = False
    for index, parse in _PARSED:
        try:
            texts[index] = parse(texts[index])[1]
        except BadValue as error:
            problems.add(number, header.shown[index], str(error))
            bad = True
    for index, limit, cut in _LIMITED:
        if len(texts[index]) > limit:
            if cut:
                texts[index] = texts[index][:limit]
            else:
                problems.add(number, header.shown[index], f"is longer than {limit} characters")
                bad = True
    if bad:
        return None
    return fingerprint([texts[i] for i in _IDENTITY]), texts


def _fields(text: str, delimiter: str) -> list[str]:
    if delimiter == "\t" and '"' not in text:
        return text.split("\t")
    (fields,) = csv.reader((text,), delimiter=delimiter)
    return fields


def read_ledger_copy(lines: Iterable[str], *, source: str) -> Iterator[str]:
    """Yield every valid line of the ledger, in file order, as a line of PostgreSQL's COPY text format in
    `STAGING_COLUMNS` order; raise `ReportError` naming each bad line and column once all are read (a
    missing column at once). The caller consumes it all inside a transaction before keeping anything.
    Unknown event types and reason codes are kept as they are: detection ignores what it does not know."""
    iterator = iter(lines)
    header = _read_header(iterator, source)
    number = header.number
    problems = Problems()
    for text in iterator:
        number += 1
        text = text.rstrip("\r\n")
        if not text.strip():
            continue
        if "\x00" in text:
            problems.add(number, "line", "holds a NUL character: this is not a text file as Amazon writes it")
            continue
        try:
            fields = _fields(text, header.delimiter)
        except csv.Error as error:
            problems.add(number, "line", f"cannot be split into fields: {error}")
            continue
        parsed = _parse_line(number, fields, header, problems)
        if parsed is not None:
            print_, texts = parsed
            line = "\t".join(texts)
            if line.count("\t") != _TABS or "\n" in line or "\r" in line or "\\" in line.replace(NULL, ""):
                for index in _TEXTS:
                    texts[index] = _escaped(texts[index])
                line = "\t".join(texts)
            yield f"{number}\t{print_}\t{line}\n"
    if problems.count:
        raise ReportError(source=source, problems=problems.kept, problem_count=problems.count)
