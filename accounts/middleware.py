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
