"""A strict Content-Security-Policy on every page, and tenant pages kept out of every cache."""

import re

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.test import RequestFactory
from django.urls import reverse

from tests.factories import make_case

pytestmark = pytest.mark.django_db

INLINE = [
    re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I),
    re.compile(r"<style\b", re.I),
    re.compile(r"\sstyle=", re.I),
    re.compile(r"\son[a-z]+=", re.I),
    re.compile(r"javascript:", re.I),
]


def inline_code(html: str) -> list[str]:
    return [match.group() for pattern in INLINE for match in pattern.finditer(html)]


def seller_urls(tenant, case):
    return [
        reverse("cases:overall", args=[tenant.slug]),
        reverse("cases:reimbursed", args=[tenant.slug]),
        reverse("cases:detail", args=[tenant.slug, case.pk]),
        reverse("dashboard:index", args=[tenant.slug]),
    ]


def admin_urls(case):
    """Admin's index, a change form, the operations page, and every list and add form (an add form admin
    refuses is left out)."""
    urls = [reverse("admin:index"), reverse("admin:cases_case_change", args=[case.pk]), reverse("admin_operations")]
    for model, model_admin in admin.site._registry.items():
        meta = model._meta
        urls.append(reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist"))
        if model_admin.has_add_permission(_superuser_request()):
            urls.append(reverse(f"admin:{meta.app_label}_{meta.model_name}_add"))
    return urls


def _superuser_request():
    request = RequestFactory().get("/admin/")
    request.user = get_user_model()(is_staff=True, is_superuser=True, is_active=True)
    return request


def test_every_response_carries_a_strict_content_security_policy(client):
    policy = client.get(reverse("login"))["Content-Security-Policy"]

    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert directives["default-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert directives["object-src"] == "'none'"
    assert "unsafe" not in policy


def test_seller_pages_have_no_inline_script_or_style_the_policy_would_block(alice_client, acme, acme_amazon):
    case = make_case(acme_amazon)
    for url in seller_urls(acme, case) + [reverse("password_change"), reverse("login")]:
        response = alice_client.get(url)
        assert response.status_code == 200, url
        assert inline_code(response.content.decode()) == [], url


def test_admin_pages_have_no_inline_script_or_style_the_policy_would_block(staff_client, acme_amazon):
    case = make_case(acme_amazon)
    for url in admin_urls(case):
        response = staff_client.get(url)
        assert response.status_code == 200, url
        assert "unsafe" not in response["Content-Security-Policy"], url
        assert inline_code(response.content.decode()) == [], url


def test_the_admin_login_and_lockout_pages_have_no_inline_script_or_style(client):
    assert inline_code(client.get(reverse("admin:login")).content.decode()) == []
    for _ in range(6):
        locked = client.post(reverse("login"), {"username": "nobody", "password": "wrong"})
    assert locked.status_code == 429
    assert inline_code(locked.content.decode()) == []


def test_tenant_pages_and_the_csv_export_are_private_and_never_stored(alice_client, acme, acme_amazon):
    case = make_case(acme_amazon)
    urls = seller_urls(acme, case) + [reverse("cases:export", args=[acme.slug])]
    for url in urls:
        response = alice_client.get(url)
        assert response.status_code == 200, url
        cache_control = {part.strip() for part in response["Cache-Control"].split(",")}
        assert {"private", "no-store"} <= cache_control, url


def test_a_not_found_tenant_page_is_no_different_from_before(charlie_client, acme):
    assert charlie_client.get(reverse("cases:overall", args=[acme.slug])).status_code == 404
