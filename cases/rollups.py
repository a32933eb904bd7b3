"""Recompute the rollup tables from cases and records, compare them with what the triggers stored, repair.

The triggers in `cases.sql.rollups` keep the rollup tables (`cases.sql.rollups.ROLLUPS`) right as writes happen;
this module is the independent check. Each rollup is recomputed with one GROUP BY over its source
table and joined to the stored rows in the same statement (one snapshot), so a comparison is
consistent even while sellers and the sync keep writing.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.db import connection

from .sql.rollups import ROLLUPS, Rollup, differences_sql, repair_sql


@dataclass(frozen=True)
class Difference:
    rollup: str
    tenant_id: int
    bucket: dict[str, object]
    stored: dict[str, Decimal | int]
    expected: dict[str, Decimal | int]

    def describe(self, *, account_label: str) -> str:
        """`CaseTotals Amazon NA A1… USD open lost_warehouse: claimed_amount 999.00 stored, 40.00 expected`."""
        keys = [str(value) for key, value in self.bucket.items() if key != "seller_account_id"]
        changes = ", ".join(
            f"{name} {self.stored[name]} stored, {self.expected[name]} expected"
            for name in self.stored
            if self.stored[name] != self.expected[name]
        )
        return f"{self.rollup} {account_label} {' '.join(keys)}: {changes}"


def rollup_differences(*, tenant_id: int, rollups: tuple[Rollup, ...] = ROLLUPS) -> list[Difference]:
    """Every bucket of the tenant whose stored figures differ from a recomputation, in `rollups` (the cases'
    by default; `ledger.rollups.ROLLUPS` adds the ledger's).

    A stored bucket that is all zeros and absent from the recomputation (every case left it)
    is not a difference: missing figures count as zero on both sides.
    """
    found = []
    with connection.cursor() as cursor:
        for rollup in rollups:
            cursor.execute(differences_sql(rollup), {"tenant_id": tenant_id})
            width = len(rollup.values)
            for row in cursor.fetchall():
                bucket = dict(zip(rollup.keys, row[: len(rollup.keys)]))
                values = row[len(rollup.keys):]
                found.append(
                    Difference(
                        rollup=rollup.name,
                        tenant_id=tenant_id,
                        bucket=bucket,
                        stored=dict(zip(rollup.values, values[:width])),
                        expected=dict(zip(rollup.values, values[width:])),
                    )
                )
    return found


def rollups_repair(*, tenant_id: int, differences: list[Difference], rollups: tuple[Rollup, ...] = ROLLUPS) -> None:
    """Write the expected figures into each differing bucket (directly: the rollup tables have no triggers)."""
    with connection.cursor() as cursor:
        for rollup in rollups:
            fixes = [d for d in differences if d.rollup == rollup.name]
            if not fixes:
                continue
            columns = {key: [d.bucket[key] for d in fixes] for key in rollup.keys}
            columns |= {value: [d.expected[value] for d in fixes] for value in rollup.values}
            cursor.execute(repair_sql(rollup), {"tenant_id": tenant_id, **columns})
