"""`manage.py seed_demo`: demo data that covers the product, and a second run that changes nothing."""

import datetime as dt
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.test import RequestFactory
from django.utils import timezone
from django_scopes import scopes_disabled

from accounts.models import Membership, SellerAccount, Tenant
from accounts.roles import STAFF_GROUP
from cases.models import Case, CaseEvent, CaseStatus, CaseTotals, MonthlyRecovery, ReimbursementRecord
from dashboard.selectors import currency_summary_list
from devtools.demo import demo_plan
from devtools.demo_ledger import CLAIM_PREFIX
from ledger.models import LedgerLine, Opportunity

pytestmark = pytest.mark.django_db


def login_request():
    """The login form's request: the lockout (django-axes) counts attempts per address, so it needs one."""
    return RequestFactory().post("/accounts/login/")


@pytest.fixture(autouse=True)
def _across_the_demo_tenants():
    """seed_demo writes two tenants and these tests look at the whole demo database at once, as the
    operator who ran the command does: they read across tenants, so without a tenant scope."""
    with scopes_disabled():
        yield


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _debug_on(settings):
    """seed_demo runs only with DEBUG on, as on a developer's machine; the tests of that rule turn it off."""
    settings.DEBUG = True


def seed(*args) -> str:
    out = StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def snapshot() -> dict:
    """Everything a second run could change: counts, and every figure sellers see."""
    return {
        "counts": [m.objects.count() for m in (
            Tenant, SellerAccount, Membership, get_user_model(), Case, CaseEvent, ReimbursementRecord, LedgerLine,
            Opportunity,
        )],
        "cases": list(Case.objects.order_by("marketplace_case_id").values_list(
            "marketplace_case_id", "status", "claimed_amount", "recovered_amount", "currency",
            "units_reimbursed_cash", "units_reimbursed_inventory", "last_reimbursed_on", "closed_on", "date_filed",
        )),
        "totals": sorted(CaseTotals.objects.values_list(
            "seller_account__external_id", "currency", "status", "reimbursement_type",
            "case_count", "claimed_amount", "recovered_amount", "shortfall_amount",
        )),
        "monthly": sorted(MonthlyRecovery.objects.values_list(
            "seller_account__external_id", "currency", "month", "automatic", "amount", "record_count",
        )),
        "passwords": sorted(get_user_model().objects.values_list("username", "password")),
    }


def test_running_seed_demo_twice_leaves_identical_counts_and_figures():
    seed()
    first = snapshot()
    output = seed()
    assert snapshot() == first
    assert "nothing changed" in output


def test_the_seeded_cases_and_records_are_the_plan_of_the_seed():
    seed()
    plan = [account for _, accounts in demo_plan() for account in accounts]
    assert set(Case.objects.filter(event_date__isnull=True).values_list(
        "seller_account__external_id", "marketplace_case_id", "claimed_amount", "currency", "date_filed",
    )) == {
        (account.spec.external_id, *(case.fields[name] for name in (
            "marketplace_case_id", "claimed_amount", "currency", "date_filed")))
        for account in plan for case in account.cases
    }
    assert set(ReimbursementRecord.objects.exclude(reimbursement_id__startswith=CLAIM_PREFIX).values_list(
        "seller_account__external_id", "reimbursement_id", "amount_total", "approval_date",
    )) == {
        (account.spec.external_id, record.reimbursement_id, record.amount_total, record.approval_date)
        for account in plan for record in [*(r for c in account.cases for r in c.records), *account.loose_records]
    }
    other_seed = {case.fields["marketplace_case_id"] for _, accounts in demo_plan(seed=1)
                  for account in accounts for case in account.cases}
    assert not other_seed & set(Case.objects.values_list("marketplace_case_id", flat=True))


def test_seed_data_covers_every_status_and_two_currencies_in_each_tenant():
    seed()
    for slug in ("acme-goods", "bolt-supplies"):
        cases = Case.objects.filter(tenant__slug=slug, event_date__isnull=True)
        assert 24 <= cases.count() <= 60
        assert set(cases.values_list("status", flat=True)) == set(CaseStatus.values)
        assert len(set(cases.values_list("currency", flat=True))) >= 2
        assert cases.filter(status=CaseStatus.OPEN, units_claimed__gt=1).count() >= 3


def test_seed_shows_every_stage_of_the_identified_funnel():
    seed()
    today = timezone.localdate()
    for slug in ("acme-goods", "bolt-supplies"):
        opportunities = Opportunity.objects.filter(tenant__slug=slug).with_state(today=today)
        assert {"future", "ready", "expired", "claimed", "resolved"} <= set(
            opportunities.values_list("state", flat=True))
    claimed = Case.objects.filter(tenant__slug="acme-goods", event_date__isnull=False)
    assert set(claimed.values_list("status", flat=True)) >= {
        CaseStatus.OPEN, CaseStatus.NOT_ELIGIBLE, CaseStatus.FULLY_REIMBURSED}
    assert claimed.filter(units_reimbursed_inventory__gt=0).exists()


def test_seed_accounts_are_connected_and_named_as_the_issue_asks():
    seed()
    acme = {a.label for a in SellerAccount.objects.filter(tenant__slug="acme-goods")}
    assert {"Amazon NA A1DEMOSELLERA", "Walmart 10001234"} <= acme
    assert {a.label for a in SellerAccount.objects.filter(tenant__slug="bolt-supplies")} == {
        "Amazon NA A1DEMOSELLERB"}
    assert SellerAccount.objects.get(external_id="A1DEMOSELLERA").marketplace_ids == [
        "ATVPDKIKX0DER", "A2EUQ1WTGCTBG2"]
    assert all(a.is_ready for a in SellerAccount.objects.all())


