"""Writing Inventory Ledger files as Amazon does (tab-separated, headers as Seller Central names them), for
the simulated marketplace, the demo, the benchmark and the tests; `sync.ledger_report` reads them back."""

import datetime as dt

HEADERS = (
    "Date", "FNSKU", "ASIN", "MSKU", "Title", "Event Type", "Reference ID", "Quantity", "Fulfillment Center",
    "Disposition", "Reason", "Country", "Reconciled Quantity", "Unreconciled Quantity", "Date and Time", "Store",
)
_KEYS = tuple(header.lower().replace(" ", "_") for header in HEADERS)


def ledger_header(headers: tuple[str, ...] = HEADERS, delimiter: str = "\t") -> str:
    return delimiter.join(headers)


def ledger_line(values: dict[str, object], headers: tuple[str, ...] = HEADERS, delimiter: str = "\t") -> str:
    """One line in `headers` order, keyed by header in snake case (`event_type`); a date is written
    MM/DD/YYYY, as the download writes it; a missing value is empty."""
    texts = []
    for header in headers:
        value = values.get(header.lower().replace(" ", "_"), "")
        if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
            value = value.strftime("%m/%d/%Y")
        elif isinstance(value, dt.datetime):
            value = value.isoformat()
        texts.append("" if value is None else str(value))
    return delimiter.join(texts)


def ledger_lines(rows: list[dict[str, object]], headers: tuple[str, ...] = HEADERS, delimiter: str = "\t") -> list[str]:
    """A whole file, header first, each line with its line break."""
    return [ledger_header(headers, delimiter) + "\n"] + [ledger_line(row, headers, delimiter) + "\n" for row in rows]
