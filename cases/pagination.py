"""Keyset pagination over cases: every page is one index range scan, whatever the page number.

A page is named by an opaque cursor: the sort it belongs to, a direction, and the sort key
`(value, id)` of the row it starts after or ends before. Compared as a row, `(col, id) > (v, id)`,
so PostgreSQL walks the `(tenant, col, id)` index from that point instead of skipping rows.
A sort may put columns before its own (amounts sort by currency first, so that two currencies are
never interleaved): the key is then `(currency, amount, id)`, walked on the index of the same columns.
"""

import base64
import binascii
import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.core.validators import DecimalValidator
from django.db import models
from django.db.models import F, Func, Value
from django.db.models.lookups import GreaterThan, LessThan

PER_PAGE = 50
EXPORT_CHUNK = 2000
LAST = "last"
MAX_TOKEN = 2048
"""Longer than any cursor the pager writes (a 64-character value of astral characters, JSON-escaped)."""
MAX_ID = 2**63 - 1
"""Ids are bigint."""


@dataclass(frozen=True)
class Sort:
    """`column` ascending, or descending when `descending`, after the columns of `prefix` in the same
    direction; ties broken by id in the same direction."""

    alias: str
    column: str
    descending: bool
    prefix: tuple[str, ...] = ()

    @property
    def columns(self) -> tuple[str, ...]:
        return (*self.prefix, self.column)

    @property
    def param(self) -> str:
        return f"-{self.alias}" if self.descending else self.alias

    def ordering(self, *, reverse: bool = False) -> list[str]:
        sign = "-" if self.descending != reverse else ""
        return [f"{sign}{column}" for column in self.columns] + [f"{sign}id"]


def sort_parse(param: str | None, *, columns: dict[str, str], default: str,
               prefixes: dict[str, tuple[str, ...]] | None = None) -> Sort:
    """`-claimed` → claimed amount, descending (after the columns `prefixes` gives the alias).
    Unknown sorts fall back to `default`."""
    raw = (param or "").strip()
    alias = raw.removeprefix("-")
    if alias not in columns:
        raw, alias = default, default.removeprefix("-")
    return Sort(alias, columns[alias], raw.startswith("-"), (prefixes or {}).get(alias, ()))


@dataclass(frozen=True)
class Cursor:
    sort: str
    after: bool
    value: str | list[str]
    """The sort column's value, or a list of the values of a sort with a prefix."""
    id: int


def _text(value) -> str:
    return value.isoformat() if isinstance(value, dt.date) else str(value)


def cursor_encode(*, sort: Sort, after: bool, row: models.Model) -> str:
    values = [_text(getattr(row, column)) for column in sort.columns]
    text = values if sort.prefix else values[0]
    payload = json.dumps([sort.param, "a" if after else "b", text, row.pk], separators=(",", ":"))
    return base64.urlsafe_b64encode(payload.encode()).decode().rstrip("=")


def cursor_decode(token: str | None) -> Cursor | None:
    """A cursor read back from the query string, or None for a missing or mangled one."""
    if not token or token == LAST or len(token) > MAX_TOKEN:
        return None
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        sort, direction, value, pk = json.loads(raw)
    except (binascii.Error, ValueError, TypeError, RecursionError):
        return None
    is_list = isinstance(value, list) and 0 < len(value) <= 4 and all(isinstance(v, str) for v in value)
    if not (isinstance(sort, str) and direction in ("a", "b") and (isinstance(value, str) or is_list)
            and isinstance(pk, int) and not isinstance(pk, bool) and 1 <= pk <= MAX_ID):
        return None
    return Cursor(sort, direction == "a", value, pk)


class CursorValueError(ValueError):
    """A cursor's sort value that no row of the sort column could hold."""


def cursor_value(*, model: type[models.Model], column: str, text: str):
    """The cursor's sort value as the column's type, checked to be one a row could hold.

    A value PostgreSQL would refuse (NUL, an unencodable character, NaN, a number past the column's
    precision) or that the pager never writes (a timestamp without an offset) raises `CursorValueError`.
    """
    field = model._meta.get_field(column)
    if isinstance(field, (models.DateField, models.DecimalField)):
        return _typed(field, text)
    if "\x00" in text:
        raise CursorValueError(f"{column}: a NUL character")
    if field.max_length is not None and len(text) > field.max_length:
        raise CursorValueError(f"{column}: longer than {field.max_length} characters")
    try:
        text.encode()
    except UnicodeEncodeError as error:
        raise CursorValueError(f"{column}: not encodable as UTF-8") from error
    return text