def test_seed_has_a_reversal_that_brought_a_fully_reimbursed_case_back():
    seed()
    reversal = ReimbursementRecord.objects.get(
        reason="Reimbursement_Reversal", seller_account__external_id="A1DEMOSELLERA")
    assert reversal.amount_total < 0
    assert reversal.case.status == CaseStatus.PARTIALLY_REIMBURSED
    assert CaseEvent.objects.filter(
        case=reversal.case, from_status=CaseStatus.FULLY_REIMBURSED, to_status=CaseStatus.PARTIALLY_REIMBURSED,
    ).exists()


def test_seed_has_automatic_reimbursements_that_belong_to_no_case():
    seed()
    automatic = ReimbursementRecord.objects.filter(case_reference="")
    assert automatic.exists()
    assert not automatic.filter(case__isnull=False).exists()


def test_seed_outcomes_set_by_staff_carry_a_reason_and_an_actor():
    seed()
    staff = get_user_model().objects.get(username="staff")
    for status in (CaseStatus.NOT_ELIGIBLE, CaseStatus.CLOSED):
        events = CaseEvent.objects.filter(to_status=status).exclude(from_status=status)
        assert events.exists()
        assert all(e.actor == staff and e.reason for e in events)


def test_seed_users_log_in_with_the_demo_password(client, monkeypatch):
    monkeypatch.setenv("DEMO_PASSWORD", "another-demo-pass")
    output = seed()
    for username in ("seller-a", "seller-b", "staff"):
        assert username in output
        assert client.login(request=login_request(), username=username, password="another-demo-pass")
    staff = get_user_model().objects.get(username="staff")
    assert staff.is_staff and not staff.is_superuser
    assert staff.groups.filter(name=STAFF_GROUP).exists()
    assert not staff.has_perm("cases.delete_case")
    assert staff.has_perm("cases.add_case")
    assert list(Membership.objects.filter(user__username="seller-a").values_list("tenant__slug", flat=True)) == [
        "acme-goods"]
    assert list(Membership.objects.filter(user__username="seller-b").values_list("tenant__slug", flat=True)) == [
        "bolt-supplies"]
    assert "http://127.0.0.1:8000" in output


def test_seeded_rollups_match_the_cases_and_records():
    seed()
    call_command("rebuild_rollups", verify=True, stdout=StringIO())


def test_seed_demo_refuses_to_run_with_debug_off_and_writes_nothing(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="--allow-production"):
        seed()
    assert not Tenant.objects.exists()
    assert not get_user_model().objects.exists()


def test_seed_demo_runs_with_debug_off_when_told_this_is_not_production(settings):
    settings.DEBUG = False
    seed("--allow-production")
    assert Case.objects.exists()


def test_seed_demo_never_resets_the_password_of_an_existing_staff_user(client):
    get_user_model().objects.create_user(username="staff", password="my-own-secret", is_staff=True)
    output = seed()
    assert client.login(request=login_request(), username="staff", password="my-own-secret")
    assert not client.login(request=login_request(), username="staff", password="demo-password")
    assert "staff     existing user, password left as it was" in output
    assert "seller-a  password demo-password" in output
    assert not get_user_model().objects.get(username="staff").groups.exists()


def test_a_second_seed_keeps_a_password_changed_since_the_first(client):
    seed()
    seller = get_user_model().objects.get(username="seller-a")
    seller.set_password("changed-after-the-demo")
    seller.save()
    seed()
    assert client.login(request=login_request(), username="seller-a", password="changed-after-the-demo")
    assert not client.login(request=login_request(), username="seller-a", password="demo-password")


def test_seed_demo_prints_its_links_with_the_site_url_and_plain_lines_off_a_terminal(settings):
    settings.SITE_URL = "https://tracker.example"

    out = seed()

    assert "Open https://tracker.example/ and log in as:" in out
    assert "reimbursement staff, https://tracker.example/admin/" in out
    assert "127.0.0.1" not in out and "\x1b" not in out and "\r" not in out


def test_the_demo_figures_add_up_in_every_currency_of_every_tenant():
    seed()
    for tenant in Tenant.objects.all():
        for summary in currency_summary_list(tenant=tenant, today=dt.date(2026, 11, 30)):
            accounted = summary.recovered + summary.inventory + summary.pending + summary.lost
            assert summary.claimed + summary.beyond_claims == accounted, (tenant.slug, summary.currency)
            assert summary.inventory >= 0 and summary.pending >= 0 and summary.lost >= 0
    assert call_command("rebuild_rollups", "--verify", stdout=StringIO()) is None


def test_seed_history_is_dated_as_it_would_have_happened():
    seed()
    for case in Case.objects.all():
        events = list(CaseEvent.objects.filter(case=case).order_by("id"))
        assert events[0].happened_on == case.date_filed, case
        assert case.last_event_on == max(event.happened_on for event in events), case
        if case.closed_on is not None:
            closing = [e for e in events if e.to_status == case.status and e.from_status != e.to_status][-1]
            assert closing.happened_on == case.closed_on, case
        for event in events:
            if event.record_id:
                assert event.happened_on == event.record.approval_date.date(), case
    assert not CaseEvent.objects.filter(happened_on__gte=dt.date(2026, 11, 26)).exists()
