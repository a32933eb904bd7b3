"""Secrets at rest (marketplace credentials), encrypted with Fernet.

Keys come from `settings.FIELD_ENCRYPTION_KEY`: one or more Fernet keys, comma-separated, the first
used to encrypt and all of them tried to decrypt (so a key can be rotated: put the new key first,
run `manage.py reencrypt_credentials`, then drop the old one). The settings refuse a key that is
not a Fernet key at start. When it is empty, a key is derived from SECRET_KEY. Plain values never
leave this module except to the caller who asked.
"""

import base64
import hashlib
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.views.decorators.debug import sensitive_variables


class SecretUnreadable(Exception):
    """The ciphertext was made with a key we no longer have (or was tampered with)."""


@lru_cache(maxsize=4)
def _fernets(keys: str, secret_key: str) -> tuple[Fernet, ...]:
    """The keys, newest first."""
    raw_keys = [key.strip() for key in keys.split(",") if key.strip()]
    if not raw_keys:
        digest = hashlib.sha256(b"casetracker field encryption\x00" + secret_key.encode()).digest()
        raw_keys = [base64.urlsafe_b64encode(digest).decode()]
    try:
        return tuple(Fernet(key) for key in raw_keys)
    except ValueError:
        raise ImproperlyConfigured(
            "FIELD_ENCRYPTION_KEY must be Fernet keys (32 url-safe base64-encoded bytes), comma-separated"
        ) from None


def _current() -> MultiFernet:
    return MultiFernet(_fernets(settings.FIELD_ENCRYPTION_KEY, settings.SECRET_KEY))


def _newest() -> Fernet:
    return _fernets(settings.FIELD_ENCRYPTION_KEY, settings.SECRET_KEY)[0]


@sensitive_variables("plain")
def secret_encrypt(*, plain: str) -> str:
    """Ciphertext for a stored field; the empty string stays empty (nothing stored)."""
    if not plain:
        return ""
    return _current().encrypt(plain.encode()).decode()


@sensitive_variables()
def secret_decrypt(*, ciphertext: str) -> str:
    if not ciphertext:
        return ""
    try:
        return _current().decrypt(ciphertext.encode()).decode()
    except InvalidToken:
        raise SecretUnreadable("stored secret cannot be decrypted with the configured keys") from None


@sensitive_variables()
def secret_reencrypt(*, ciphertext: str) -> str | None:
    """The ciphertext encrypted under the newest key, or None when it already is (or is empty)."""
    if not ciphertext:
        return None
    try:
        _newest().decrypt(ciphertext.encode())
        return None
    except InvalidToken:
        pass
    try:
        return _current().rotate(ciphertext.encode()).decode()
    except InvalidToken:
        raise SecretUnreadable("stored secret cannot be decrypted with the configured keys") from None
