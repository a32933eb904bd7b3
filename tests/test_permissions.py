"""The permission matrix over every seller URL. A new URL pattern fails this file until it has an entry.

Each entry names the foreign identifiers the URL takes: a tenant slug and a case id in its path, and
the query parameters that name an object (`query`). Every one of them is tried with another tenant's
value, as a member of the URL's tenant, with scopes and row-level security on.
"""

import re
from dataclasses import dataclass

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django_scopes import ScopeError, scope

from cases.filters import CaseFilter
from cases.models import Case
from cases.pagination import cursor_encode, sort_parse
from cases.tables import DEFAULT_SORT, SORT_COLUMNS
from tests.factories import make_case


@dataclass(frozen=True)
class Entry:
    tenant: bool = True
    case: bool = False
    own_settings: bool = False
    """The user's own settings: they may post them (only their own: tests/accounts/test_settings.py)."""
    query: tuple[str, ...] = ()
    """Query parameters naming an object (an id, or a cursor holding one)."""


LIST_QUERY = ("seller_account", "cursor")
MATRIX = {
    "home": Entry(tenant=False),
    "settings": Entry(tenant=False, own_settings=True),
    "cases:overall": Entry(query=LIST_QUERY),
    "cases:export": Entry(query=("seller_account",)),
    "cases:reimbursed": Entry(query=LIST_QUERY),
    "cases:reimbursed_export": Entry(query=("seller_account",)),
    "cases:detail": Entry(case=True),
    "dashboard:index": Entry(query=("account",)),
    "ledger:identified": Entry(query=("account",)),
    "ledger:export": Entry(query=("account",)),
}


def foreign_value(param: str, case: Case) -> str:
    """The value of `param` that names `case` (another tenant's) or its seller account."""
    if param == "cursor":
        return cursor_encode(sort=sort_parse(None, columns=SORT_COLUMNS, default=DEFAULT_SORT), after=True, row=case)
    return str(case.seller_account_id)


def missing_value(param: str, case: Case) -> str:
    """A value of `param` naming nothing at all, to compare the answers with."""
    return str(case.seller_account_id + 10_000)


QUERY_PARAMS = [(name, param) for name, entry in MATRIX.items() for param in entry.query]

EXEMPT = {
    "login", "logout", "password_change", "password_change_done", "password_reset", "password_reset_done",
    "password_reset_confirm", "password_reset_complete",
}
"""Django's own auth views under accounts/: public or per-user by design, never per tenant."""

EXEMPT_PREFIXES = ("admin/",)
"""Django admin guards itself (staff only); `test_a_standard_user_cannot_enter_admin` checks it."""

TENANT_URLS = [name for name, entry in MATRIX.items() if entry.tenant]
CASE_URLS = [name for name, entry in MATRIX.items() if entry.case]


def url_patterns(resolver=None, prefix="", namespace=""):
    """(route, name) of every URL pattern, names with their namespace (`cases:detail`)."""
    for pattern in (resolver or get_resolver()).url_patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            inner = ":".join(part for part in (namespace, pattern.namespace) if part)
            yield from url_patterns(pattern, route, inner)
        elif isinstance(pattern, URLPattern):
            name = f"{namespace}:{pattern.name}" if namespace and pattern.name else pattern.name
            yield route, name


def url(name, tenant=None, case=None):
    entry = MATRIX[name]
    args = [tenant.slug] if entry.tenant else []
    if entry.case:
        args.append(case.pk)
    return reverse(name, args=args)


def without_csrf(response) -> bytes:
    """The page with its per-request CSRF token blanked, so two responses can be compared."""
    return re.sub(rb'name="csrfmiddlewaretoken" value="[^"]+"', b"", response.content)


@pytest.fixture
def acme_case(acme_amazon):
    return make_case(acme_amazon)


@pytest.fixture
def globex_case(globex_amazon):
    return make_case(globex_amazon)


def test_every_url_pattern_has_an_entry_in_the_matrix():
    missing = [
        f"{route} ({name})" for route, name in url_patterns()
        if not route.startswith(EXEMPT_PREFIXES) and name not in MATRIX and name not in EXEMPT
    ]
    assert missing == [], "add these URLs to the permission matrix in tests/test_permissions.py"


def test_every_filter_naming_an_object_is_in_the_matrix_of_the_list_urls():
    """A new filter on an id (a ForeignKey's column) must be tried with another tenant's value."""
    naming = {name for name, f in CaseFilter.base_filters.items() if (f.field_name or "").endswith("_id")}
    assert naming == {"seller_account"}
    for name in ("cases:overall", "cases:reimbursed", "cases:export", "cases:reimbursed_export"):
        assert naming <= set(MATRIX[name].query), name


