from django.http import HttpResponse

from accounts.access import tenant_view


@tenant_view
def dashboard(request, tenant):
    return HttpResponse("todo")
