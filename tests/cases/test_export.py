import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.http import StreamingHttpResponse
from django.urls import reverse
from django.utils import timezone
from django_scopes import scope

from cases import pagination
from cases.models import Case, CaseStatus, ReimbursementType
from cases.tables import SORT_COLUMNS
from cases.services import case_transition
from tests.factories import add_record, make_case, make_seller_account

HEADER = ("Case ID,Seller account,Type,Status,Units claimed,Claimed amount,Recovered amount,Currency,"
          "Date filed,Last update")


def export(client, tenant, **params):
    response = client.get(reverse("cases:export", args=[tenant.slug]), params)
    assert response.status_code == 200
    assert isinstance(response, StreamingHttpResponse)
    return response, b"".join(response.streaming_content).decode()


def rows(text):
    return list(csv.DictReader(io.StringIO(text)))


def test_export_starts_with_the_agreed_header(alice_client, acme, acme_amazon):
    _, text = export(alice_client, acme)
    assert text.splitlines()[0].startswith(HEADER + ",")


def test_export_is_a_csv_download_named_after_the_tenant_and_the_day(alice_client, acme, acme_amazon):
    before = timezone.localdate()
    response, _ = export(alice_client, acme)
    after = timezone.localdate()
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"] in {
        f'attachment; filename="cases-acme-{day.isoformat()}.csv"' for day in (before, after)
    }, "named after the day of the export, even when it runs across midnight"


def test_export_writes_labels_plain_amounts_and_iso_dates(alice_client, acme, acme_amazon):
    case = make_case(acme_amazon, marketplace_case_id="1234567890", units_claimed=3,
                     claimed_amount=Decimal("1234.5"), currency="CAD", date_filed=dt.date(2026, 2, 3),
                     reimbursement_type=ReimbursementType.DAMAGED_WAREHOUSE, sku="SKU-9", asin="B000000009")
    add_record(case, "10.00", cash=1, currency="CAD")
    add_record(case, "0.00", cash=0, inventory=2, currency="CAD")
    (row,) = rows(export(alice_client, acme)[1])
    case.refresh_from_db()
    assert row["Case ID"] == "1234567890"
    assert row["Seller account"] == "Amazon NA A1ACMEAMAZON"
    assert row["Type"] == "Damaged in warehouse"
    assert row["Status"] == "Fully Reimbursed"
    assert (row["Units claimed"], row["Claimed amount"], row["Recovered amount"], row["Currency"]) == (
        "3", "1234.50", "10.00", "CAD")
    assert row["Date filed"] == "2026-02-03"
    assert row["Last update"] == "2026-11-02"
    assert (row["SKU"], row["ASIN"]) == ("SKU-9", "B000000009")
    assert (row["Units reimbursed cash"], row["Units reimbursed inventory"], row["Last reimbursed on"]) == (
        "1", "2", "2026-11-02")


OLD_COLUMNS = [
    "Case ID", "Seller account", "Type", "Status", "Units claimed", "Claimed amount", "Recovered amount",
    "Currency", "Date filed", "Last update", "SKU", "ASIN", "FNSKU", "Product", "Order ID", "Shipment ID",
    "Units reimbursed cash", "Units reimbursed inventory", "Last reimbursed on",
]
NEW_COLUMNS = ["Units reimbursed (cash)", "Units returned to inventory", "Returned to inventory value",
               "Last reimbursed", "Closed on"]


def test_the_existing_columns_keep_their_names_and_order_and_the_new_ones_come_after(alice_client, acme, acme_amazon):
    _, text = export(alice_client, acme)
    assert next(csv.reader(io.StringIO(text))) == OLD_COLUMNS + NEW_COLUMNS


def test_the_appended_columns_carry_the_units_the_inventory_value_and_the_closing_day(
    alice_client, acme, acme_amazon, staff_user
):
    case = make_case(acme_amazon, units_claimed=4, claimed_amount=Decimal("192.00"))
    add_record(case, "96.00", cash=2)
    add_record(case, "0.00", cash=0, inventory=1)
    with scope(tenant=acme):
        closed_on = case_transition(case=case, to_status=CaseStatus.CLOSED, actor=staff_user,
                                    reason="Nothing more will come").closed_on
    (row,) = rows(export(alice_client, acme)[1])
    assert [row[name] for name in NEW_COLUMNS] == ["2", "1", "48.00", "2026-11-02", closed_on.isoformat()]


