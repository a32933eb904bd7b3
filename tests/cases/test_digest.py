import datetime as dt
import smtplib
from decimal import Decimal

import pytest
from django.core import mail
from django.core.mail.backends import locmem
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from accounts.models import DigestSent, Membership
from accounts.rls import across_tenants
from cases.digest import DigestsNotSent, digest_cases, digest_send, one_line
from cases.models import CaseEvent, CaseStatus
from cases.services import case_transition
from tests.database_roles import admin_connect
from tests.factories import add_record, make_case, make_seller_account, make_user

pytestmark = pytest.mark.usefixtures("acme_scope")

S = CaseStatus


def today() -> dt.date:
    return timezone.now().astimezone(dt.UTC).date()


def opt_in(user, email: str):
    """Staff's job in admin, across tenants: the test may be in another tenant's scope."""
    user.email = email
    user.save(update_fields=["email"])
    with across_tenants(reason="test: staff turn a member's digest on"):
        Membership.objects.filter(user=user).update(digest_opt_in=True)
    return user


def backdate_history(case, *, days: int) -> None:
    """Move the case's history `days` back. A trigger refuses to update history, and the application's
    role may not switch triggers off: the cluster's superuser does it, for this one statement, on
    committed rows (so the test using it is transactional)."""
    with admin_connect() as conn, conn.transaction():
        conn.execute("SET LOCAL session_replication_role = replica")
        conn.execute("UPDATE cases_caseevent SET created_at = created_at - %s WHERE case_id = %s",
                     [dt.timedelta(days=days), case.pk])


@pytest.fixture
def alice_opted_in(alice):
    return opt_in(alice, "alice@acme.test")


def test_an_opted_in_member_gets_one_email_listing_the_reimbursed_case(alice_opted_in, acme, acme_amazon,
                                                                        mailoutbox, settings):
    settings.SITE_URL = "https://tracker.example"
    case = make_case(acme_amazon, units_claimed=2, claimed_amount=Decimal("40.00"), currency="USD")
    add_record(case, "20.00", cash=1)

    assert digest_send(day=today()).sent == 1

    assert len(mailoutbox) == 1
    email = mailoutbox[0]
    assert email.to == ["alice@acme.test"]
    assert case.marketplace_case_id in email.body
    assert "Amazon NA A1ACMEAMAZON" in email.body
    assert "Partially Reimbursed" in email.body
    assert "Recovered 20.00 USD of 40.00 USD claimed" in email.body
    assert "https://tracker.example" + reverse("cases:detail", args=[acme.slug, case.pk]) in email.body


def test_a_case_reimbursed_twice_in_the_day_is_listed_once_with_its_status_now(alice_opted_in, acme_amazon,
                                                                                 mailoutbox):
    case = make_case(acme_amazon, units_claimed=2)
    add_record(case, "20.00", cash=1)
    add_record(case, "20.00", cash=1)

    digest_send(day=today())

    assert mailoutbox[0].body.count(case.marketplace_case_id) == 1
    assert "Fully Reimbursed" in mailoutbox[0].body


@pytest.mark.django_db(transaction=True)
def test_a_reversal_that_takes_a_case_back_from_fully_reimbursed_is_not_listed(alice_opted_in, acme_amazon,
                                                                                 mailoutbox):
    case = make_case(acme_amazon, units_claimed=2, claimed_amount=Decimal("40.00"))
    add_record(case, "40.00", cash=2)
    backdate_history(case, days=2)
    add_record(case, "-20.00", cash=-1)
    assert CaseEvent.objects.filter(
        case=case, from_status=S.FULLY_REIMBURSED, to_status=S.PARTIALLY_REIMBURSED).exists()

    assert digest_cases(tenant=acme_amazon.tenant, day=today()) == []
    assert digest_send(day=today()).sent == 0
    assert mailoutbox == []


def test_a_member_who_did_not_opt_in_gets_nothing(alice, acme_amazon, mailoutbox):
    alice.email = "alice@acme.test"
    alice.save(update_fields=["email"])
    add_record(make_case(acme_amazon), "20.00", cash=1)

    assert digest_send(day=today()).sent == 0
    assert mailoutbox == []


