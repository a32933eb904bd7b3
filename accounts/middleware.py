from django_scopes import scopes_disabled

from .idle import session_idle_touch


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
    """End a session left unused too long (accounts.idle): each logged-in request restarts its clock."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            session_idle_touch(session=request.session, user=request.user)
        return self.get_response(request)
