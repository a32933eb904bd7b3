import datetime as dt
import functools
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django_scopes import scope

from accounts.rls import across_tenants
from cases.models import CaseStatus, CaseTotals, MonthlyRecovery
from cases.rollups import rollup_differences
from cases.services import case_transition
from tests import factories
from tests.factories import make_case

pytestmark = pytest.mark.usefixtures("acme_scope")

add_record = functools.partial(factories.add_record, on=dt.datetime(2026, 10, 31, 23, 30, tzinfo=dt.UTC))

S = CaseStatus


def rollups(*args):
    out = StringIO()
    call_command("rebuild_rollups", *args, stdout=out)
    return out.getvalue()


def corrupt(sql, params):
    """What only a bug could do, to any tenant's rollups."""
    with across_tenants(reason="test: corrupting rollups"), connection.cursor() as cursor:
        cursor.execute(sql, params)
        assert cursor.rowcount == 1


@pytest.fixture
def books(acme_amazon, globex_amazon, staff_user):
    """Cases in two currencies and tenants, a reversal, a closed case and an automatic reimbursement."""
    partial = make_case(acme_amazon, units_claimed=2, claimed_amount=Decimal("40.00"))
    add_record(partial, "20.00")
    add_record(partial, "20.00")
    add_record(partial, "-20.00", cash=-1)
    closed = make_case(acme_amazon, claimed_amount=Decimal("30.00"))
    case_transition(case=closed, to_status=S.CLOSED, actor=staff_user, reason="Gave up")
    make_case(acme_amazon, claimed_amount=Decimal("9.99"), currency="CAD")
    add_record(acme_amazon, "12.50", case_reference="")
    make_case(globex_amazon, claimed_amount=Decimal("15.00"))
    return partial


def test_verify_passes_when_the_rollups_match(books):
    output = rollups("--verify")

    assert "acme: 0 bucket(s) differ" in output
    assert "globex: 0 bucket(s) differ" in output
    assert "Rollups match" in output


def test_an_emptied_bucket_left_by_a_status_change_is_not_a_difference(acme_amazon, staff_user):
    case = make_case(acme_amazon)
    case_transition(case=case, to_status=S.NOT_ELIGIBLE, actor=staff_user, reason="Denied")

    assert CaseTotals.objects.get(status=S.OPEN).case_count == 0
    assert rollup_differences(tenant_id=acme_amazon.tenant_id) == []


def test_verify_fails_and_names_a_corrupted_case_totals_bucket(books, acme_amazon):
    corrupt(
        "UPDATE cases_casetotals SET claimed_amount = 999 WHERE tenant_id = %s AND status = %s AND currency = 'USD'",
        [acme_amazon.tenant_id, S.PARTIALLY_REIMBURSED],
    )
    out = StringIO()

    with pytest.raises(CommandError, match="1 rollup bucket"):
        call_command("rebuild_rollups", "--verify", stdout=out)

    assert (
        "acme CaseTotals Amazon NA A1ACMEAMAZON USD partially_reimbursed lost_warehouse: "
        "claimed_amount 999.00 stored, 40.00 expected"
    ) in out.getvalue()


def test_verify_checks_the_inventory_value_and_the_count_of_reimbursed_cases(books, acme_amazon):
    add_record(books, "0.00", cash=0, inventory=1)
    row = CaseTotals.objects.get(tenant=acme_amazon.tenant, status=S.FULLY_REIMBURSED, currency="USD")
    assert (row.inventory_amount, row.reimbursed_count) == (Decimal("20.00"), 1)
    corrupt(
        "UPDATE cases_casetotals SET inventory_amount = 0, reimbursed_count = 0 "
        "WHERE tenant_id = %s AND status = %s AND currency = 'USD'",
        [acme_amazon.tenant_id, S.FULLY_REIMBURSED],
    )
    out = StringIO()

    with pytest.raises(CommandError, match="1 rollup bucket"):
        call_command("rebuild_rollups", "--verify", stdout=out)

    assert "inventory_amount 0.00 stored, 20.00 expected, reimbursed_count 0 stored, 1 expected" in out.getvalue()
    assert "acme: 1 bucket(s) corrected" in rollups()
    assert rollup_differences(tenant_id=acme_amazon.tenant_id) == []


def test_verify_names_a_corrupted_product_or_daily_bucket(books, acme_amazon):
    corrupt("UPDATE cases_producttotals SET claimed_amount = 1 WHERE tenant_id = %s AND currency = 'CAD'",
            [acme_amazon.tenant_id])
    corrupt("DELETE FROM cases_dailyrecovery WHERE tenant_id = %s AND automatic", [acme_amazon.tenant_id])
    out = StringIO()

    with pytest.raises(CommandError, match="2 rollup bucket"):
        call_command("rebuild_rollups", "--verify", stdout=out)

    assert "ProductTotals all accounts CAD SKU-1: claimed_amount 1.00 stored, 9.99 expected" in out.getvalue()
    assert "DailyRecovery Amazon NA A1ACMEAMAZON USD 2026-10-31 True: amount 0 stored, 12.50 expected" in (
        out.getvalue())
    assert "acme: 2 bucket(s) corrected" in rollups()
    assert rollup_differences(tenant_id=acme_amazon.tenant_id) == []


