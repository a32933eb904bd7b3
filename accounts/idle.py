"""Sessions end after a time without requests: STAFF_SESSION_IDLE_MINUTES for staff, SELLER_SESSION_IDLE_MINUTES else.

The expiry is set at login and pushed back by requests, at most once a minute (REFRESH_SECONDS),
so a busy user costs one session write a minute rather than one per request, and a session ends
between a minute before and exactly at the limit after the last request.
"""

import time

from django.conf import settings
from django.contrib.sessions.backends.base import SessionBase

REFRESH_SECONDS = 60
_REFRESHED_AT = "idle_refreshed_at"


def idle_seconds(user) -> int:
    minutes = settings.STAFF_SESSION_IDLE_MINUTES if user.is_staff else settings.SELLER_SESSION_IDLE_MINUTES
    return minutes * 60


def session_idle_restart(*, session: SessionBase, user) -> None:
    """The session now ends the user's idle limit from now."""
    session.set_expiry(idle_seconds(user))
    session[_REFRESHED_AT] = int(time.time())


def session_idle_touch(*, session: SessionBase, user) -> None:
    """A request: restart the idle clock if its limit changed or it was last restarted a minute ago or more."""
    stale = time.time() - session.get(_REFRESHED_AT, 0) >= REFRESH_SECONDS
    if stale or session.get("_session_expiry") != idle_seconds(user):
        session_idle_restart(session=session, user=user)


def restart_on_login(sender, request, user, **kwargs) -> None:
    """Receiver of user_logged_in: a new session gets its idle limit before its first request."""
    session_idle_restart(session=request.session, user=user)
