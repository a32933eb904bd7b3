"""Production settings pass Django's deployment checklist, warnings included; password reset is gone."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from django.urls import NoReverseMatch, reverse

ROOT = Path(__file__).resolve().parents[2]


def test_check_deploy_is_clean_at_warning_level_with_production_settings():
    env = {
        key: value for key, value in os.environ.items()
        if not key.startswith(("DEBUG", "SECURE_", "SESSION_", "CSRF_", "DJANGO_"))
    }
    env.update({
        "DEBUG": "false",
        "SECRET_KEY": "a-long-random-production-secret-" + Fernet.generate_key().decode(),
        "FIELD_ENCRYPTION_KEY": Fernet.generate_key().decode(),
        "ALLOWED_HOSTS": "cases.example.com",
        "DJANGO_SETTINGS_MODULE": "casetracker.settings",
    })

    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.django_db
@pytest.mark.parametrize("path", [
    "/accounts/password_reset/",
    "/accounts/password_reset/done/",
    "/accounts/reset/MQ/set-password/",
    "/accounts/reset/done/",
])
def test_password_reset_is_not_offered(client, path):
    assert client.get(path).status_code == 404
    assert client.post(path, {"email": "alice@example.com"}).status_code == 404


def test_admin_has_no_password_reset_link_to_show():
    """Admin's login shows "Forgotten your password?" only when a URL named admin_password_reset exists."""
    with pytest.raises(NoReverseMatch):
        reverse("admin_password_reset")


@pytest.mark.django_db
def test_the_login_pages_link_to_no_password_reset(client):
    for path in ["/accounts/login/", "/admin/login/"]:
        assert "reset" not in client.get(path).content.decode().lower()
