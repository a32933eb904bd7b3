"""The server-error page: a database that is briefly unavailable or too slow answers 503, not 500."""

import sys

from django.db import InterfaceError, OperationalError
from django.views.decorators.csrf import requires_csrf_token
from django.views.defaults import server_error as django_server_error

RETRY_AFTER_SECONDS = 30


@requires_csrf_token
def server_error(request):
    """`handler500`. A database error that retrying can cure (a statement or lock timeout, a lost
    connection, a restarting server) gets 503 with Retry-After; anything else Django's 500."""
    error = sys.exc_info()[1]
    if isinstance(error, OperationalError | InterfaceError):
        response = django_server_error(request, template_name="503.html")
        response.status_code = 503
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
    return django_server_error(request)
