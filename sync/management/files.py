"""What the file-import commands share: the file and seller account arguments, the account they name, the file."""

import contextlib
import os
import sys

from django.core.management.base import CommandError

from accounts.models import Marketplace, SellerAccount
from accounts.rls import across_tenants


def add_file_arguments(parser, *, what: str) -> None:
    """The file (`-` for standard input) and `--seller-account`; `what` names the file in the help."""
    parser.add_argument("path", help=f"the {what} file, or - to read standard input")
    parser.add_argument("--seller-account", required=True, metavar="SELLER_ID",
                        help=f"the Amazon seller ID of the account the {what} belongs to")


def amazon_account(external_id: str, *, command: str) -> SellerAccount:
    """The Amazon seller account with this seller ID, whatever its tenant: an operator's command names no
    tenant, the account it names gives it."""
    with across_tenants(reason=f"{command}: the tenant of seller account {external_id}"):
        try:
            return SellerAccount.objects.get(marketplace=Marketplace.AMAZON, external_id=external_id)
        except SellerAccount.DoesNotExist:
            raise CommandError(f"No Amazon seller account with seller ID {external_id!r}.") from None


def source_name(path: str) -> str:
    """The file as runs and messages name it."""
    return "standard input" if path == "-" else os.path.basename(path)


def open_file(path: str):
    """The file, or standard input for `-`, as bytes; a file that cannot be read is a `CommandError`."""
    if path == "-":
        return contextlib.nullcontext(sys.stdin.buffer)
    try:
        return open(path, "rb")
    except OSError as error:
        raise CommandError(f"Cannot read {path}: {error.strerror}.") from None