def test_reimbursed_cases_exports_its_own_rows_with_the_same_columns(alice_client, acme, acme_amazon, staff_user):
    closed = make_case(acme_amazon, units_claimed=2, claimed_amount=Decimal("30.00"))
    add_record(closed, "5.00", cash=1)
    with scope(tenant=acme):
        case_transition(case=closed, to_status=CaseStatus.CLOSED, actor=staff_user, reason="Gave up")
    make_case(acme_amazon)
    response = alice_client.get(reverse("cases:reimbursed_export", args=[acme.slug]), {"sort": "-last_reimbursed"})
    assert response.status_code == 200
    exported = rows(b"".join(response.streaming_content).decode())
    assert [row["Case ID"] for row in exported] == [closed.marketplace_case_id]
    assert list(exported[0]) == OLD_COLUMNS + NEW_COLUMNS


def test_an_export_sorted_by_claimed_groups_the_currencies(alice_client, acme, acme_amazon):
    for amount, currency in [("5.00", "USD"), ("50.00", "CAD"), ("7.00", "CAD"), ("9.00", "USD")]:
        make_case(acme_amazon, claimed_amount=Decimal(amount), currency=currency)
    exported = rows(export(alice_client, acme, sort="-claimed")[1])
    assert [(row["Currency"], row["Claimed amount"]) for row in exported] == [
        ("USD", "9.00"), ("USD", "5.00"), ("CAD", "50.00"), ("CAD", "7.00")]


def test_an_amount_only_claim_without_reimbursements_exports_empty_cells_not_placeholders(
    alice_client, acme, acme_amazon
):
    make_case(acme_amazon, units_claimed=None, reimbursement_type=ReimbursementType.FEE_OVERCHARGE)
    (row,) = rows(export(alice_client, acme)[1])
    assert (row["Units claimed"], row["Last reimbursed on"]) == ("", "")
    assert (row["Units reimbursed cash"], row["Units reimbursed inventory"]) == ("0", "0")


def test_a_type_or_status_the_tracker_no_longer_names_is_exported_as_stored(alice_client, acme, acme_amazon):
    bulk_cases(acme_amazon, 1, prefix="OLD")
    with scope(tenant=acme):
        Case.objects.filter(tenant=acme).update(reimbursement_type="retired_type", status="retired_status")
    (row,) = rows(export(alice_client, acme)[1])
    assert (row["Type"], row["Status"]) == ("retired_type", "retired_status")


def test_export_never_contains_internal_notes(alice_client, acme, acme_amazon):
    make_case(acme_amazon, internal_note="Seller is difficult")
    assert "difficult" not in export(alice_client, acme)[1]


@pytest.mark.parametrize("dangerous", ["=HYPERLINK(\"http://evil\")", "+1+2", "-2+3", "@SUM(A1)", "\tTAB", "\rCR"])
def test_text_cells_cannot_become_formulas(alice_client, acme, acme_amazon, dangerous):
    make_case(acme_amazon, product_title=dangerous, sku=dangerous[:60])
    (row,) = rows(export(alice_client, acme)[1])
    assert row["Product"] == "'" + dangerous
    assert row["SKU"] == "'" + dangerous[:60]


def test_amounts_stay_plain_numbers(alice_client, acme, acme_amazon):
    case = make_case(acme_amazon, units_claimed=1, claimed_amount=Decimal("20.00"))
    add_record(case, "20.00", cash=1)
    add_record(case, "-20.00", cash=-1)
    (row,) = rows(export(alice_client, acme)[1])
    assert (row["Claimed amount"], row["Recovered amount"]) == ("20.00", "0.00")


def test_export_holds_exactly_the_filtered_rows_in_the_chosen_order(alice_client, acme, acme_amazon, globex_amazon):
    other_account = make_seller_account(acme, "A1ACMESECOND")
    for amount in ("3.00", "1.00", "2.00"):
        make_case(acme_amazon, marketplace_case_id=f"W{amount}", claimed_amount=Decimal(amount))
    make_case(acme_amazon, marketplace_case_id="OTHERTYPE", reimbursement_type=ReimbursementType.OTHER)
    make_case(other_account, marketplace_case_id="OTHERACCT")
    make_case(globex_amazon, marketplace_case_id="GLOBEX")
    _, text = export(alice_client, acme, type=ReimbursementType.LOST_WAREHOUSE, seller_account=acme_amazon.pk,
                     sort="claimed")
    assert [r["Case ID"] for r in rows(text)] == ["W1.00", "W2.00", "W3.00"]


