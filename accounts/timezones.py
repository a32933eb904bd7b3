"""Times show in the user's own time zone (`Profile.time_zone`), remembered in the session."""

import zoneinfo

from django.utils import timezone

from .models import Profile

TIME_ZONE_SESSION_KEY = "time_zone"


def user_time_zone(user) -> str:
    profile = Profile.objects.filter(user=user).first()
    return profile.time_zone if profile else "UTC"


def remember_on_login(sender, request, user, **kwargs) -> None:
    """Receiver of user_logged_in: the session learns the user's time zone with the login's own write."""
    request.session[TIME_ZONE_SESSION_KEY] = user_time_zone(user)


class UserTimeZoneMiddleware:
    """Activate the logged-in user's time zone for the request, as the session remembers it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.user.is_authenticated:
            timezone.deactivate()
            return self.get_response(request)
        name = request.session.get(TIME_ZONE_SESSION_KEY)
        if name is None:  # a session from before time zones were remembered at login
            name = request.session[TIME_ZONE_SESSION_KEY] = user_time_zone(request.user)
        try:
            timezone.activate(zoneinfo.ZoneInfo(name))
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            timezone.deactivate()
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()
