"""Crafted query parameters on the seller pages: each gives the first page or a named error, never a 500."""

import base64
import json

import pytest
from django.urls import reverse

from cases.models import Case
from cases.pagination import MAX_TOKEN, Sort, cursor_decode, cursor_encode
from tests.factories import make_case


def token(*parts) -> str:
    """A cursor as the pager writes one, around any payload."""
    payload = json.dumps(list(parts), separators=(",", ":"))
    return base64.urlsafe_b64encode(payload.encode()).decode().rstrip("=")


CRAFTED_CURSORS = {
    # name: (sort, cursor)
    "NUL in a text sort value": ("case_id", token("case_id", "a", "10\x0000", 1)),
    "lone surrogate in a text sort value": ("case_id", token("case_id", "a", "\ud800", 1)),
    "text longer than the column": ("case_id", token("case_id", "a", "9" * 5000, 1)),
    "NaN amount": ("claimed", token("claimed", "a", "NaN", 1)),
    "Infinity amount": ("claimed", token("claimed", "a", "Infinity", 1)),
    "negative infinity amount": ("-claimed", token("-claimed", "a", "-Infinity", 1)),
    "signalling NaN amount": ("claimed", token("claimed", "a", "sNaN", 1)),
    "amount beyond any Decimal column": ("claimed", token("claimed", "a", "1e999999", 1)),
    "amount beyond the column's precision": ("claimed", token("claimed", "a", "1234567890123.00", 1)),
    "amount finer than a cent": ("claimed", token("claimed", "a", "0.001", 1)),
    "date beyond the calendar": ("-date_filed", token("-date_filed", "a", "99999-01-01", 1)),
    "timestamp without a time zone": ("last_update", token("last_update", "a", "2026-01-01T00:00:00", 1)),
    "id beyond bigint": ("-date_filed", token("-date_filed", "a", "2026-01-01", 2**63)),
    "negative id beyond bigint": ("-date_filed", token("-date_filed", "b", "2026-01-01", -(2**63) - 1)),
    "id as a float": ("-date_filed", token("-date_filed", "a", "2026-01-01", 1.5)),
    "deeply nested payload": ("-date_filed", base64.urlsafe_b64encode(b"[" * 100_000).decode()),
    "very long token": ("-date_filed", "A" * 100_000),
}


@pytest.mark.parametrize("name", CRAFTED_CURSORS)
@pytest.mark.parametrize("page", ["cases:overall", "cases:reimbursed"])
def test_a_crafted_cursor_opens_the_first_page(alice_client, acme, acme_amazon, page, name):
    make_case(acme_amazon, marketplace_case_id="1000000001")
    sort, cursor = CRAFTED_CURSORS[name]
    response = alice_client.get(reverse(page, args=[acme.slug]), {"sort": sort, "cursor": cursor})
    assert response.status_code == 200
    assert response.context["page"].first


@pytest.mark.parametrize("edge", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00"])
def test_a_cursor_at_the_edges_of_the_calendar_gives_a_page(alice_client, acme, acme_amazon, edge):
    make_case(acme_amazon)
    cursor = token("last_update", "b", edge, 1)
    response = alice_client.get(reverse("cases:overall", args=[acme.slug]), {"sort": "last_update", "cursor": cursor})
    assert response.status_code == 200


def test_the_longest_cursor_the_pager_writes_reads_back():
    case = Case(pk=2**63 - 1, marketplace_case_id="\U0001F600" * 64)
    sort = Sort("case_id", "marketplace_case_id", descending=True)
    cursor = cursor_encode(sort=sort, after=True, row=case)
    assert len(cursor) <= MAX_TOKEN
    assert cursor_decode(cursor).value == case.marketplace_case_id


@pytest.mark.parametrize("value", ["40.00", ["USD"], ["USD", "40.00", "1"], ["USD", "NaN"], ["\x00", "1"]])
def test_an_amount_cursor_without_its_currency_or_of_another_shape_gives_the_first_page(
        alice_client, acme, acme_amazon, value):
    """A bookmark from before amounts sorted by currency carries the amount alone: it means the first page."""
    make_case(acme_amazon, marketplace_case_id="ONLY")
    cursor = token("-claimed", "a", value, 1)
    response = alice_client.get(reverse("cases:overall", args=[acme.slug]), {"sort": "-claimed", "cursor": cursor})
    assert response.status_code == 200
    assert [row.record.marketplace_case_id for row in response.context["table"].rows] == ["ONLY"]
