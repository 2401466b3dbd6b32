"""Roles by invitation: facilitators invite and manage people; nobody raises their own role."""

import re
import smtplib
from datetime import timedelta

import pytest
from django.core import mail
from django.db import DatabaseError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from sixways.accounts.models import QueuedEmail, RoleInvitation
from sixways.core.models import AuditEntry
from sixways.partnerships.models import Membership, Role
from tests.conftest import PASSWORD, make_user


def invite(client, partnership, email="new@eastvale.example", role=Role.OBSERVER, **extra):
    return client.post(
        reverse("accounts:invite", args=[partnership.pk]), {"email": email, "role": role, **extra}
    )


def token_from_email() -> str:
    return re.search(r"/accounts/invitation/([^/\s]+)/", mail.outbox[-1].body).group(1)


def test_a_facilitator_invites_someone_by_email(client, facilitator, partnership):
    client.force_login(facilitator)
    response = invite(client, partnership, "New.Person@Eastvale.example")
    assert response["Location"] == reverse("accounts:people", args=[partnership.pk])
    message = mail.outbox[-1]
    assert message.to == ["new.person@eastvale.example"]
    assert "observer of Eastvale Place Partnership" in message.body
    invitation = RoleInvitation.objects.get()
    token = token_from_email()
    assert len(token) >= 43  # 256 bits
    assert token not in invitation.token_hash  # only the hash is kept
    page = client.get(reverse("accounts:people", args=[partnership.pk])).content.decode()
    assert "new.person@eastvale.example" in page
    entry = AuditEntry.objects.get(action="invitation.sent")
    assert entry.actor == facilitator and entry.partnership == partnership


def test_the_invitation_form_explains_what_is_wrong(client, facilitator, partnership, observer):
    client.force_login(facilitator)
    page = invite(client, partnership, "not-an-address", role="").content.decode()
    assert "Enter an email address in the correct format" in page
    assert "Select a role" in page
    page = invite(client, partnership, observer.email).content.decode()
    assert "already has a role in this partnership" in page
    page = invite(client, partnership, role=Role.PARTNER_LEAD).content.decode()
    assert "Select the organisation they lead for" in page
    page = invite(client, partnership, role="administrator").content.decode()
    assert "Select a valid choice" in page
    assert not RoleInvitation.objects.exists()


def test_a_partner_lead_is_tied_to_one_of_the_partners(
    client, facilitator, partnership, organisations
):
    client.force_login(facilitator)
    invite(client, partnership, role=Role.PARTNER_LEAD, organisation=organisations[1].pk)
    assert RoleInvitation.objects.get().organisation == organisations[1]


def test_a_new_person_accepts_and_makes_an_account(client, facilitator, partnership):
    client.force_login(facilitator)
    invite(client, partnership, role=Role.OBSERVER)
    token = token_from_email()
    client.logout()
    url = reverse("accounts:invitation", args=[token])
    page = client.get(url).content.decode()
    assert "You are invited to be an observer of Eastvale Place Partnership" in page
    weak = client.post(url, {"password": "password1234"}).content.decode()
    assert "This password is too common" in weak
    response = client.post(url, {"password": "lantern-orchard-pebble"})
    assert response["Location"] == reverse("partnerships:home")
    membership = Membership.objects.get(user__email="new@eastvale.example")
    assert membership.role == Role.OBSERVER
    assert client.session["_auth_user_id"] == str(membership.user_id)
    # The link works once.
    client.logout()
    assert client.get(url).status_code == 404


def test_someone_with_an_account_signs_in_to_accept(client, facilitator, partnership, outsider):
    client.force_login(facilitator)
    invite(client, partnership, outsider.email, Role.OBSERVER)
    token = token_from_email()
    client.logout()
    url = reverse("accounts:invitation", args=[token])
    page = client.get(url).content.decode()
    assert "Sign in to accept" in page
    # No password can be set for an existing account through the invitation.
    client.post(url, {"password": "lantern-orchard-pebble"})
    outsider.refresh_from_db()
    assert outsider.check_password(PASSWORD)
    client.force_login(outsider)
    client.post(url)
    assert Membership.objects.get(user=outsider, partnership=partnership).role == Role.OBSERVER


