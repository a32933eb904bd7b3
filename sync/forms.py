"""Forms of the reimbursement team's admin for connecting seller accounts to a marketplace."""

from django import forms

CLIENT_ID_PREFIX = "amzn1.application-oa2-client."
REFRESH_TOKEN_PREFIX = "Atzr|"


def _write_only(label: str, help_text: str) -> forms.CharField:
    """A secret typed in and never shown again: not pre-filled, not re-rendered after an error."""
    return forms.CharField(
        label=label, help_text=help_text, max_length=2000,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
    )


class SpApiCredentialsForm(forms.Form):
    """The seller's SP-API authorization, from the Login with Amazon app and Seller Central.

    Error messages never quote what was typed.
    """

    client_id = _write_only(
        "LWA client ID",
        f"From the Login with Amazon app in Seller Central; starts with “{CLIENT_ID_PREFIX}”.",
    )
    client_secret = _write_only("LWA client secret", "From the same Login with Amazon app.")
    refresh_token = _write_only(
        "Refresh token", f"Given when the seller authorized the app; starts with “{REFRESH_TOKEN_PREFIX}”."
    )

    def clean_client_id(self) -> str:
        value = self.cleaned_data["client_id"]
        if not value.startswith(CLIENT_ID_PREFIX):
            raise forms.ValidationError(
                f"This is not an LWA client ID: it should start with “{CLIENT_ID_PREFIX}”."
            )
        return value

    def clean_refresh_token(self) -> str:
        value = self.cleaned_data["refresh_token"]
        if not value.startswith(REFRESH_TOKEN_PREFIX):
            raise forms.ValidationError(
                f"This is not an LWA refresh token: it should start with “{REFRESH_TOKEN_PREFIX}”."
            )
        return value