def _typed(field: models.Field, text: str):
    try:
        if isinstance(field, models.DateTimeField):
            value = dt.datetime.fromisoformat(text)
        elif isinstance(field, models.DateField):
            value = dt.date.fromisoformat(text)
        else:
            value = Decimal(text)
            DecimalValidator(field.max_digits, field.decimal_places)(value)
    except (ValueError, InvalidOperation, ValidationError) as error:
        raise CursorValueError(f"{field.name}: {text[:40]!r} is not a {field.get_internal_type()}") from error
    if isinstance(value, dt.datetime) and value.tzinfo is None:
        raise CursorValueError(f"{field.name}: a timestamp without a time zone")
    return value


def cursor_values(*, model: type[models.Model], sort: Sort, cursor: Cursor) -> list:
    """The cursor's sort key without its id, one value per column of `sort`, typed and checked by
    `cursor_value`; a key of another shape than the sort's raises `CursorValueError`."""
    texts = cursor.value if isinstance(cursor.value, list) else [cursor.value]
    if isinstance(cursor.value, list) != bool(sort.prefix) or len(texts) != len(sort.columns):
        raise CursorValueError(f"{sort.alias}: a key of {len(texts)} value(s) for {len(sort.columns)} column(s)")
    return [cursor_value(model=model, column=column, text=text) for column, text in zip(sort.columns, texts)]


def _beyond(queryset: models.QuerySet, sort: Sort, values: list, pk: int, *, forward: bool) -> models.QuerySet:
    """Rows strictly past the row with sort key `(*values, pk)`, in the walking direction."""
    row = Func(*(F(column) for column in sort.columns), F("id"), function="ROW", output_field=models.Field())
    key = Func(*(Value(value) for value in values), Value(pk), function="ROW", output_field=models.Field())
    ascending = sort.descending != forward
    lookup = GreaterThan if ascending else LessThan
    return queryset.filter(lookup(row, key))


@dataclass(frozen=True)
class Page:
    rows: list
    sort: Sort
    first: bool
    last: bool

    @property
    def next_cursor(self) -> str | None:
        if self.last or not self.rows:
            return None
        return cursor_encode(sort=self.sort, after=True, row=self.rows[-1])

    @property
    def previous_cursor(self) -> str | None:
        if self.first or not self.rows:
            return None
        return cursor_encode(sort=self.sort, after=False, row=self.rows[0])

    @property
    def only_page(self) -> bool:
        return self.first and self.last


def keyset_page(queryset: models.QuerySet, *, sort: Sort, token: str | None) -> Page:
    """The page the token names: first page without one, `last` for the last page, else after/before a row.
    A token that does not fit (another sort, a mangled value) means the first page.

    One query: it fetches one row more than the page to learn whether there is a page beyond.
    """
    per_page = PER_PAGE
    cursor = cursor_decode(token)
    if cursor is not None and cursor.sort != sort.param:
        cursor = None
    if cursor is not None:
        try:
            values = cursor_values(model=queryset.model, sort=sort, cursor=cursor)
        except CursorValueError:
            cursor = None
    if token == LAST:
        rows = list(queryset.order_by(*sort.ordering(reverse=True))[: per_page + 1])
        return Page(rows[:per_page][::-1], sort, first=len(rows) <= per_page, last=True)
    if cursor is None:
        rows = list(queryset.order_by(*sort.ordering())[: per_page + 1])
        return Page(rows[:per_page], sort, first=True, last=len(rows) <= per_page)
    if cursor.after:
        rows = list(_beyond(queryset, sort, values, cursor.id, forward=True).order_by(*sort.ordering())[: per_page + 1])
        return Page(rows[:per_page], sort, first=False, last=len(rows) <= per_page)
    rows = list(
        _beyond(queryset, sort, values, cursor.id, forward=False).order_by(*sort.ordering(reverse=True))[: per_page + 1]
    )
    return Page(rows[:per_page][::-1], sort, first=len(rows) <= per_page, last=False)


def keyset_chunks(queryset: models.QuerySet, *, sort: Sort, fields: list) -> Iterator[list]:
    """All rows in `sort` order as tuples `(*sort values, id, *fields)` (`key_width(sort)` values before
    the fields), `EXPORT_CHUNK` at a time.

    Each chunk is its own short index range query starting after the previous chunk's last row.
    """
    size = EXPORT_CHUNK
    width = len(sort.columns)
    ordered = queryset.order_by(*sort.ordering()).values_list(*sort.columns, "id", *fields)
    chunk = list(ordered[:size])
    while chunk:
        yield chunk
        if len(chunk) < size:
            return
        last = chunk[-1]
        chunk = list(_beyond(ordered, sort, list(last[:width]), last[width], forward=True)[:size])


def key_width(sort: Sort) -> int:
    """How many values of the sort key (its columns and the id) start each row of `keyset_chunks`."""
    return len(sort.columns) + 1