def test_verify_fails_on_a_missing_monthly_bucket(books, acme_amazon):
    corrupt("DELETE FROM cases_monthlyrecovery WHERE tenant_id = %s AND automatic", [acme_amazon.tenant_id])
    out = StringIO()

    with pytest.raises(CommandError, match="1 rollup bucket"):
        call_command("rebuild_rollups", "--verify", stdout=out)

    assert not MonthlyRecovery.objects.filter(tenant=acme_amazon.tenant, automatic=True).exists(), (
        "--verify only reports"
    )

    assert "MonthlyRecovery Amazon NA A1ACMEAMAZON USD 2026-10-01 True: amount 0 stored, 12.50 expected" in (
        out.getvalue()
    )


def test_a_rebuild_fixes_what_verify_found_and_says_what_it_changed(books, acme_amazon):
    corrupt(
        "UPDATE cases_casetotals SET case_count = 7, recovered_amount = 1 "
        "WHERE tenant_id = %s AND status = %s AND currency = 'USD'",
        [acme_amazon.tenant_id, S.PARTIALLY_REIMBURSED],
    )
    corrupt("DELETE FROM cases_monthlyrecovery WHERE tenant_id = %s AND NOT automatic", [acme_amazon.tenant_id])

    output = rollups()

    assert "acme: 2 bucket(s) corrected" in output
    assert "case_count 7 stored, 1 expected, recovered_amount 1.00 stored, 20.00 expected" in output
    assert "Rollups rebuilt: 2 bucket(s) corrected" in output
    assert rollup_differences(tenant_id=acme_amazon.tenant_id) == []
    row = CaseTotals.objects.get(tenant=acme_amazon.tenant, status=S.PARTIALLY_REIMBURSED, currency="USD")
    assert (row.case_count, row.recovered_amount) == (1, Decimal("20.00"))
    month = MonthlyRecovery.objects.get(tenant=acme_amazon.tenant, automatic=False)
    assert (month.month, month.amount, month.record_count) == (dt.date(2026, 10, 1), Decimal("20.00"), 3)
    assert "Rollups match" in rollups("--verify")


def test_the_triggers_keep_counting_after_a_rebuild(books, acme_amazon):
    corrupt("DELETE FROM cases_casetotals WHERE tenant_id = %s AND currency = 'CAD'", [acme_amazon.tenant_id])
    rollups()

    make_case(acme_amazon, claimed_amount=Decimal("1.01"), currency="CAD")

    row = CaseTotals.objects.get(tenant=acme_amazon.tenant, currency="CAD")
    assert (row.case_count, row.claimed_amount) == (2, Decimal("11.00"))
    assert rollup_differences(tenant_id=acme_amazon.tenant_id) == []


def test_a_rebuild_of_consistent_rollups_changes_nothing(books):
    assert "Rollups rebuilt: 0 bucket(s) corrected" in rollups()


def test_one_tenant_can_be_checked_alone(books, globex_amazon):
    corrupt("UPDATE cases_casetotals SET claimed_amount = 1 WHERE tenant_id = %s", [globex_amazon.tenant_id])

    output = rollups("--verify", "--tenant", "acme")

    assert "acme: 0 bucket(s) differ" in output and "globex" not in output
    with pytest.raises(CommandError, match="1 rollup bucket"):
        rollups("--verify", "--tenant", "globex")
    with scope(tenant=globex_amazon.tenant):
        assert CaseTotals.objects.get().claimed_amount == 1, "--verify only reports"


def test_a_rebuild_repairs_the_monthly_figures_when_the_case_totals_are_right(books, acme_amazon):
    corrupt("UPDATE cases_monthlyrecovery SET amount = 0 WHERE tenant_id = %s AND automatic", [acme_amazon.tenant_id])
    (difference,) = rollup_differences(tenant_id=acme_amazon.tenant_id)
    assert (difference.rollup, difference.tenant_id) == ("MonthlyRecovery", acme_amazon.tenant_id)

    assert "acme: 1 bucket(s) corrected" in rollups()

    assert MonthlyRecovery.objects.get(tenant=acme_amazon.tenant, automatic=True).amount == Decimal("12.50")
    assert rollup_differences(tenant_id=acme_amazon.tenant_id) == []


def test_an_unknown_tenant_is_an_error(db):
    with pytest.raises(CommandError, match="No tenant with slug 'nope'"):
        rollups("--verify", "--tenant", "nope")


def test_a_case_recovered_beyond_its_claim_has_no_shortfall_rather_than_a_negative_one(acme_amazon):
    case = make_case(acme_amazon, units_claimed=None, claimed_amount=Decimal("40.00"),
                     reimbursement_type="fee_overcharge")
    add_record(case, "55.00", cash=0)

    row = CaseTotals.objects.get(tenant=acme_amazon.tenant, status=S.FULLY_REIMBURSED)
    assert (row.claimed_amount, row.recovered_amount, row.shortfall_amount) == (
        Decimal("40.00"), Decimal("55.00"), Decimal("0.00")
    )
    assert rollup_differences(tenant_id=acme_amazon.tenant_id) == []
