"""Re-encrypting stored marketplace credentials under the newest FIELD_ENCRYPTION_KEY."""

from dataclasses import dataclass, field

from django.db import transaction

from accounts.models import SellerAccount
from accounts.rls import across_tenants
from monitoring.progress import NO_PROGRESS
from sync.crypto import SecretUnreadable, secret_reencrypt

SECRET_FIELDS = ("lwa_client_secret_encrypted", "lwa_refresh_token_encrypted")


@dataclass
class Rekeyed:
    reencrypted: int = 0
    current: int = 0
    unreadable: list[str] = field(default_factory=list)
    """Labels of the accounts with a secret that none of the keys opens (left as they are)."""


def credentials_reencrypt(*, progress=NO_PROGRESS) -> Rekeyed:
    """Re-encrypt every stored secret that is not under the newest key; count those that already are.

    Each account is rewritten in its own transaction under a row lock, so credentials stored
    meanwhile are never overwritten with older ones. Running it again re-encrypts nothing.
    """
    result = Rekeyed()
    with across_tenants(reason="reencrypt_credentials: every account's secrets"):
        pks = list(SellerAccount.objects.order_by("pk").values_list("pk", flat=True))
        progress.set_total(len(pks))
        for pk in pks:
            progress.advance()
            with transaction.atomic():
                account = SellerAccount.objects.select_for_update().get(pk=pk)
                changed = []
                for name in SECRET_FIELDS:
                    ciphertext = getattr(account, name)
                    if not ciphertext:
                        continue
                    try:
                        new = secret_reencrypt(ciphertext=ciphertext)
                    except SecretUnreadable:
                        result.unreadable.append(f"{account.label} ({name})")
                        continue
                    if new is None:
                        result.current += 1
                    else:
                        setattr(account, name, new)
                        changed.append(name)
                if changed:
                    account.save(update_fields=changed)
                    result.reencrypted += len(changed)
    return result
