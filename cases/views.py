from django.http import HttpResponse

from accounts.access import tenant_view


@tenant_view
def overall_cases(request, tenant):
    return HttpResponse("todo")


export_cases = reimbursed_cases = overall_cases


@tenant_view
def case_detail(request, tenant, case_pk):
    return HttpResponse("todo")
