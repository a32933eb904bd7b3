"""The filters' widgets write exactly what Django's own widgets write through their templates."""

import datetime as dt

import pytest
from django import forms

from cases import widgets

CHOICES = [("", "Any status"), ("open", "Open"), ("fee", 'Fees & "other" <charges>')]
GROUPED = [("", "Any"), ("Amazon", [(1, "Amazon US"), (2, "Amazon EU")]), (3, "Walmart")]


@pytest.mark.parametrize("value", [None, "", "open", "fee", "unknown"])
@pytest.mark.parametrize("attrs", [None, {"id": "id_status"}, {"id": "x", "required": True, "disabled": False}])
def test_a_select_writes_what_djangos_select_writes(value, attrs):
    ours = widgets.Select(choices=CHOICES).render("status", value, attrs=attrs)
    assert ours == forms.Select(choices=CHOICES).render("status", value, attrs=attrs)
    assert ours.count("<option") == 3


@pytest.mark.parametrize("value", [None, 2, "3"])
def test_a_select_with_groups_writes_what_djangos_select_writes(value):
    ours = widgets.Select(choices=GROUPED).render("account", value, attrs={"id": "id_account"})
    assert ours == forms.Select(choices=GROUPED).render("account", value, attrs={"id": "id_account"})
    assert '<optgroup label="Amazon">' in ours


@pytest.mark.parametrize("value", [None, "", "knife", '"><script>', 0])
def test_a_text_input_writes_what_djangos_input_writes(value):
    attrs = {"placeholder": "Start of a case ID & more", "type": "search"}
    ours = widgets.TextInput(attrs=attrs).render("q", value, attrs={"id": "id_q", "maxlength": "200"})
    assert ours == forms.TextInput(attrs=attrs).render("q", value, attrs={"id": "id_q", "maxlength": "200"})
    assert "<script>" not in ours


class DjangoDateInput(forms.DateInput):
    input_type = "date"


@pytest.mark.parametrize("value", [None, dt.date(2026, 5, 10), "2026-13-40"])
def test_a_date_input_writes_what_djangos_input_writes(value):
    ours = widgets.DateInput().render("filed_from", value, attrs={"id": "id_filed_from"})
    assert ours == DjangoDateInput().render("filed_from", value, attrs={"id": "id_filed_from"})
    assert 'type="date"' in ours