def test_the_matrix_names_no_url_that_is_gone():
    names = {name for _, name in url_patterns()}
    assert set(MATRIX) <= names


@pytest.mark.parametrize("name", MATRIX)
def test_a_member_gets_the_page(alice_client, acme, acme_case, name):
    response = alice_client.get(url(name, acme, acme_case), follow=True)
    assert response.status_code == 200
    if MATRIX[name].tenant:
        assert response.redirect_chain == []


@pytest.mark.parametrize("name", TENANT_URLS)
def test_another_tenants_user_gets_404(charlie_client, acme, acme_case, globex_case, name):
    response = charlie_client.get(url(name, acme, acme_case))
    assert response.status_code == 404


@pytest.mark.parametrize("name", TENANT_URLS)
def test_another_tenant_answers_exactly_like_a_tenant_that_does_not_exist(
    charlie_client, acme, acme_case, globex_case, name
):
    theirs = charlie_client.get(url(name, acme, acme_case))
    nowhere = charlie_client.get(url(name, acme, acme_case).replace("/t/acme/", "/t/no-such-tenant/"))
    assert (theirs.status_code, without_csrf(theirs)) == (nowhere.status_code, without_csrf(nowhere))
    assert b"Acme" not in theirs.content


@pytest.mark.parametrize("name", CASE_URLS)
def test_another_tenants_case_under_my_own_slug_is_404(alice_client, acme, globex_case, name):
    response = alice_client.get(url(name, acme, globex_case))
    assert response.status_code == 404


def content(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else without_csrf(response)


@pytest.mark.parametrize(("name", "param"), QUERY_PARAMS)
def test_another_tenants_identifier_in_the_query_shows_nothing_of_it(
    alice_client, acme, acme_case, globex_case, name, param
):
    path = url(name, acme, acme_case)
    value = foreign_value(param, globex_case)
    theirs = alice_client.get(path, {param: value})
    body = content(theirs)
    assert theirs.status_code in (200, 400, 404)
    for secret in (globex_case.marketplace_case_id, globex_case.seller_account.external_id, "Globex"):
        assert secret.encode() not in body, f"{name}?{param}= shows {secret}"
    if param != "cursor":  # a cursor is a position: it may start the page anywhere, but never shows the row
        missing = missing_value(param, globex_case)
        nothing = alice_client.get(path, {param: missing})
        assert (theirs.status_code, body.replace(value.encode(), b"ID")) == (
            nothing.status_code, content(nothing).replace(missing.encode(), b"ID")), (
            f"{name}?{param}= answers another tenant's identifier unlike one that does not exist")


@pytest.mark.parametrize("name", CASE_URLS)
def test_a_case_that_does_not_exist_is_404(alice_client, acme, acme_case, name):
    response = alice_client.get(reverse(name, args=[acme.slug, acme_case.pk + 10_000]))
    assert response.status_code == 404


def test_home_sends_a_member_to_their_own_tenant_only(charlie_client, acme, globex):
    response = charlie_client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"] == reverse("cases:overall", args=[globex.slug])


@pytest.mark.parametrize("name", MATRIX)
def test_logged_out_visitors_are_sent_to_login(client, acme, acme_case, name):
    target = url(name, acme, acme_case)
    response = client.get(target)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
@pytest.mark.parametrize("name", [name for name, entry in MATRIX.items() if not entry.own_settings])
def test_a_member_cannot_write(alice_client, acme, acme_case, name, method):
    response = getattr(alice_client, method)(url(name, acme, acme_case))
    assert response.status_code in (403, 405)


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
@pytest.mark.parametrize("name", [name for name, entry in MATRIX.items() if entry.own_settings])
def test_own_settings_take_only_a_form_post(alice_client, acme, acme_case, name, method):
    assert getattr(alice_client, method)(url(name, acme, acme_case)).status_code == 405


@pytest.mark.parametrize("path", ["/admin/", "/admin/cases/case/", "/admin/accounts/tenant/", "/admin/operations/"])
def test_a_standard_user_cannot_enter_admin(alice_client, path):
    response = alice_client.get(path, follow=True)
    assert response.redirect_chain
    assert response.redirect_chain[0][0].startswith("/admin/login/")
    assert response.request["PATH_INFO"] == "/admin/login/"
    assert "Site administration" not in response.content.decode()


def test_a_query_that_forgets_the_tenant_raises_outside_admin(acme_amazon):
    make_case(acme_amazon)
    with scope():  # what a view, task or command runs in without naming a tenant
        with pytest.raises(ScopeError):
            list(Case.objects.all())
        with pytest.raises(ScopeError):
            Case.objects.count()
