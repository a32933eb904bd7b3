"""The dashboard's period: recovered between two approval dates, from a plain GET form."""

import datetime as dt

from django import forms

from cases.widgets import DateInput

DEFAULT_DAYS = 30


class PeriodForm(forms.Form):
    recovered_from = forms.DateField(label="Recovered from", required=False, widget=DateInput)
    recovered_to = forms.DateField(label="to", required=False, widget=DateInput)

    def clean(self):
        data = super().clean()
        start, end = data.get("recovered_from"), data.get("recovered_to")
        if start and end and start > end:
            raise forms.ValidationError("The period starts after it ends: swap the two dates.")
        return data

    def period(self, *, today: dt.date) -> tuple[dt.date, dt.date] | None:
        """The period asked for, its missing ends filled in (the last 30 days when neither is given);
        None when the dates are not valid."""
        if not self.is_valid():
            return None
        end = self.cleaned_data.get("recovered_to") or today
        start = self.cleaned_data.get("recovered_from")
        if start is None:
            last = min(end, today)
            start = last - dt.timedelta(days=DEFAULT_DAYS - 1) if last.toordinal() >= DEFAULT_DAYS else dt.date.min
        return start, end
