"""The seller's Identified page and its CSV export."""

import pytest
from django.urls import reverse
from django_scopes import scope

from ledger.models import Opportunity
from ledger.services import case_from_opportunity, opportunity_claim
from tests.ledger.helpers import add_reimbursement, days_ago, import_rows, row

pytestmark = pytest.mark.usefixtures("acme_scope")


@pytest.fixture
def ledger(acme_amazon, sam):
    add_reimbursement(acme_amazon, "20.00", fnsku="XREADY", case_reference="C1")
    import_rows(acme_amazon, [
        row(fnsku="XREADY", ref="A", on=days_ago(50), quantity=-2),
        row(fnsku="XOLD", ref="B", on=days_ago(70)),
        row(fnsku="XNEW", ref="C", on=days_ago(3), title="Green gadget"),
        row(fnsku="XCASE", ref="D", on=days_ago(40)),
    ])
    opportunity = Opportunity.objects.get(fnsku="XCASE")
    draft = case_from_opportunity(opportunity)
    draft.marketplace_case_id, draft.claimed_amount = "5500000001", 12
    opportunity_claim(opportunity=opportunity, case=draft, actor=sam)


def test_the_nav_links_the_page_with_the_exact_text(alice_client, acme, ledger):
    page = alice_client.get(reverse("cases:overall", args=[acme.slug])).content.decode()
    assert f'<a href="{reverse("ledger:identified", args=[acme.slug])}">Identified</a>' in page


def test_a_seller_sees_units_value_state_window_and_the_case(alice_client, acme, ledger):
    response = alice_client.get(reverse("ledger:identified", args=[acme.slug]))
    assert response.status_code == 200
    page = response.content.decode()
    rows = {o.fnsku: o for o in response.context["page"]}
    assert rows["XREADY"].closes_text == "closes in 10 days"
    assert rows["XOLD"].closes_text == "expired"
    assert rows["XNEW"].closes_text == "opens in 27 days"
    assert "40.00 USD" in page and "Latest reimbursement per unit" in page and "unvalued" in page
    assert "5500000001" in page
    assert [(s, n) for s, _, n, _ in response.context["state_links"]] == [
        ("future", 1), ("ready", 1), ("expired", 1), ("claimed", 1), ("resolved", 0), ("dismissed", 0)]


def test_the_state_filter_and_the_export_give_the_same_rows(alice_client, acme, ledger):
    response = alice_client.get(reverse("ledger:identified", args=[acme.slug]), {"state": "expired"})
    assert [o.fnsku for o in response.context["page"]] == ["XOLD"]
    export = alice_client.get(response.context["export_url"])
    lines = b"".join(export.streaming_content).decode().splitlines()
    assert lines[0].startswith("Seller account,Type,FNSKU")
    assert len(lines) == 2 and ",XOLD," in lines[1] and ",Expired," in lines[1]


def test_a_seller_never_sees_another_tenants_opportunities(charlie_client, globex, globex_amazon, acme, ledger):
    with scope(tenant=globex):
        import_rows(globex_amazon, [row(fnsku="XGLOBEX", ref="G")])
    response = charlie_client.get(reverse("ledger:identified", args=[globex.slug]))
    assert [o.fnsku for o in response.context["page"]] == ["XGLOBEX"]
    export = b"".join(charlie_client.get(reverse("ledger:export", args=[globex.slug])).streaming_content).decode()
    assert "XGLOBEX" in export and "XREADY" not in export
    assert charlie_client.get(reverse("ledger:identified", args=[acme.slug])).status_code == 404


def test_the_result_count_follows_the_state_filter(alice_client, acme, ledger):
    response = alice_client.get(reverse("ledger:identified", args=[acme.slug]), {"state": "ready"})
    assert response.context["page"].paginator.count == 1
    response = alice_client.get(reverse("ledger:identified", args=[acme.slug]))
    assert response.context["page"].paginator.count == 4
