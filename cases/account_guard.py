"""The wrong-account guard: a report whose lines look like another seller account's is refused before any
of it is written.

Two signs, checked on the report's new lines: a currency the account's marketplace does not pay in
(`SellerAccount.currencies`), and case IDs that are cases of another account of the same tenant, more
of them than of this account's cases (a case recorded on the wrong account by mistake does not block
the right account's reports). Staff who really mean it override it; the run records who did.
"""

from dataclasses import dataclass

from django_scopes import scope

from accounts.models import MARKETPLACE_CURRENCIES, Marketplace, SellerAccount

from .sql.records import STAGED_CASE_OWNERS_SQL, STAGED_CURRENCIES_SQL


@dataclass(frozen=True)
class GuardProblem:
    """One sign: the first line showing it, the report column, what it shows."""

    line: int
    field: str
    message: str


class WrongAccount(Exception):
    """The report looks like another account's: nothing of it was written."""

    def __init__(self, *, seller_account: SellerAccount, looks_like: str, problems: list[GuardProblem]):
        self.seller_account, self.looks_like, self.problems = seller_account, looks_like, problems
        super().__init__(self.summary)

    @property
    def summary(self) -> str:
        return f"these lines look like {self.looks_like}, not {self.seller_account.label}"

    def describe(self) -> str:
        return "; ".join([self.summary, *(f"line {p.line}, {p.field}: {p.message}" for p in self.problems)])


def _lines(first: list[int], count: int) -> str:
    shown = ", ".join(str(line) for line in first)
    return f"line {shown}" if count == 1 else f"lines {shown}{', …' if count > len(first) else ''}"


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def _marketplace_named(currencies: set[str]) -> str:
    for (marketplace, region), paid_in in MARKETPLACE_CURRENCIES.items():
        if currencies <= set(paid_in):
            name = " ".join(part for part in (Marketplace(marketplace).label, region) if part)
            return f"{'an' if name[0] in 'AEIOU' else 'a'} {name} account (the tenant has no such account)"
    return f"an account of no marketplace we know (none pays in all of {', '.join(sorted(currencies))})"


def staged_account_check(*, cursor, seller_account: SellerAccount) -> WrongAccount | None:
    """The guard's verdict on the new lines in `sync_new_rows` (see `cases.sql.records`), or None if they
    look like this account's."""
    cursor.execute(STAGED_CURRENCIES_SQL)
    currencies = cursor.fetchall()
    paid_in = seller_account.currencies
    foreign = [(code, count, lines) for code, count, lines in currencies if code not in paid_in]
    with scope(tenant=seller_account.tenant_id):
        others = {
            account.pk: account
            for account in SellerAccount.objects.filter(tenant_id=seller_account.tenant_id)
            .exclude(pk=seller_account.pk).order_by("pk")
        }
    here, elsewhere = 0, []
    if others:
        cursor.execute(STAGED_CASE_OWNERS_SQL, {"tenant_id": seller_account.tenant_id})
        for account_id, count, lines, case_ids in cursor.fetchall():
            if account_id == seller_account.pk:
                here = count
            else:
                elsewhere.append((others[account_id], count, lines, case_ids))
        elsewhere.sort(key=lambda owner: (-owner[1], owner[0].pk))
    misplaced = bool(elsewhere) and elsewhere[0][1] > here
    if not foreign and not misplaced:
        return None

    problems = [
        GuardProblem(lines[0], "currency-unit",
                     f"{_plural(count, 'line')} in {code} ({_lines(lines, count)}): {seller_account.label} is paid in "
                     f"{', '.join(paid_in)}")
        for code, count, lines in foreign
    ]
    if misplaced:
        owner, count, lines, case_ids = elsewhere[0]
        problems.append(GuardProblem(
            lines[0], "case-id",
            f"{_plural(count, 'line')} ({_lines(lines, count)}) {'names' if count == 1 else 'name'} cases of {owner.label} "
            f"(case IDs {', '.join(case_ids)}{', …' if count > len(case_ids) else ''}); "
            f"{here} {'names' if here == 1 else 'name'} cases of {seller_account.label}",
        ))
    telling = {code for code, _, _ in foreign} or {code for code, _, _ in currencies}
    owners = [owner for owner, *_ in elsewhere]
    candidates = owners + [account for account in others.values() if account not in owners]
    fitting = [account for account in candidates if telling <= set(account.currencies)]
    if fitting:
        looks_like = fitting[0].label
    elif misplaced:
        looks_like = elsewhere[0][0].label
    else:
        looks_like = _marketplace_named(telling)
    return WrongAccount(seller_account=seller_account, looks_like=looks_like, problems=problems)
