"""Times show in the user's own time zone (`Profile.time_zone`), remembered in the session."""

import zoneinfo

from django.utils import timezone

from .models import Profile

TIME_ZONE_SESSION_KEY = "time_zone"


class UserTimeZoneMiddleware:
    """Activate the logged-in user's time zone for the request: read from their profile once a session."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.user.is_authenticated:
            timezone.deactivate()
            return self.get_response(request)
        name = request.session.get(TIME_ZONE_SESSION_KEY)
        if name is None:
            profile = Profile.objects.filter(user=request.user).first()
            name = request.session[TIME_ZONE_SESSION_KEY] = profile.time_zone if profile else "UTC"
        try:
            timezone.activate(zoneinfo.ZoneInfo(name))
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            timezone.deactivate()
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()
