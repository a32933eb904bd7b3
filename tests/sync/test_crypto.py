"""FIELD_ENCRYPTION_KEY: a wrong key stops the process at start; reencrypt_credentials rotates keys."""

import os
import subprocess

import pytest
from cryptography.fernet import Fernet
from django.core.management import CommandError, call_command

from sync.crypto import secret_decrypt, secret_encrypt
from sync.services import seller_account_set_credentials
from tests import factories
from tests.worker_helpers import ROOT

OLD, NEW, LOST = (Fernet.generate_key().decode() for _ in range(3))


def start_django(field_encryption_key: str) -> subprocess.CompletedProcess:
    environment = {**os.environ, "DEBUG": "true", "FIELD_ENCRYPTION_KEY": field_encryption_key}
    return subprocess.run([str(ROOT / ".venv/bin/python"), "-c", "import django; django.setup()"],
                          cwd=ROOT, env=environment, capture_output=True, text=True)


def stored(account) -> tuple[str, str]:
    account.refresh_from_db()
    return account.lwa_client_secret_encrypted, account.lwa_refresh_token_encrypted


def test_a_key_that_is_not_a_fernet_key_stops_the_process_at_start_naming_the_variable():
    wrong = start_django(f"{NEW},not-a-key")
    right = start_django(f"{NEW},{OLD}")

    assert wrong.returncode != 0
    assert "FIELD_ENCRYPTION_KEY: key 2 of 2 is not a Fernet key" in wrong.stderr
    assert right.returncode == 0, right.stderr


def test_reencrypt_credentials_moves_every_secret_to_the_newest_key_and_running_it_again_changes_nothing(
    acme_amazon, settings, capsys
):
    settings.FIELD_ENCRYPTION_KEY = OLD
    seller_account_set_credentials(seller_account=acme_amazon, client_id="amzn1.client", client_secret="s3cret",
                                   refresh_token="Atzr|token")
    settings.FIELD_ENCRYPTION_KEY = f"{NEW},{OLD}"

    call_command("reencrypt_credentials")
    first = stored(acme_amazon)
    call_command("reencrypt_credentials")

    assert [Fernet(NEW).decrypt(ciphertext.encode()) for ciphertext in first] == [b"s3cret", b"Atzr|token"]
    assert stored(acme_amazon) == first, "the second run leaves them as they are"
    out = capsys.readouterr().out.splitlines()
    assert out == ["2 secrets re-encrypted under the newest key, 0 already under it.",
                   "0 secrets re-encrypted under the newest key, 2 already under it."]
    settings.FIELD_ENCRYPTION_KEY = NEW
    assert secret_decrypt(ciphertext=first[0]) == "s3cret", "the old key can now be dropped"


def test_reencrypt_credentials_names_an_account_whose_secret_no_key_opens_and_still_rekeys_the_others(
    acme, settings
):
    settings.FIELD_ENCRYPTION_KEY = LOST
    lost = factories.make_seller_account(acme, "A1LOST", lwa_client_secret_encrypted=secret_encrypt(plain="gone"))
    settings.FIELD_ENCRYPTION_KEY = OLD
    kept = factories.make_seller_account(acme, "A1KEPT", lwa_client_secret_encrypted=secret_encrypt(plain="kept"))
    settings.FIELD_ENCRYPTION_KEY = f"{NEW},{OLD}"

    with pytest.raises(CommandError, match=r"1 secrets open with none of the keys .*A1LOST"):
        call_command("reencrypt_credentials")

    assert Fernet(NEW).decrypt(stored(kept)[0].encode()) == b"kept"
    assert stored(lost)[0] == lost.lwa_client_secret_encrypted
