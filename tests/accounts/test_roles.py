"""`accounts.roles`: the reimbursement staff group carries exactly its permissions, however often it is ensured."""

import pytest
from django.contrib.auth.models import Group, Permission

from accounts.roles import STAFF_GROUP, STAFF_PERMISSIONS, staff_group_ensure

pytestmark = pytest.mark.django_db


def granted(group: Group) -> set[tuple[str, str]]:
    return set(group.permissions.values_list("content_type__app_label", "codename"))


def test_staff_group_gets_exactly_the_staff_permissions_and_loses_any_other():
    group = Group.objects.create(name=STAFF_GROUP)
    group.permissions.add(Permission.objects.get(content_type__app_label="cases", codename="delete_case"))
    staff_group_ensure()
    staff_group_ensure()
    assert Group.objects.filter(name=STAFF_GROUP).count() == 1
    assert granted(group) == {(app, codename) for app, codenames in STAFF_PERMISSIONS.items() for codename in codenames}


def test_staff_may_never_delete_a_case_a_record_or_history():
    codenames = {codename for _, codename in granted(staff_group_ensure())}
    assert not {"delete_case", "delete_reimbursementrecord", "delete_caseevent"} & codenames
