from django_scopes.state import state

from .idle import session_idle_touch
from .rls import across_tenants


class AdminScopesMiddleware:
    """Staff work across tenants in Django admin: lift the tenant scope there, and only there.

    Every request starts with no tenant at all, whatever context the server (or a test) calls it
    in: a seller page sees its tenant's rows only through `tenant_view`.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = state.set(None)
        try:
            if request.path_info.startswith("/admin/") and request.user.is_staff:
                with across_tenants(reason=f"staff admin: {request.user.get_username()} {request.method} "
                                           f"{request.path_info}"):
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
