"""The search keys of cases live in `cases_casesearchkey`, kept by triggers that figure updates never fire."""

import pytest
from django.db import connection
from django.urls import reverse
from django_scopes import scope

from cases.filters import CaseFilter
from cases.models import Case, CaseSearchKey, CaseStatus
from cases.services import case_update
from tests.factories import add_record, make_case

pytestmark = pytest.mark.usefixtures("acme_scope")


def search(tenant, query, seller_accounts=()):
    """What the tenant's own search finds, inside its scope as its requests run."""
    with scope(tenant=tenant):
        cases = Case.objects.filter(tenant=tenant)
        return list(CaseFilter({"q": query}, cases, seller_accounts=list(seller_accounts), tenant=tenant).qs)


def keys_of(case):
    """The case's identifier keys (its product name's words are keys too, each after a space)."""
    return sorted(key for key in CaseSearchKey.objects.filter(case=case).values_list("key", flat=True)
                  if not key.startswith(" "))


def word_keys_of(case):
    return sorted(key for key in CaseSearchKey.objects.filter(case=case).values_list("key", flat=True)
                  if key.startswith(" "))


def key_rows(case):
    """Where each of the case's key rows sits: a rewritten row moves."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT ctid::text, key FROM cases_casesearchkey WHERE case_id = %s ORDER BY key", [case.pk])
        return cursor.fetchall()


def search_key_writes():
    """Rows inserted, updated and deleted in cases_casesearchkey by the current transaction so far."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT n_tup_ins + n_tup_upd + n_tup_del FROM pg_stat_xact_user_tables "
            "WHERE relname = 'cases_casesearchkey'"
        )
        row = cursor.fetchone()
    return row[0] if row else 0


@pytest.mark.parametrize("field,value,query", [
    ("marketplace_case_id", "7712345678", "7712345678"),
    ("sku", "Red-Mug-01", "RED-MUG-01"),
    ("fnsku", "X00ABCDEF1", " x00abcdef1 "),
    ("asin", "B07XYZ1234", "b07XyZ1234"),
    ("order_id", "113-1234567-7654321", "113-1234567-7654321"),
    ("shipment_id", "fba15abcdef", "FBA15ABCDEF"),
])
def test_it_finds_a_case_by_each_identifier_ignoring_case(acme, acme_amazon, field, value, query):
    wanted = make_case(acme_amazon, **{field: value})
    make_case(acme_amazon)
    assert search(acme, query) == [wanted]


def test_it_keeps_each_distinct_non_empty_identifier_once(acme_amazon):
    case = make_case(acme_amazon, marketplace_case_id="1000001", sku=" b000000001 ", asin="B000000001",
                     fnsku="X000000001", order_id="", shipment_id="")
    assert keys_of(case) == ["1000001", "B000000001", "X000000001"]


def test_the_words_of_the_product_name_are_keys_each_after_a_space_and_follow_the_name(acme, acme_amazon):
    case = make_case(acme_amazon, sku="ACME-KNIFE-8", product_title="ACME Chef-knife, 20 cm ACME")
    assert word_keys_of(case) == [" 20", " ACME", " CHEF", " CHEF-KNIFE", " CM", " KNIFE"]

    case.product_title = "Bread board"
    case.save(update_fields=["product_title"])

    assert word_keys_of(case) == [" BOARD", " BREAD"]
    assert "ACME-KNIFE-8" in keys_of(case)
    assert search(acme, "bread bo") == [case] and search(acme, "chef") == []


def test_a_word_never_answers_a_search_by_identifier_nor_an_identifier_one_by_word(acme, acme_amazon):
    by_sku = make_case(acme_amazon, sku="KNIFE-01", product_title="Bread board")
    by_name = make_case(acme_amazon, sku="BOARD-02", product_title="Knife block")
    assert search(acme, "knife-0") == [by_sku]
    assert search(acme, "block knife") == [by_name]
    assert sorted(search(acme, "knife"), key=lambda c: c.pk) == [by_sku, by_name]


def test_it_never_finds_another_tenants_case_with_the_same_sku(acme, acme_amazon, globex, globex_amazon):
    mine = make_case(acme_amazon, sku="SHARED-SKU")
    theirs = make_case(globex_amazon, sku="SHARED-SKU")
    assert search(acme, "shared-sku") == [mine]
    assert search(globex, "shared-sku") == [theirs]
    assert search(acme, theirs.marketplace_case_id) == []


def test_editing_a_cases_sku_moves_its_key(acme, acme_amazon, staff_user):
    case = make_case(acme_amazon, sku="OLD-SKU")
    before = search_key_writes()
    case.sku = "New-Sku"
    case_update(case=case, actor=staff_user)
    assert search_key_writes() > before
    assert search(acme, "old-sku") == []
    assert search(acme, "new-sku") == [case]
    assert "OLD-SKU" not in keys_of(case)


def test_saving_a_case_without_changing_an_identifier_leaves_its_keys_alone(acme_amazon, staff_user):
    case = make_case(acme_amazon)
    before = search_key_writes()
    case.seller_note = "Waiting on the marketplace"
    case_update(case=case, actor=staff_user)
    assert search_key_writes() == before


