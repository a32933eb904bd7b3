"""The address a login attempt counts against (django-axes locks a username at one address)."""

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def client_address(request: HttpRequest) -> str:
    """The peer's address; behind the TLS proxy, the address that proxy saw (its last X-Forwarded-For entry).

    Only the entry the trusted proxy appended is believed: the ones before it are whatever the client
    sent, and trusting them would let an attacker pick a fresh address for every guess.
    """
    if getattr(settings, "SECURE_PROXY_SSL_HEADER", None):
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        last = forwarded.split(",")[-1].strip()
        if last:
            return last
    return request.META.get("REMOTE_ADDR", "")


def locked_out_response(request: HttpRequest, original_response, credentials) -> HttpResponse:
    """The page both login forms answer while a username is locked at the caller's address (429)."""
    username = (credentials or {}).get("username") or request.POST.get("username", "")
    context = {
        "username": username,
        "failure_limit": settings.LOGIN_FAILURE_LIMIT,
        "lockout_minutes": settings.LOGIN_LOCKOUT_MINUTES,
    }
    return render(request, "registration/locked_out.html", context, status=429)
