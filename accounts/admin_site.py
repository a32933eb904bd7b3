"""The admin site: staff get in with their password and a code from their authenticator app."""

from django_otp.admin import OTPAdminSite


class OTPRequiredAdminSite(OTPAdminSite):
    """django-otp's admin site under the usual name, so `admin:` URLs and `admin.site` stay as they were.

    A staff member without a confirmed device, or whose session was not verified with one, is
    treated as not staff: sent to the admin login, which asks for the code. Operators enrol a
    device with `manage.py otp_enrol USERNAME`.
    """

    site_header = "Case Tracker administration"
    site_title = "Case Tracker admin"

    def __init__(self, name: str = "admin"):
        super().__init__(name)