def test_only_the_invited_address_can_accept(client, facilitator, partnership, outsider):
    client.force_login(facilitator)
    invite(client, partnership, "someone.else@eastvale.example", Role.FACILITATOR)
    token = token_from_email()
    client.force_login(outsider)
    url = reverse("accounts:invitation", args=[token])
    assert client.get(url).status_code == 403
    assert client.post(url).status_code == 403
    assert not Membership.objects.filter(user=outsider, partnership=partnership).exists()


def test_wrong_expired_and_withdrawn_invitations_look_the_same(client, facilitator, partnership):
    client.force_login(facilitator)
    invite(client, partnership, "a@eastvale.example")
    expired = token_from_email()
    RoleInvitation.objects.update(expires_at=timezone.now() - timedelta(minutes=1))
    invite(client, partnership, "b@eastvale.example")
    withdrawn = token_from_email()
    client.post(
        reverse(
            "accounts:withdraw",
            args=[partnership.pk, RoleInvitation.objects.get(email="b@eastvale.example").pk],
        )
    )
    client.logout()
    pages = {
        client.get(reverse("accounts:invitation", args=[token])).content
        for token in (expired, withdrawn, "made-up-token", "x" * 500)
    }
    assert len(pages) == 1
    assert b"This invitation link does not work" in pages.pop()


def test_a_facilitator_changes_someone_elses_role(client, facilitator, partnership, observer):
    client.force_login(facilitator)
    membership = observer.memberships.get()
    url = reverse("accounts:change-role", args=[partnership.pk, membership.pk])
    response = client.post(url, {"role": Role.FACILITATOR})
    assert response.status_code == 302
    membership.refresh_from_db()
    assert membership.role == Role.FACILITATOR
    assert AuditEntry.objects.get(action="role.changed").detail == "From observer to facilitator"


def test_nobody_can_change_their_own_role(client, facilitator, partnership, observer):
    client.force_login(facilitator)
    own = facilitator.memberships.get()
    for name in ("accounts:change-role", "accounts:remove"):
        url = reverse(name, args=[partnership.pk, own.pk])
        assert client.get(url).status_code == 404
        assert client.post(url, {"role": Role.OBSERVER}).status_code == 404
    own.refresh_from_db()
    assert own.role == Role.FACILITATOR


@pytest.mark.parametrize("persona", ["observer", "partner_lead"])
def test_readers_cannot_raise_their_own_role(client, request, partnership, persona):
    user = request.getfixturevalue(persona)
    client.force_login(user)
    mine = user.memberships.get()
    attempts = [
        (reverse("accounts:change-role", args=[partnership.pk, mine.pk]), {"role": "facilitator"}),
        (
            reverse("accounts:invite", args=[partnership.pk]),
            {"email": user.email, "role": "facilitator"},
        ),
        (reverse("accounts:people", args=[partnership.pk]), {}),
    ]
    for url, data in attempts:
        assert client.get(url).status_code == 404
        assert client.post(url, data).status_code == 404
    mine.refresh_from_db()
    assert mine.role == persona.replace("_", "-")
    assert not RoleInvitation.objects.exists()


def test_an_invitation_to_yourself_cannot_be_used_to_change_your_role(
    client, facilitator, partnership
):
    """A facilitator is already the highest role in a partnership; the invitation form refuses
    people who have a role, so there is no way round another facilitator."""
    client.force_login(facilitator)
    page = invite(client, partnership, facilitator.email, Role.OBSERVER).content.decode()
    assert "already has a role in this partnership" in page


