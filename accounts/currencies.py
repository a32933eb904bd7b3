"""The currencies each marketplace pays its sellers in, as staff forms offer them
(`accounts.models.MARKETPLACE_CURRENCIES` is the table).

Amazon pays in the currency of the marketplace sold on, and an account's reports cover its whole
region (https://developer-docs.amazon.com/sp-api/docs/marketplace-ids): North America is the US,
Canada, Mexico and Brazil; Europe also covers the UK, Sweden, Poland, Turkey, the Middle East,
Egypt, India and South Africa; the Far East is Japan, Australia and Singapore. Walmart Fulfillment
Services is the US marketplace only.
"""

from .models import MARKETPLACE_CURRENCIES, Marketplace, SellerAccount


def marketplace_label(marketplace: str, region: str) -> str:
    """`Amazon NA`, `Walmart`: how the currency choices are grouped."""
    return " ".join(part for part in (Marketplace(marketplace).label, region) if part)


def account_currencies(account: SellerAccount) -> tuple[str, ...]:
    """The currencies `account`'s marketplace pays in; empty for an Amazon account without a region."""
    currencies = MARKETPLACE_CURRENCIES.get((account.marketplace, account.region))
    return currencies or MARKETPLACE_CURRENCIES.get((account.marketplace, ""), ())


def currency_choices() -> list[tuple[str, list[tuple[str, str]]]]:
    """Every marketplace's currencies, grouped by marketplace, for a select."""
    return [
        (marketplace_label(marketplace, region), [(code, code) for code in codes])
        for (marketplace, region), codes in MARKETPLACE_CURRENCIES.items()
    ]
