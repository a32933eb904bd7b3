from django_scopes.state import state

from .access import staff_scope
from .idle import session_idle_touch


class AdminScopesMiddleware:
    """Staff work on their teams' tenants in Django admin (superusers on all): `staff_scope` there, and only there.

    Every request starts with no tenant at all, whatever context the server (or a test) calls it
    in: a seller page sees its tenant's rows only through `tenant_view`.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = state.set(None)
        try:
            if request.path_info.startswith("/admin/") and request.user.is_staff:
                with staff_scope(request.user):
                    return self.get_response(request)
            return self.get_response(request)
        finally:
            state.reset(token)


class IdleTimeoutMiddleware:
    """End a session left unused too long (accounts.idle): each logged-in request restarts its clock."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            session_idle_touch(session=request.session, user=request.user)
        return self.get_response(request)