def test_a_facilitator_removes_someone(client, facilitator, partnership, observer):
    client.force_login(facilitator)
    membership = observer.memberships.get()
    url = reverse("accounts:remove", args=[partnership.pk, membership.pk])
    assert "Remove observer@eastvale.example" in client.get(url).content.decode()
    client.post(url)
    assert not observer.memberships.exists()
    theirs = Client()
    theirs.force_login(observer)
    assert partnership.name not in theirs.get(reverse("partnerships:home")).content.decode()


def test_the_activity_log_shows_who_did_what(client, facilitator, partnership, observer):
    client.force_login(facilitator)
    invite(client, partnership, "c@eastvale.example")
    page = client.get(reverse("accounts:activity", args=[partnership.pk])).content.decode()
    assert "Invited someone to a role" in page  # the action in words, not its code
    assert facilitator.email in page
    assert "To c@eastvale.example as observer" in page


def test_only_the_partnerships_facilitators_read_its_activity_log(
    client, partnership, observer, partner_lead, outsider
):
    url = reverse("accounts:activity", args=[partnership.pk])
    for user in (observer, partner_lead, outsider):
        client.force_login(user)
        assert client.get(url).status_code == 404


def test_the_audit_api_records_who_what_when_and_on_what(rf, facilitator, partnership):
    from sixways.core import audit

    request = rf.post("/")
    request.user = facilitator
    entry = audit.record(request, "round.closed", partnership, partnership, detail="By hand")
    assert (entry.actor, entry.action, entry.partnership) == (
        facilitator,
        "round.closed",
        partnership,
    )
    assert entry.target == "Eastvale Place Partnership"
    assert entry.target_type == "partnerships.partnership"
    assert entry.at is not None
    assert audit.record(None, "retention.applied").actor is None


def test_your_account_lists_your_roles(client, facilitator, partnership):
    client.force_login(facilitator)
    page = client.get(reverse("accounts:account")).content.decode()
    assert "Eastvale Place Partnership" in page
    assert reverse("accounts:people", args=[partnership.pk]) in page


def test_an_account_made_by_invitation_can_be_a_facilitator(client, django_user_model, partnership):
    facilitator = make_user(django_user_model, "f2@eastvale.example", partnership)
    client.force_login(facilitator)
    invite(client, partnership, "f3@eastvale.example", Role.FACILITATOR)
    token = token_from_email()
    client.logout()
    client.post(
        reverse("accounts:invitation", args=[token]), {"password": "lantern-orchard-pebble"}
    )
    assert Membership.objects.get(user__email="f3@eastvale.example").role == Role.FACILITATOR


# --- An invitation never outlives a change to the person's role -----------------------------


def leftover_invitation(partnership, email, role, invited_by=None) -> str:
    """An invitation still open from before (made directly: the invitation form refuses people
    who already have a role)."""
    _, token = RoleInvitation.issue(partnership, email, role, invited_by=invited_by)
    return token


def test_changing_someones_role_withdraws_their_open_invitations(
    client, facilitator, partnership, observer
):
    token = leftover_invitation(partnership, observer.email, Role.FACILITATOR)
    client.force_login(facilitator)
    client.post(
        reverse("accounts:change-role", args=[partnership.pk, observer.memberships.get().pk]),
        {"role": Role.OBSERVER},
    )
    theirs = Client()
    theirs.force_login(observer)
    url = reverse("accounts:invitation", args=[token])
    assert theirs.get(url).status_code == 404
    assert theirs.post(url).status_code == 404
    assert observer.memberships.get().role == Role.OBSERVER
    assert not RoleInvitation.objects.exists()
    withdrawn = AuditEntry.objects.get(action="invitation.withdrawn")
    assert withdrawn.actor == facilitator and observer.email in withdrawn.detail