def test_export_with_a_search_matches_the_page(alice_client, acme, acme_amazon):
    make_case(acme_amazon, marketplace_case_id="HIT", order_id="113-1111111-1111111")
    make_case(acme_amazon, marketplace_case_id="MISS")
    _, text = export(alice_client, acme, q="113-1111111-1111111")
    assert [r["Case ID"] for r in rows(text)] == ["HIT"]


def test_export_of_another_tenants_account_is_refused_naming_the_filter(alice_client, acme, acme_amazon,
                                                                        globex_amazon):
    make_case(acme_amazon, marketplace_case_id="MINE")
    make_case(globex_amazon, marketplace_case_id="THEIRS")
    response = alice_client.get(reverse("cases:export", args=[acme.slug]), {"seller_account": globex_amazon.pk})
    assert response.status_code == 400
    text = response.content.decode()
    assert text.startswith("Not exported: some filters are not valid.")
    assert "Seller account: Select a valid choice." in text
    assert "THEIRS" not in text and "MINE" not in text and "A1GLOBEXAMAZ" not in text


def test_export_with_an_impossible_date_names_it(alice_client, acme, acme_amazon):
    response = alice_client.get(reverse("cases:export", args=[acme.slug]), {"filed_from": "2026-02-30"})
    assert response.status_code == 400
    assert "Filed from: Enter a valid date." in response.content.decode()


def test_export_streams_every_row_across_chunks(alice_client, acme, acme_amazon, monkeypatch):
    monkeypatch.setattr(pagination, "EXPORT_CHUNK", 2)
    ids = {make_case(acme_amazon, date_filed=dt.date(2026, 1, 1)).marketplace_case_id for _ in range(5)}
    _, text = export(alice_client, acme)
    exported = [r["Case ID"] for r in rows(text)]
    assert len(exported) == 5 and set(exported) == ids


def test_export_streams_after_the_view_has_left_the_tenants_scope(alice_client, acme, acme_amazon):
    from django_scopes import scope

    make_case(acme_amazon, marketplace_case_id="SCOPED")
    response = alice_client.get(reverse("cases:export", args=[acme.slug]))
    with scope():
        text = b"".join(response.streaming_content).decode()
    assert [r["Case ID"] for r in rows(text)] == ["SCOPED"]


def bulk_cases(seller_account, count, *, prefix, **fields):
    """`count` Open cases in one statement: thousands of cases through `case_create` would take minutes."""
    return Case.objects.bulk_create(
        Case(tenant_id=seller_account.tenant_id, seller_account=seller_account, marketplace_case_id=f"{prefix}{n:05d}",
             reimbursement_type=ReimbursementType.LOST_WAREHOUSE, status=CaseStatus.OPEN, units_claimed=1,
             claimed_amount=Decimal("10.00") + n % 7, currency="USD",
             date_filed=dt.date(2026, 1, 1) + dt.timedelta(days=n % 3),
             last_event_on=dt.date(2026, 1, 1) + dt.timedelta(days=n % 3), **fields)
        for n in range(count)
    )


@pytest.mark.parametrize("extra", [-1, 0, 1])
@pytest.mark.parametrize("sort", ["-date_filed", "claimed"])
def test_export_at_the_real_chunk_size_holds_every_row_once_in_order_across_chunk_boundaries(
    alice_client, acme, acme_amazon, sort, extra
):
    count = 2 * pagination.EXPORT_CHUNK + extra
    bulk_cases(acme_amazon, count, prefix="X")
    column = SORT_COLUMNS[sort.removeprefix("-")]
    with scope(tenant=acme):
        ordered = Case.objects.filter(tenant=acme).order_by(column, "id").values_list("marketplace_case_id", flat=True)
        expected = list(ordered)[::-1] if sort.startswith("-") else list(ordered)

    exported = [line.split(",", 1)[0] for line in export(alice_client, acme, sort=sort)[1].splitlines()[1:]]

    assert len(exported) == count
    assert exported == expected
