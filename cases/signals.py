"""What the cases app tells the apps built on it, which it may not import."""

from django.dispatch import Signal

records_changed = Signal()
"""Sent with `seller_account` and `fnskus` (a non-empty sorted list) inside the transaction that added or
voided records of those FNSKUs by another way than a report's ingestion (which detects them itself): what
reads the records by FNSKU (the ledger's detection of identified amounts) reads them again, in the same
transaction."""