def test_removing_someone_withdraws_their_open_invitations(
    client, facilitator, partnership, observer
):
    token = leftover_invitation(partnership, observer.email.upper(), Role.FACILITATOR)
    client.force_login(facilitator)
    client.post(reverse("accounts:remove", args=[partnership.pk, observer.memberships.get().pk]))
    theirs = Client()
    theirs.force_login(observer)
    assert theirs.post(reverse("accounts:invitation", args=[token])).status_code == 404
    assert not observer.memberships.exists()
    assert AuditEntry.objects.filter(action="invitation.withdrawn").count() == 1


def test_inviting_an_address_again_replaces_its_open_invitation(client, facilitator, partnership):
    client.force_login(facilitator)
    invite(client, partnership, "new@eastvale.example", Role.FACILITATOR)
    first = token_from_email()
    response = invite(client, partnership, "New@Eastvale.example", Role.OBSERVER)
    second = token_from_email()
    page = client.get(response["Location"]).content.decode()
    assert "The earlier invitation to new@eastvale.example no longer works" in page
    invitation = RoleInvitation.objects.get()
    assert invitation.role == Role.OBSERVER
    client.logout()
    assert client.get(reverse("accounts:invitation", args=[first])).status_code == 404
    assert client.get(reverse("accounts:invitation", args=[second])).status_code == 200
    assert AuditEntry.objects.filter(action="invitation.withdrawn").count() == 1


def test_the_database_keeps_one_open_invitation_per_address(facilitator, partnership):
    from django.db import IntegrityError, transaction

    leftover_invitation(partnership, "new@eastvale.example", Role.OBSERVER)
    with pytest.raises(IntegrityError), transaction.atomic():
        leftover_invitation(partnership, "new@eastvale.example", Role.FACILITATOR)
    # Once accepted, an invitation no longer stands in the way of a new one.
    RoleInvitation.objects.update(accepted_at=timezone.now())
    leftover_invitation(partnership, "new@eastvale.example", Role.FACILITATOR)


def test_accepting_a_lower_role_never_leaves_a_partnership_without_a_facilitator(
    client, facilitator, partnership
):
    token = leftover_invitation(partnership, facilitator.email, Role.OBSERVER)
    client.force_login(facilitator)
    response = client.post(reverse("accounts:invitation", args=[token]), follow=True)
    assert facilitator.memberships.get().role == Role.FACILITATOR
    page = response.content.decode()
    assert "You are still a facilitator of Eastvale Place Partnership" in page
    assert "needs at least one facilitator" in page
    assert not AuditEntry.objects.filter(action="invitation.accepted").exists()


def test_with_another_facilitator_a_lower_role_can_be_accepted(
    client, django_user_model, facilitator, partnership
):
    make_user(django_user_model, "two@eastvale.example", partnership)
    token = leftover_invitation(partnership, facilitator.email, Role.OBSERVER)
    client.force_login(facilitator)
    client.post(reverse("accounts:invitation", args=[token]))
    assert facilitator.memberships.get().role == Role.OBSERVER


# --- Guessing invitation links is counted, logged and paused --------------------------------


def test_guessing_role_invitation_links_is_paused_and_logged(client, settings, db, caplog):
    settings.PARTICIPANT_LINK_FAILURES = "5/h"
    guesses = [f"guess-{number}" for number in range(5)]
    for guess in guesses:
        assert client.get(reverse("accounts:invitation", args=[guess])).status_code == 404
    response = client.post(reverse("accounts:invitation", args=["guess-again"]))
    assert response.status_code == 429
    assert "Too many attempts" in response.content.decode()
    ours = [r.getMessage() for r in caplog.records if r.name == "sixways.security"]
    assert ours.count("Wrong role invitation link from 127.0.0.1") == 5
    assert "Role invitation link guessing paused for 127.0.0.1" in ours
    assert not any(guess in line for line in ours for guess in [*guesses, "guess-again"])


