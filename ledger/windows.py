"""The claim windows of DOMAIN's table (Amazon, since late 2024; Walmart Fulfillment Services), as days after
the event: (opens, closes). Staff edit them in admin (`ClaimWindow`); these are the defaults, used where no
row says otherwise. A lost or damaged unit opens at 30 days: Amazon pays most warehouse losses on its own
within about 30."""

from accounts.models import Marketplace
from cases.models import ReimbursementType as T

DEFAULT_WINDOWS: dict[tuple[str, str], tuple[int, int, str]] = {
    (Marketplace.AMAZON, T.LOST_WAREHOUSE): (30, 60, "60 days from when the loss was reported"),
    (Marketplace.AMAZON, T.DAMAGED_WAREHOUSE): (30, 60, "60 days from when the damage was reported"),
    (Marketplace.AMAZON, T.CUSTOMER_RETURN): (60, 120, "60–120 days after the refund (EU 45–105)"),
    (Marketplace.AMAZON, T.REMOVAL_ORDER): (15, 75, "15–75 days from shipment creation"),
    (Marketplace.AMAZON, T.LOST_INBOUND): (15, 60, "15–60 days after delivery"),
    (Marketplace.AMAZON, T.FEE_OVERCHARGE): (0, 90, "referral fee: 90 days"),
    (Marketplace.WALMART, T.LOST_INBOUND): (10, 50, "inbound discrepancy: 10–50 days after delivery"),
    (Marketplace.WALMART, T.CUSTOMER_RETURN): (0, 45, "return disputes within 45 days"),
}
FALLBACK = (30, 60)
"""A claim type no row and no default names: Amazon's lost or damaged in a warehouse."""


def default_window(marketplace: str, claim_type: str) -> tuple[int, int]:
    opens, closes, _ = DEFAULT_WINDOWS.get((marketplace, claim_type), (*FALLBACK, ""))
    return opens, closes
