"""The seller's own settings."""

import zoneinfo

from django import forms

from .models import DIGEST_NEEDS_EMAIL

TIME_ZONES = sorted(zoneinfo.available_timezones() - {"localtime", "Factory"})


class UserSettingsForm(forms.Form):
    """Email address, time zone, and a daily digest checkbox per organisation the user belongs to."""

    email = forms.EmailField(label="Email address", required=False,
                             help_text="Where the daily digest goes. Leave empty to get no email.")
    time_zone = forms.ChoiceField(label="Time zone", choices=[(name, name.replace("_", " ")) for name in TIME_ZONES],
                                  help_text="Times on your pages are shown in it.")

    def __init__(self, *args, user, memberships, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.memberships = memberships
        for membership in memberships:
            self.fields[f"digest_{membership.pk}"] = forms.BooleanField(
                label=f"Daily digest for {membership.tenant.name}" if len(memberships) > 1 else "Daily digest",
                required=False, initial=membership.digest_opt_in,
                help_text="One email a day listing the cases reimbursed the day before.",
            )

    def clean(self):
        cleaned = super().clean()
        if not (cleaned.get("email") or "").strip() and any(self.digests().values()) and "email" not in self.errors:
            self.add_error("email", DIGEST_NEEDS_EMAIL.format(user=self.user.get_username()))
        return cleaned

    def digests(self) -> dict[int, bool]:
        return {m.pk: bool(self.cleaned_data.get(f"digest_{m.pk}")) for m in self.memberships}