def test_a_right_invitation_link_works_while_its_address_is_paused(
    settings, facilitator, partnership, outsider
):
    """Colleagues share one network address: someone else's mistyped links there must not stop
    the invited person accepting."""
    settings.PARTICIPANT_LINK_FAILURES = "3/h"
    token = leftover_invitation(partnership, outsider.email, Role.OBSERVER)
    colleague = Client(REMOTE_ADDR="192.0.2.50")
    for number in range(5):
        colleague.get(reverse("accounts:invitation", args=[f"guess-{number}"]))
    assert colleague.get(reverse("accounts:invitation", args=["guess-x"])).status_code == 429
    invited = Client(REMOTE_ADDR="192.0.2.50")
    url = reverse("accounts:invitation", args=[token])
    assert invited.get(url).status_code == 200
    invited.force_login(outsider)
    assert invited.post(url).status_code == 302
    assert Membership.objects.get(user=outsider, partnership=partnership).role == Role.OBSERVER


# --- Invitations are sent by the background worker --------------------------------------------


def mail_server_down(monkeypatch, error):
    def refuse(self, messages):
        raise error

    monkeypatch.setattr("django.core.mail.backends.locmem.EmailBackend.send_messages", refuse)


def test_an_invitation_the_mail_server_refuses_is_listed_and_can_be_sent_again(
    client, facilitator, partnership, monkeypatch
):
    client.force_login(facilitator)
    mail_server_down(monkeypatch, smtplib.SMTPException("421 mail.example is busy"))
    response = invite(client, partnership, "new@eastvale.example")
    # The page answers as usual: the invitation is kept, and its email waits to be tried again.
    assert response.status_code == 302
    invitation = RoleInvitation.objects.get()
    page = client.get(response["Location"]).content.decode()
    assert "Some invitations could not be sent" in page
    assert "new@eastvale.example" in page
    assert "SMTPException: 421 mail.example is busy" in page
    assert mail.outbox == []

    monkeypatch.undo()
    client.post(reverse("accounts:send-again", args=[partnership.pk, invitation.pk]))
    assert mail.outbox[-1].to == ["new@eastvale.example"]
    page = client.get(reverse("accounts:people", args=[partnership.pk])).content.decode()
    assert "Some invitations could not be sent" not in page
    assert AuditEntry.objects.filter(action="invitation.resent").exists()
    # The link that went works; none was stored to send later.
    client.logout()
    token = token_from_email()
    assert not QueuedEmail.objects.filter(body__contains=token).exists()
    assert client.get(reverse("accounts:invitation", args=[token])).status_code == 200


def test_only_an_invitation_that_could_not_be_sent_is_sent_again(client, facilitator, partnership):
    client.force_login(facilitator)
    invite(client, partnership, "new@eastvale.example")
    invitation = RoleInvitation.objects.get()
    client.post(reverse("accounts:send-again", args=[partnership.pk, invitation.pk]))
    assert len(mail.outbox) == 1


def test_an_invitation_that_cannot_be_queued_is_kept_and_listed(
    client, facilitator, partnership, monkeypatch
):
    def no_task_store(self, *args, **kwargs):
        raise DatabaseError("the task table is locked")

    client.force_login(facilitator)
    monkeypatch.setattr("django.tasks.base.Task.enqueue", no_task_store)
    response = invite(client, partnership, "new@eastvale.example")
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "is saved but could not be sent just now" in page
    assert "Could not be queued: DatabaseError: the task table is locked" in page


def test_an_outsider_cannot_send_a_partnerships_invitation_again(
    client, facilitator, partnership, outsider, monkeypatch
):
    client.force_login(facilitator)
    mail_server_down(monkeypatch, ConnectionRefusedError("Connection refused"))
    invite(client, partnership, "new@eastvale.example")
    monkeypatch.undo()
    invitation = RoleInvitation.objects.get()
    client.force_login(outsider)
    response = client.post(reverse("accounts:send-again", args=[partnership.pk, invitation.pk]))
    assert response.status_code == 404
    assert mail.outbox == []
