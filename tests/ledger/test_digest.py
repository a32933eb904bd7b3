"""The digest names the money whose claim window closes within a week (ledger/digest.py)."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from django_scopes import scope

from cases.digest import digest_send
from ledger.models import Opportunity
from ledger.services import opportunity_dismiss
from tests.cases.test_digest import opt_in
from tests.factories import add_record, make_case
from tests.ledger.helpers import add_reimbursement, days_ago, import_rows, row

pytestmark = pytest.mark.usefixtures("acme_scope")


def digest_day() -> dt.date:
    """The day a digest sent this morning covers: its windows are counted from today."""
    return timezone.localdate() - dt.timedelta(days=1)


@pytest.fixture
def alice_opted_in(alice):
    return opt_in(alice, "alice@acme.test")


@pytest.fixture
def closing_soon(acme_amazon):
    """Ready and closing in 5 days (valued from a reimbursement of the FNSKU), and in 2 days (not valued)."""
    add_reimbursement(acme_amazon, "12.50", fnsku="XSOON", case_reference="OLD")
    import_rows(acme_amazon, [
        row(fnsku="XSOON", sku="SKU-SOON", ref="S", on=days_ago(55), quantity=-2),
        row(fnsku="XNOVALUE", sku="SKU-NOVALUE", ref="N", on=days_ago(58), quantity=-1),
    ])
    return acme_amazon


def test_a_window_closing_within_a_week_sends_a_digest_naming_it(alice_opted_in, acme, closing_soon, mailoutbox,
                                                                 settings):
    settings.SITE_URL = "https://tracker.example"

    assert digest_send(day=digest_day()).sent == 1

    email = mailoutbox[0]
    assert email.subject == "Acme: 2 claim windows close within a week"
    assert ("Claim windows closing within 7 days: 2 amounts the marketplace probably owes are not claimed yet "
            "(25.00 USD, and 1 not valued yet).") in email.body
    lines = [line for line in email.body.splitlines() if line.startswith("- ")]
    assert lines == [
        f"- SKU-NOVALUE · XNOVALUE (Amazon NA A1ACMEAMAZON): 1 unit, not valued yet, closes in 2 days "
        f"({(timezone.localdate() + dt.timedelta(days=2)).isoformat()})",
        f"- SKU-SOON · XSOON (Amazon NA A1ACMEAMAZON): 2 units, 25.00 USD, closes in 5 days "
        f"({(timezone.localdate() + dt.timedelta(days=5)).isoformat()})",
    ]
    assert "https://tracker.example" + reverse("ledger:identified", args=[acme.slug]) + "?state=ready" in email.body
    assert "These cases" not in email.body
    assert "https://tracker.example" + reverse("settings") in email.body


def test_windows_further_off_claimed_dismissed_or_closed_are_not_named(alice_opted_in, acme_amazon, sam,
                                                                        mailoutbox):
    import_rows(acme_amazon, [
        row(fnsku="XLATER", ref="L", on=days_ago(40)),     # ready, closes in 20 days
        row(fnsku="XFUTURE", ref="F", on=days_ago(5)),     # its window has not opened
        row(fnsku="XGONE", ref="G", on=days_ago(90)),      # expired
        row(fnsku="XDISMISSED", ref="D", on=days_ago(55)),  # closing in 5 days, dismissed by staff
    ])
    opportunity_dismiss(opportunity=Opportunity.objects.get(fnsku="XDISMISSED"), actor=sam, reason="sold as used")

    assert digest_send(day=digest_day()).sent == 0
    assert mailoutbox == []


def test_one_digest_holds_the_reimbursed_cases_and_the_closing_windows_once(alice_opted_in, acme_amazon,
                                                                          closing_soon, mailoutbox):
    case = make_case(acme_amazon, claimed_amount=Decimal("40.00"))
    add_record(case, "40.00", cash=1)
    day = timezone.now().astimezone(dt.UTC).date()  # the case's history is dated when it was written: today

    assert digest_send(day=day).sent == 1
    assert digest_send(day=day).sent == 0

    email = mailoutbox[0]
    assert len(mailoutbox) == 1
    assert email.subject == f"Acme: 1 case reimbursed on {day.isoformat()}; 2 claim windows close within a week"
    assert case.marketplace_case_id in email.body
    assert "SKU-SOON · XSOON" in email.body


def test_another_tenants_closing_windows_never_reach_this_tenants_digest(alice_opted_in, charlie, closing_soon,
                                                                        globex, globex_amazon, mailoutbox):
    opt_in(charlie, "charlie@globex.test")
    with scope(tenant=globex):
        import_rows(globex_amazon, [row(fnsku="XGLOBEX", sku="SKU-GLOBEX", ref="G", on=days_ago(57))])

    assert digest_send(day=digest_day()).sent == 2

    alices = next(email for email in mailoutbox if email.to == ["alice@acme.test"])
    charlies = next(email for email in mailoutbox if email.to == ["charlie@globex.test"])
    assert "SKU-SOON" in alices.body and "SKU-GLOBEX" not in alices.body
    assert "SKU-GLOBEX" in charlies.body and "SKU-SOON" not in charlies.body and "A1ACMEAMAZON" not in charlies.body
    assert charlies.subject == "Globex: 1 claim window closes within a week"