def test_an_opted_in_member_without_an_email_address_is_skipped_and_named(alice, acme_amazon, mailoutbox):
    Membership.objects.filter(user=alice).update(digest_opt_in=True)
    add_record(make_case(acme_amazon), "20.00", cash=1)

    run = digest_send(day=today())

    assert (run.sent, run.without_email) == (0, ("alice (Acme)",))
    assert mailoutbox == []
    assert not DigestSent.objects.exists()


def test_the_command_says_who_was_skipped_for_want_of_an_email_address(alice_opted_in, acme, acme_amazon,
                                                                       mailoutbox, capsys):
    bob = make_user("bob", acme, email="   ")
    Membership.objects.filter(user=bob).update(digest_opt_in=True)
    add_record(make_case(acme_amazon), "20.00", cash=1)

    call_command("send_digests", "--day", today().isoformat())

    out = capsys.readouterr().out
    assert f"Digests of {today().isoformat()}: 1 sent." in out
    assert "1 skipped, opted in without an email address" in out
    assert "bob (Acme)" in out and "alice" not in out.split("sent.")[1]
    assert [email.to for email in mailoutbox] == [["alice@acme.test"]]


def test_a_deactivated_user_gets_no_digest(alice_opted_in, acme, acme_amazon, mailoutbox):
    gone = opt_in(make_user("bob", acme), "bob@acme.test")
    gone.is_active = False
    gone.save(update_fields=["is_active"])
    add_record(make_case(acme_amazon), "20.00", cash=1)

    run = digest_send(day=today())

    assert (run.sent, run.without_email) == (1, ())
    assert [email.to for email in mailoutbox] == [["alice@acme.test"]]
    assert not DigestSent.objects.filter(membership__user=gone).exists()


@pytest.mark.parametrize("name", ["Acme\nLtd", "Acme\r\nBcc: victim@evil.test", "Acme\x1b[31m\tLtd\u2028", "\x07\n"])
def test_a_tenant_name_with_line_breaks_or_control_characters_still_gets_its_digest(alice_opted_in, acme,
                                                                                    acme_amazon, mailoutbox, name):
    acme.name = name
    acme.save(update_fields=["name"])
    add_record(make_case(acme_amazon), "20.00", cash=1)

    assert digest_send(day=today()).sent == 1

    (email,) = mailoutbox
    subject = email.message()["Subject"]
    assert subject.endswith(f"1 case reimbursed on {today().isoformat()}")
    assert not any(char in subject for char in "\r\n\t\x07\x1b\u2028")
    assert "  " not in subject
    assert email.recipients() == ["alice@acme.test"]
    assert "Bcc" not in email.message() and "victim@evil.test" not in email.recipients()


def test_a_subject_keeps_the_tenant_name_on_one_line():
    assert one_line(" Acme\r\n\tLtd \x00\x1f Europe\u2029") == "Acme Ltd Europe"
    assert one_line("Société Générale 日本") == "Société Générale 日本"


def test_charlie_never_sees_alices_case_in_his_digest(alice_opted_in, charlie, acme_amazon, globex_amazon,
                                                      mailoutbox):
    opt_in(charlie, "charlie@globex.test")
    acme_case = make_case(acme_amazon)
    globex_case = make_case(globex_amazon)
    add_record(acme_case, "20.00", cash=1)
    add_record(globex_case, "20.00", cash=1)

    assert digest_send(day=today()).sent == 2

    charlies = next(email for email in mailoutbox if email.to == ["charlie@globex.test"])
    assert globex_case.marketplace_case_id in charlies.body
    assert acme_case.marketplace_case_id not in charlies.body
    assert "A1ACMEAMAZON" not in charlies.body


def test_a_member_of_a_tenant_where_nothing_moved_gets_nothing(alice_opted_in, charlie, acme_amazon,
                                                                globex_amazon, mailoutbox):
    opt_in(charlie, "charlie@globex.test")
    add_record(make_case(acme_amazon), "20.00", cash=1)

    digest_send(day=today())

    assert [email.to for email in mailoutbox] == [["alice@acme.test"]]


def test_running_it_twice_the_same_day_sends_one_email(alice_opted_in, acme_amazon, mailoutbox):
    add_record(make_case(acme_amazon), "20.00", cash=1)

    assert digest_send(day=today()).sent == 1
    assert digest_send(day=today()).sent == 0

    assert len(mailoutbox) == 1
    assert DigestSent.objects.get().day == today()


