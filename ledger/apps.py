from django.apps import AppConfig


class LedgerConfig(AppConfig):
    name = "ledger"
    verbose_name = "Inventory ledger and identified amounts"

    def ready(self):
        from cases.digest import digest_note_register
        from cases.signals import records_changed

        from .digest import closing_note
        from .signals import detect_after_records_changed

        digest_note_register(closing_note)
        records_changed.connect(detect_after_records_changed, dispatch_uid="ledger.detect_after_records_changed")
