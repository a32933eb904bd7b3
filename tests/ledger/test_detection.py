"""The rules of `ledger.detection`, one test (or a few) per rule, on plain values."""

import datetime as dt
from decimal import Decimal

from cases.models import ReimbursementType
from ledger.detection import Line, Reimbursed, events_of, unit_value
from ledger.models import ValueSource

LOST, DAMAGED = ReimbursementType.LOST_WAREHOUSE, ReimbursementType.DAMAGED_WAREHOUSE
DAY = dt.date(2026, 6, 1)


def lost(units, *, ref="R1", on=DAY, reason="M", center="PHX7", unreconciled=None):
    return Line(date=on, reference_id=ref, reason=reason, quantity=-units, fulfillment_center=center,
                sku="SKU-1", unreconciled=unreconciled)


def found(units, *, on=DAY, ref="F1"):
    return Line(date=on, reference_id=ref, reason="F", quantity=units)


def figures(events):
    return [(e.reference_id, e.claim_type, e.units_lost, e.units_open) for e in events]


def test_units_lost_at_the_fulfilment_centre_are_an_open_event():
    assert figures(events_of([lost(3)])) == [("R1", LOST, 3, 3)]


def test_each_damage_code_is_a_damaged_event():
    lines = [lost(1, ref=f"R{code}", reason=code) for code in ("E", "6", "7", "H", "K", "U")]
    assert {e.claim_type for e in events_of(lines)} == {DAMAGED}
    assert len(events_of(lines)) == 6


def test_unknown_codes_and_other_event_types_are_kept_out_without_error():
    lines = [lost(2, reason="Z9"), lost(1, reason="D"), lost(1, reason="Q"),
             Line(date=DAY, reference_id="S1", reason="", quantity=-5, event_type="Shipments"),
             Line(date=DAY, reference_id="W1", reason="M", quantity=-5, event_type="SomethingNew")]
    assert events_of(lines) == []


def test_lines_of_one_reference_id_are_one_event_dated_by_the_earliest():
    events = events_of([lost(1, on=DAY), lost(2, on=DAY - dt.timedelta(days=2))])
    assert figures(events) == [("R1", LOST, 3, 3)]
    assert events[0].date == DAY - dt.timedelta(days=2)


def test_lost_and_found_again_leaves_nothing_open():
    assert figures(events_of([lost(2), found(2, on=DAY + dt.timedelta(days=5))])) == [("R1", LOST, 2, 0)]


def test_a_find_a_week_before_the_loss_counts_but_not_an_older_one():
    assert figures(events_of([lost(2), found(1, on=DAY - dt.timedelta(days=7))])) == [("R1", LOST, 2, 1)]
    assert figures(events_of([lost(2), found(1, on=DAY - dt.timedelta(days=8))])) == [("R1", LOST, 2, 2)]


def test_damaged_units_reconciled_by_amazon_use_its_unreconciled_quantity():
    events = events_of([lost(4, reason="E", unreconciled=1), found(4)])
    assert figures(events) == [("R1", DAMAGED, 4, 1)]


def test_an_event_with_a_line_lacking_the_unreconciled_quantity_is_computed():
    events = events_of([lost(2, unreconciled=0), lost(1, unreconciled=None), found(1)])
    assert figures(events) == [("R1", LOST, 3, 2)]


def test_units_reimbursed_without_a_case_settle_the_event():
    events = events_of([lost(2)], [Reimbursed(DAY + dt.timedelta(days=20), 2)])
    assert figures(events) == [("R1", LOST, 2, 0)]


def test_a_partial_reimbursement_leaves_the_rest_open():
    events = events_of([lost(5)], [Reimbursed(DAY + dt.timedelta(days=20), 2)])
    assert figures(events) == [("R1", LOST, 5, 3)]


def test_a_reversed_reimbursement_reopens_its_units():
    events = events_of([lost(2)], [Reimbursed(DAY + dt.timedelta(days=20), 2), Reimbursed(DAY + dt.timedelta(days=40), -1)])
    assert figures(events) == [("R1", LOST, 2, 1)]


def test_a_reimbursement_before_the_loss_does_not_settle_it():
    events = events_of([lost(2)], [Reimbursed(DAY - dt.timedelta(days=1), 2)])
    assert figures(events) == [("R1", LOST, 2, 2)]


def test_finds_and_reimbursements_settle_the_oldest_events_first():
    events = events_of(
        [lost(2, ref="OLD", on=DAY), lost(2, ref="NEW", on=DAY + dt.timedelta(days=10)),
         found(3, on=DAY + dt.timedelta(days=12))]
    )
    assert figures(events) == [("OLD", LOST, 2, 0), ("NEW", LOST, 2, 1)]


def test_an_fnsku_in_two_fulfilment_centres_is_one_event_per_reference_with_both_centres():
    events = events_of([lost(1, ref="R1", center="PHX7"), lost(2, ref="R2", center="ONT8"),
                        lost(1, ref="R2", center="LAS2")])
    assert figures(events) == [("R1", LOST, 1, 1), ("R2", LOST, 3, 3)]
    assert events[1].centers == ["ONT8", "LAS2"]


def test_value_comes_from_the_latest_reimbursement_before_a_staff_price():
    value = unit_value(reimbursed_per_unit=(Decimal("12.50"), "USD"), staff_price=(Decimal("9.00"), "USD"))
    assert (value.per_unit, value.currency, value.source) == (Decimal("12.50"), "USD", ValueSource.REIMBURSEMENT)


def test_value_falls_back_to_the_staff_price_then_to_unvalued():
    value = unit_value(reimbursed_per_unit=None, staff_price=(Decimal("9.00"), "EUR"))
    assert (value.per_unit, value.currency, value.source) == (Decimal("9.00"), "EUR", ValueSource.STAFF_PRICE)
    value = unit_value(reimbursed_per_unit=None, staff_price=None)
    assert (value.per_unit, value.currency, value.source) == (None, "", ValueSource.UNVALUED)
