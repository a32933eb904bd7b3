from django.conf import settings
from django_scopes import scopes_disabled


class AdminScopesMiddleware:
    """Staff work across tenants in Django admin: lift the tenant scope there, and only there."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path_info.startswith("/admin/"):
            with scopes_disabled():
                return self.get_response(request)
        return self.get_response(request)


class IdleTimeoutMiddleware:
    """End a session left unused too long: STAFF_SESSION_IDLE_MINUTES for staff, SELLER_SESSION_IDLE_MINUTES else.

    Each request of a logged-in user sets the session to expire that long from now, so the limit
    counts from the last request, not from the login.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if user.is_authenticated:
            minutes = settings.STAFF_SESSION_IDLE_MINUTES if user.is_staff else settings.SELLER_SESSION_IDLE_MINUTES
            request.session.set_expiry(minutes * 60)
        return self.get_response(request)
