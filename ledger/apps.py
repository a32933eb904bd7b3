from django.apps import AppConfig


class LedgerConfig(AppConfig):
    name = "ledger"
    verbose_name = "Inventory ledger and identified amounts"

    def ready(self):
        from cases.digest import digest_note_register

        from .digest import closing_note

        digest_note_register(closing_note)
