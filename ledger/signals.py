"""The ledger's answers to what the cases app tells it (`cases.signals`)."""

from .services import opportunities_detect


def detect_after_records_changed(sender, *, seller_account, fnskus, **kwargs) -> None:
    """Records of `fnskus` were added or voided: their opportunities are settled and valued again."""
    opportunities_detect(seller_account=seller_account, fnskus=fnskus)
