"""The bench's bare page: the first 50 rows of Overall Cases from one indexed query, rendered with no more
than a template of one table. Outside the product's URLs (`devtools.bench_urls`, used only by the bench):
the floor the seller pages are measured against, in the same run."""

from django.db import connection
from django.http import Http404, HttpResponse
from django.template import engines
from django_scopes import scope

from accounts.models import Tenant

ROWS_SQL = """
SELECT c.id, c.marketplace_case_id, c.reimbursement_type, c.sku, c.asin, c.product_title, c.status,
    c.claimed_amount, c.recovered_amount, c.currency, c.date_filed, c.updated_at
FROM cases_case c
WHERE c.tenant_id = %s
ORDER BY c.date_filed DESC, c.id DESC
LIMIT 50
"""
"""The rows of Overall Cases' first page (its default sort, on the index `case_t_filed`)."""

TEMPLATE = engines["django"].from_string("""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Cases</title></head><body>
<table><thead><tr><th>Case ID</th><th>Type</th><th>Product</th><th>Status</th><th>Claimed</th><th>Recovered</th>
<th>Date filed</th><th>Last update</th></tr></thead><tbody>
{% for id, case_id, type, sku, asin, title, status, claimed, recovered, currency, filed, updated in rows %}
<tr><td>{{ case_id }}</td><td>{{ type }}</td><td>{{ title }}<br>{{ sku }} · {{ asin }}</td><td>{{ status }}</td>
<td>{{ claimed }} {{ currency }}</td><td>{{ recovered }} {{ currency }}</td><td>{{ filed|date:"SHORT_DATE_FORMAT" }}</td>
<td>{{ updated|date:"SHORT_DATE_FORMAT" }}</td></tr>
{% endfor %}
</tbody></table></body></html>""")


def bare_cases(request, tenant_slug: str) -> HttpResponse:
    """Membership is not checked (the bench's user is a member); the tenant is set for row-level security,
    which every seller page pays too."""
    tenant = Tenant.objects.filter(slug=tenant_slug).first()
    if tenant is None:
        raise Http404("No such page")
    with scope(tenant=tenant), connection.cursor() as cursor:
        cursor.execute(ROWS_SQL, [tenant.pk])
        rows = cursor.fetchall()
    return HttpResponse(TEMPLATE.render({"rows": rows}))