def test_a_recompute_never_writes_search_keys(acme, acme_amazon):
    case = make_case(acme_amazon, units_claimed=2)
    rows_before = key_rows(case)
    before = search_key_writes()
    add_record(case, "20.00", cash=1)
    assert Case.objects.get(pk=case.pk).status == CaseStatus.PARTIALLY_REIMBURSED
    assert search_key_writes() == before
    assert key_rows(case) == rows_before


def test_a_bulk_insert_of_cases_in_one_statement_creates_their_keys(acme, acme_amazon):
    template = make_case(acme_amazon)
    fields = {
        f.attname: getattr(template, f.attname) for f in Case._meta.concrete_fields if not f.primary_key
    }
    created = Case.objects.bulk_create([
        Case(**{**fields, "marketplace_case_id": f"BULK-{n}", "sku": f"bulk-sku-{n}", "fnsku": "", "asin": ""})
        for n in range(3)
    ])
    for n, case in enumerate(created):
        assert keys_of(case) == [f"BULK-{n}", f"BULK-SKU-{n}"]
    assert search(acme, "bulk-sku-1") == [created[1]]


@pytest.mark.parametrize("query", ["acme-kn", "ACME-KNIFE", "b07k", "X00K", "4107", "113-41", "fba15"])
def test_it_finds_a_case_by_the_start_of_any_identifier(acme, acme_amazon, query):
    wanted = make_case(acme_amazon, marketplace_case_id="4107552210", sku="ACME-KNIFE-8", asin="B07KN1FE01",
                       fnsku="X00KNIFE01", order_id="113-4107552-1234567", shipment_id="FBA15XYZ",
                       product_title="Chef knife")
    make_case(acme_amazon, marketplace_case_id="5107552210", sku="OTHER", asin="B000000002", fnsku="X000000002",
              product_title="Blue widget")
    assert search(acme, query) == [wanted]


@pytest.mark.parametrize("query", ["knife", "Knife", "chef kni", "KNIFE chef", "  knife,  "])
def test_it_finds_a_case_by_words_of_its_product_name_in_any_order(acme, acme_amazon, query):
    wanted = make_case(acme_amazon, sku="SKU-K", product_title="ACME Chef Knife, 8 inch")
    make_case(acme_amazon, sku="SKU-W", product_title="Blue widget")
    assert search(acme, query) == [wanted]


def test_a_case_found_by_both_its_sku_and_its_product_name_shows_once(acme, acme_amazon):
    wanted = make_case(acme_amazon, sku="KNIFE-1", product_title="Knife block")
    assert search(acme, "knife") == [wanted]


@pytest.mark.parametrize("query", ["%", "_", "ACME%", "knife & widget", "!", "'", "a:*|b", "\\"])
def test_search_syntax_typed_in_is_only_text(acme, acme_amazon, query):
    make_case(acme_amazon, sku="ACME-KNIFE-8", product_title="Chef knife")
    assert search(acme, query) == []


def test_another_tenants_case_is_never_found_by_prefix_or_product_word(acme, acme_amazon, globex_amazon):
    make_case(globex_amazon, sku="ACME-KNIFE-9", product_title="Chef knife")
    assert search(acme, "acme-kn") == [] and search(acme, "knife") == []


def test_a_search_that_finds_nothing_says_what_search_looks_at(alice_client, acme, acme_amazon):
    make_case(acme_amazon, sku="ACME-KNIFE-8", product_title="Chef knife")
    url = reverse("cases:overall", args=[acme.slug])
    html = alice_client.get(url, {"q": "spoon"}).content.decode()
    assert "Nothing matches “spoon”." in html
    assert "start of a case ID, SKU, FNSKU, ASIN, order or shipment ID" in html
    assert "Nothing matches" not in alice_client.get(url, {"q": "knife"}).content.decode()
    assert "Nothing matches" not in alice_client.get(url, {"status": "closed"}).content.decode()


def test_a_broad_search_walks_the_sort_order_and_is_counted_as_more_than_the_cap(alice_client, acme, acme_amazon,
                                                                                   monkeypatch):
    monkeypatch.setattr("cases.filters.SEARCH_SET_MAX", 2)
    monkeypatch.setattr("cases.selectors.COUNT_CAP", 2)
    wanted = [make_case(acme_amazon, sku=f"KNIFE-{n}", product_title="Knife") for n in range(2)]
    wanted.append(make_case(acme_amazon, sku="SPOON-1", product_title="Chef knife"))
    make_case(acme_amazon, sku="FORK-1", product_title="Fork")
    response = alice_client.get(reverse("cases:overall", args=[acme.slug]), {"q": "knife", "sort": "case_id"})
    assert [row.record for row in response.context["table"].rows] == sorted(wanted, key=lambda c: c.marketplace_case_id)
    assert (response.context["result_count"], response.context["result_count_capped"]) == (2, True)
    assert response.context["filter"].search_overflow
