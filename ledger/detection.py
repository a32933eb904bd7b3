"""Which ledger lines are money the marketplace probably owes: the rules, in one place, on plain values.

1. **A loss.** An `Adjustments` line whose reason is in `LOST_CODES` is units lost at the fulfilment centre
   (claim type Lost in warehouse); in `DAMAGED_CODES`, units damaged there (Damaged in warehouse). The
   units are the line's negative quantity. Every other reason (`F` found, `D` disposed, `P`/`Q` disposition
   changes, `O` correction, and codes nobody has listed) and every other event type stays in the ledger
   and is ignored here: never an error.
2. **One event.** The loss lines of one FNSKU with one Reference ID and one claim type are one event,
   wherever they happened (their fulfilment centres are listed): units summed, dated by the earliest line.
3. **Open units, as Amazon says.** Where every loss line of an event carries `Unreconciled Quantity`, the
   event's open units are their sum (Amazon has settled the rest: found or reimbursed).
4. **Open units, computed.** Otherwise, lost − found − reimbursed: the FNSKU's finds (reason `F`, positive)
   dated from `FIND_LOOKBACK` before the loss on, and the units the marketplace reimbursed for the FNSKU
   without a case (lost or damaged reasons, reversals subtracted), are spent on the FNSKU's events oldest
   first, a find or a reimbursement only on events dated before it (a find up to `FIND_LOOKBACK` after).
5. **Value** (`unit_value`): the FNSKU's latest reimbursement per unit, else the price staff set for the
   SKU, else none: the opportunity is listed unvalued, and says which source its value came from.
6. **Window** (`ledger.models.ClaimWindow`): an event on day D may be claimed from D + opens to D + closes
   days; the state of an opportunity on a day follows (`Opportunity.state_on`).
"""

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from cases.models import ReimbursementType

from .models import ValueSource

ADJUSTMENTS = "Adjustments"
LOST_CODES = frozenset({"M"})
DAMAGED_CODES = frozenset({"E", "6", "7", "H", "K", "U"})
FOUND_CODES = frozenset({"F"})
CLAIM_TYPE_OF_CODE = {
    **{code: ReimbursementType.LOST_WAREHOUSE for code in LOST_CODES},
    **{code: ReimbursementType.DAMAGED_WAREHOUSE for code in DAMAGED_CODES},
}
REIMBURSED_REASONS = frozenset({"Lost_Warehouse", "Damaged_Warehouse", "Reimbursement_Reversal"})
"""The reimbursements report's reasons that settle a unit lost or damaged in a warehouse (and their reversals)."""
FIND_LOOKBACK = dt.timedelta(days=7)
DETECTED_CODES = LOST_CODES | DAMAGED_CODES | FOUND_CODES
"""The reasons detection reads; the ledger keeps every other one."""


@dataclass(frozen=True)
class Line:
    """The part of a ledger line detection reads."""

    date: dt.date
    reference_id: str
    reason: str
    quantity: int
    fulfillment_center: str = ""
    sku: str = ""
    asin: str = ""
    title: str = ""
    event_type: str = ADJUSTMENTS
    unreconciled: int | None = None


@dataclass(frozen=True)
class Reimbursed:
    """Units of the FNSKU the marketplace reimbursed without a case (negative for a reversal)."""

    date: dt.date
    units: int


@dataclass
class Event:
    reference_id: str
    claim_type: str
    date: dt.date
    units_lost: int = 0
    units_open: int = 0
    sku: str = ""
    asin: str = ""
    title: str = ""
    centers: list[str] = field(default_factory=list)
    reported_open: int | None = 0
    """Rule 3: the sum of `Unreconciled Quantity`, or None when a loss line lacks it."""


def events_of(lines: Iterable[Line], reimbursed: Iterable[Reimbursed] = ()) -> list[Event]:
    """The events of one FNSKU (rules 1 to 4), oldest first."""
    events: dict[tuple[str, str], Event] = {}
    finds: list[tuple[dt.date, int]] = []
    for line in lines:
        if line.event_type != ADJUSTMENTS:
            continue
        if line.reason in FOUND_CODES and line.quantity > 0:
            finds.append((line.date, line.quantity))
            continue
        claim_type = CLAIM_TYPE_OF_CODE.get(line.reason)
        if claim_type is None or line.quantity >= 0:
            continue
        event = events.get((line.reference_id, claim_type))
        if event is None:
            event = events[(line.reference_id, claim_type)] = Event(line.reference_id, claim_type, line.date)
        event.date = min(event.date, line.date)
        event.units_lost += -line.quantity
        event.sku, event.asin, event.title = line.sku or event.sku, line.asin or event.asin, line.title or event.title
        if line.fulfillment_center and line.fulfillment_center not in event.centers:
            event.centers.append(line.fulfillment_center)
        if line.unreconciled is None or event.reported_open is None:
            event.reported_open = None
        else:
            event.reported_open += line.unreconciled
    ordered = sorted(events.values(), key=lambda event: (event.date, event.reference_id, event.claim_type))
    computed = []
    for event in ordered:
        if event.reported_open is not None:
            event.units_open = max(0, min(event.units_lost, event.reported_open))
        else:
            event.units_open = event.units_lost
            computed.append(event)
    _spend(computed, sorted(finds), lookahead=FIND_LOOKBACK)
    _spend(computed, _net(reimbursed), lookahead=dt.timedelta(0))
    return ordered


def _net(reimbursed: Iterable[Reimbursed]) -> list[tuple[dt.date, int]]:
    """Reimbursed units by date with each reversal taken off the latest units before it."""
    pool: list[list] = []
    for item in sorted(reimbursed, key=lambda item: item.date):
        if item.units >= 0:
            pool.append([item.date, item.units])
            continue
        owed = -item.units
        for entry in reversed(pool):
            taken = min(owed, entry[1])
            entry[1] -= taken
            owed -= taken
    return [(date, units) for date, units in pool if units > 0]


def _spend(events: list[Event], supply: list[tuple[dt.date, int]], *, lookahead: dt.timedelta) -> None:
    """Settle the events' open units with `supply`, oldest first: a unit dated D settles only an event
    dated on or before D + `lookahead`."""
    for date, units in supply:
        for event in events:
            if units == 0:
                break
            if event.date > date + lookahead or event.units_open == 0:
                continue
            taken = min(units, event.units_open)
            event.units_open -= taken
            units -= taken


@dataclass(frozen=True)
class UnitValue:
    per_unit: Decimal | None
    currency: str
    source: str


UNVALUED = UnitValue(None, "", ValueSource.UNVALUED)


def unit_value(*, reimbursed_per_unit: tuple[Decimal, str] | None, staff_price: tuple[Decimal, str] | None) -> UnitValue:
    """Rule 5: the latest reimbursement per unit, else the staff price, else unvalued."""
    if reimbursed_per_unit is not None:
        return UnitValue(*reimbursed_per_unit, ValueSource.REIMBURSEMENT)
    if staff_price is not None:
        return UnitValue(*staff_price, ValueSource.STAFF_PRICE)
    return UNVALUED


def lines_by_fnsku(rows: Iterable[tuple[str, Line]]) -> dict[str, list[Line]]:
    grouped: dict[str, list[Line]] = defaultdict(list)
    for fnsku, line in rows:
        grouped[fnsku].append(line)
    return grouped
