"""The reimbursement team's role in admin: a Django group and the permissions it carries.

Staff are Django staff users in this group, not superusers, so they can never delete a case, a
record or history. Permissions are named by app label and codename, so this module imports no
other app.
"""

from django.contrib.auth.models import Group, Permission

STAFF_GROUP = "Reimbursement staff"
STAFF_PERMISSIONS = {
    "accounts": [
        "view_tenant", "add_tenant", "change_tenant",
        "view_selleraccount", "add_selleraccount", "change_selleraccount",
        "view_membership", "add_membership", "change_membership", "delete_membership",
        "view_staffview",
    ],
    "cases": ["view_case", "add_case", "change_case", "view_reimbursementrecord", "add_reimbursementrecord",
              "view_caseevent"],
    "sync": ["view_syncrun"],
    "ledger": ["view_opportunity", "change_opportunity", "view_claimwindow", "change_claimwindow",
               "view_skuprice", "add_skuprice", "change_skuprice", "view_ledgerline"],
}
"""What the reimbursement team may do in admin: never delete a case, a record or history."""


def staff_group_ensure() -> Group:
    """The staff group with exactly STAFF_PERMISSIONS, created or corrected; safe to call again.

    Permissions exist only once `migrate` has run, so a missing one raises rather than leaving the
    group short of it.
    """
    group, _ = Group.objects.get_or_create(name=STAFF_GROUP)
    permissions = []
    for app_label, codenames in STAFF_PERMISSIONS.items():
        found = list(Permission.objects.filter(content_type__app_label=app_label, codename__in=codenames))
        missing = set(codenames) - {p.codename for p in found}
        if missing:
            raise LookupError(f"Permissions missing in {app_label}: {sorted(missing)}; run migrate first")
        permissions += found
    group.permissions.set(permissions)
    return group
