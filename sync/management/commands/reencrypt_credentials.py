from django.core.management.base import BaseCommand, CommandError

from monitoring.progress import CommandProgress
from sync.rekey import credentials_reencrypt


class Command(BaseCommand):
    help = (
        "Re-encrypt every stored marketplace credential under the newest (first) FIELD_ENCRYPTION_KEY. "
        "Safe to run twice: secrets already under it are left as they are."
    )

    def handle(self, *args, **options):
        with CommandProgress(self.stdout, description="Re-encrypting credentials") as progress:
            result = credentials_reencrypt(progress=progress)
        self.stdout.write(f"{result.reencrypted} secrets re-encrypted under the newest key, "
                          f"{result.current} already under it.")
        if result.unreadable:
            raise CommandError(
                f"{len(result.unreadable)} secrets open with none of the keys in FIELD_ENCRYPTION_KEY "
                f"(left unchanged): {'; '.join(result.unreadable)}"
            )