def test_no_email_when_nothing_was_reimbursed_that_day(alice_opted_in, acme_amazon, mailoutbox):
    add_record(make_case(acme_amazon), "20.00", cash=1)

    assert digest_send(day=today() - dt.timedelta(days=1)).sent == 0
    assert mailoutbox == []
    assert not DigestSent.objects.exists()


def test_not_eligible_and_closed_changes_are_not_listed(alice_opted_in, acme_amazon, staff_user, mailoutbox):
    not_eligible = make_case(acme_amazon)
    closed = make_case(acme_amazon)
    reimbursed_then_closed = make_case(acme_amazon, units_claimed=2)
    case_transition(case=not_eligible, to_status=S.NOT_ELIGIBLE, actor=staff_user, reason="Too old")
    case_transition(case=closed, to_status=S.CLOSED, actor=staff_user, reason="Done")
    assert digest_send(day=today()).sent == 0

    add_record(reimbursed_then_closed, "20.00", cash=1)
    add_record(closed, "0.00", cash=0, inventory=1)
    digest_send(day=today())

    body = mailoutbox[0].body
    assert reimbursed_then_closed.marketplace_case_id in body
    assert not_eligible.marketplace_case_id not in body
    assert closed.marketplace_case_id not in body


def test_the_query_count_does_not_grow_with_the_cases(alice_opted_in, acme, acme_amazon, mailoutbox,
                                                      django_assert_max_num_queries):
    other_account = make_seller_account(acme)
    for account in [acme_amazon, other_account] * 5:
        add_record(make_case(account), "20.00", cash=1)
    opt_in(make_user("bob", acme), "bob@acme.test")

    per_member_claim = 6
    per_tenant = 3  # the members, the tenant's cases, the ledger's windows closing (one query when none close)
    with django_assert_max_num_queries(per_tenant + 2 * per_member_claim):
        assert digest_send(day=today()).sent == 2
    assert mailoutbox[0].body.count("Case ") == 10


def test_the_command_sends_the_digests_of_the_day_named(alice_opted_in, acme_amazon, mailoutbox, capsys):
    add_record(make_case(acme_amazon), "20.00", cash=1)

    call_command("send_digests", "--day", today().isoformat())

    assert f"Digests of {today().isoformat()}: 1 sent." in capsys.readouterr().out
    assert len(mailoutbox) == 1


def test_staff_turn_the_digest_on_in_admin(admin_client, alice):
    membership = Membership.objects.get(user=alice)
    response = admin_client.get(reverse("admin:accounts_membership_change", args=[membership.pk]))
    assert "digest_opt_in" in response.content.decode()


class RefusingBackend(locmem.EmailBackend):
    """An SMTP server that refuses one address: the outside world, faked at its edge."""

    def send_messages(self, messages):
        if any("refused@" in address for message in messages for address in message.to):
            raise smtplib.SMTPRecipientsRefused({"refused@acme.test": (550, b"no such user")})
        return super().send_messages(messages)


def test_one_refused_address_does_not_stop_the_other_digests(alice_opted_in, acme, acme_amazon, settings):
    settings.EMAIL_BACKEND = "tests.cases.test_digest.RefusingBackend"
    opt_in(make_user("bob", acme), "refused@acme.test")
    add_record(make_case(acme_amazon, units_claimed=2), "20.00", cash=1)

    with pytest.raises(DigestsNotSent) as failure:
        digest_send(day=today())
    assert (failure.value.sent, failure.value.failed) == (1, 1)

    assert [m.to for m in mail.outbox] == [["alice@acme.test"]]
    assert DigestSent.objects.filter(membership__user__username="alice").exists()
    assert not DigestSent.objects.filter(membership__user__username="bob").exists()

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert digest_send(day=today()).sent == 1, "a retry sends only the digest that failed"
    assert [m.to for m in mail.outbox] == [["alice@acme.test"], ["refused@acme.test"]]


def test_the_command_fails_when_a_digest_could_not_be_sent(alice_opted_in, acme, acme_amazon, settings):
    settings.EMAIL_BACKEND = "tests.cases.test_digest.RefusingBackend"
    opt_in(make_user("bob", acme), "refused@acme.test")
    add_record(make_case(acme_amazon, units_claimed=2), "20.00", cash=1)

    with pytest.raises(CommandError, match="1 sent, 1 failed"):
        call_command("send_digests", "--day", today().isoformat())
