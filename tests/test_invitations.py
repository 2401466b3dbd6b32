"""Invitations: personal links by email, shareable and organisational links, reminders, and
what mail scanners and closed rounds do to them."""

import datetime
import re

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from sixways.partnerships.models import Membership, Organisation, Role
from sixways.rounds import tasks
from sixways.rounds.models import Delivery, Invitation, Mode, Response, Round
from sixways.rounds.tokens import hash_token
from tests.conftest import make_round, make_user, section_data

LINK = re.compile(r"http://[^\s]+/p/([\w-]+)/")


@pytest.fixture
def round_(open_round, organisations):
    open_round.organisations.set(organisations)
    return open_round


@pytest.fixture
def staff(client, facilitator):
    client.force_login(facilitator)
    return client


def invite(staff, round_, organisation, emails: str):
    return staff.post(
        reverse("rounds:invite", args=[round_.pk]),
        {"organisation": organisation.pk, "emails": emails},
    )


def token_of(message) -> str:
    return LINK.search(message.body).group(1)


def send_all(client: Client, token: str) -> None:
    client.post(reverse("rounds:start", args=[token]))
    for number in range(1, 7):
        client.post(reverse("rounds:section", args=[number]), section_data(number))
    client.post(reverse("rounds:check"))


def test_each_person_gets_a_plain_text_email_with_their_own_link(staff, round_, organisations):
    invite(staff, round_, organisations[0], "Ann@Council.example\nbob@council.example")
    assert [m.to for m in mail.outbox] == [["ann@council.example"], ["bob@council.example"]]
    message = mail.outbox[0]
    assert message.subject == (
        "Eastvale Place Partnership: how well does your partnership work together?"
    )
    assert "as someone from Eastvale Council" in message.body
    assert "about 10 minutes" in message.body
    assert round_.closes_on.strftime("%B %Y") in message.body
    # Plain text only: no HTML part, so no tracking pixels or tracked links.
    assert getattr(message, "alternatives", []) == []
    assert message.message().get_content_type() == "text/plain"
    assert "<img" not in message.body
    assert token_of(mail.outbox[0]) != token_of(mail.outbox[1])
    # Only the hash is stored; the link opens that person's invitation.
    token = token_of(message)
    invitation = Invitation.objects.get(email="ann@council.example")
    assert invitation.token_hash == hash_token(token)
    assert not Invitation.objects.filter(token_hash=token).exists()
    assert invitation.organisation == organisations[0]
    assert Delivery.objects.filter(state="sent").count() == 2


def test_names_with_ampersands_and_quotes_read_naturally_in_the_email(
    staff, partnership, round_, organisations
):
    partnership.name = 'Tom & Jerry\'s "Place"'
    partnership.save()
    invite(staff, round_, organisations[0], "ann@council.example")
    message = mail.outbox[0]
    assert 'Tom & Jerry\'s "Place" is looking at' in message.body
    assert "&amp;" not in message.body


def test_inviting_the_same_address_twice_sends_one_email(staff, round_, organisations):
    invite(staff, round_, organisations[0], "ann@council.example")
    response = invite(staff, round_, organisations[1], "ANN@council.example, new@trust.example")
    assert len(mail.outbox) == 2
    assert Invitation.objects.filter(email="ann@council.example").count() == 1
    page = staff.get(response["Location"]).content.decode()
    assert "1 of the addresses had been invited to this round already" in page


def test_addresses_that_are_not_email_addresses_are_listed(staff, round_, organisations):
    response = invite(staff, round_, organisations[0], "good@council.example\nnot-an-address, @x")
    assert response.status_code == 400
    html = response.content.decode()
    assert "These are not email addresses: ‘not-an-address’, ‘@x’" in html
    assert not Invitation.objects.exists()
    assert not mail.outbox


def test_an_organisation_not_in_the_round_cannot_be_chosen(staff, round_, organisations):
    elsewhere = Organisation.objects.create(name="Someone else", sector="other")
    response = invite(staff, round_, elsewhere, "a@b.example")
    assert response.status_code == 400
    assert "Select an organisation from the list" in response.content.decode()


def test_opening_a_link_never_uses_it_up(staff, round_, organisations):
    """Mail scanners open links before people do: only pressing the button starts."""
    invite(staff, round_, organisations[0], "ann@council.example")
    token = token_of(mail.outbox[0])
    scanner = Client()
    for _ in range(5):
        page = scanner.get(reverse("rounds:start", args=[token]))
        assert page.status_code == 200
        assert "Start now" in page.content.decode()
    assert not Response.objects.exists()
    person = Client()
    person.post(reverse("rounds:start", args=[token]))
    assert Response.objects.count() == 1
    # A scanner opening the link again afterwards still changes nothing.
    scanner.get(reverse("rounds:start", args=[token]))
    assert Response.objects.count() == 1


def test_a_shareable_link_gives_each_person_their_own_response(staff, round_, organisations):
    page = staff.get(reverse("rounds:links", args=[round_.pk]))
    assert not Invitation.objects.exists()  # opening the page makes no link
    assert "Make a link for Eastvale Council" in page.content.decode()
    staff.post(
        reverse("rounds:links", args=[round_.pk]),
        {"organisation": organisations[0].pk, "action": "make"},
    )
    shared = Invitation.objects.get(kind=Invitation.Kind.SHARED)
    page = staff.get(reverse("rounds:links", args=[round_.pk])).content.decode()
    token = LINK.search(page).group(1)
    assert hash_token(token) == shared.token_hash

    # A scanner opening it makes nothing.
    for _ in range(3):
        assert Client().get(reverse("rounds:start", args=[token])).status_code == 200
    assert not Response.objects.exists()

    first, second = Client(), Client()
    send_all(first, token)
    first.post(reverse("rounds:start", args=[token]))  # the same browser again: no new one
    second.post(reverse("rounds:start", args=[token]))
    second.post(reverse("rounds:section", args=[1]), section_data(1, "no"))
    responses = Response.objects.order_by("pk")
    assert responses.count() == 2
    assert [r.organisation for r in responses] == [organisations[0], organisations[0]]
    assert [r.state for r in responses] == ["submitted", "draft"]
    assert all(r.invitation.shared_from == shared for r in responses)
    assert (
        "Continue where you left off"
        in second.get(reverse("rounds:start", args=[token])).content.decode()
    )


def test_a_replaced_shareable_link_stops_working(staff, round_, organisations):
    args = {"organisation": organisations[1].pk}
    staff.post(reverse("rounds:links", args=[round_.pk]), {**args, "action": "make"})
    old = Invitation.objects.get().token()
    staff.post(reverse("rounds:links", args=[round_.pk]), {**args, "action": "replace"})
    new = Invitation.objects.get().token()
    assert old != new
    assert Client().get(reverse("rounds:start", args=[old])).status_code == 404
    assert Client().get(reverse("rounds:start", args=[new])).status_code == 200


def test_an_organisational_round_has_one_link_per_organisation(
    staff, partnership, instrument, organisations
):
    round_ = make_round(partnership, instrument, mode=Mode.ORGANISATIONAL, title="Orgs")
    round_.organisations.set(organisations)
    response = invite(staff, round_, organisations[0], "lead@council.example, two@council.example")
    assert response.status_code == 400
    assert "Enter one email address" in response.content.decode()
    invite(staff, round_, organisations[0], "lead@council.example")
    invite(staff, round_, organisations[0], "other@council.example")
    assert len(mail.outbox) == 1
    assert "on behalf of Eastvale Council" in mail.outbox[0].body
    token = token_of(mail.outbox[0])
    staff.post(
        reverse("rounds:links", args=[round_.pk]),
        {"organisation": organisations[0].pk, "action": "make"},
    )
    assert Invitation.objects.filter(round=round_).count() == 1
    send_all(Client(), token)
    again = Client()
    assert again.post(reverse("rounds:start", args=[token]))["Location"] == reverse("rounds:sent")
    assert Response.objects.count() == 1


def test_reminders_go_only_to_those_who_have_not_sent_and_at_most_once_a_day(
    staff, round_, organisations
):
    invite(staff, round_, organisations[0], "a@council.example, b@council.example")
    invite(staff, round_, organisations[1], "c@trust.example")
    tokens = {m.to[0]: token_of(m) for m in mail.outbox}
    send_all(Client(), tokens["a@council.example"])
    mail.outbox.clear()

    staff.post(reverse("rounds:reminders", args=[round_.pk]))
    assert sorted(m.to[0] for m in mail.outbox) == ["b@council.example", "c@trust.example"]
    assert mail.outbox[0].subject.startswith("Reminder: Eastvale Place Partnership")

    # A second press, even at once, reminds nobody again the same day.
    mail.outbox.clear()
    page = staff.get(reverse("rounds:reminders", args=[round_.pk])).content.decode()
    assert "Nobody can be reminded now" in page
    staff.post(reverse("rounds:reminders", args=[round_.pk]))
    assert mail.outbox == []

    # A day later they can be reminded again.
    Delivery.objects.filter(kind="reminder").update(
        created_at=timezone.now() - datetime.timedelta(days=1, minutes=1)
    )
    staff.post(reverse("rounds:reminders", args=[round_.pk]))
    assert len(mail.outbox) == 2


def test_the_reminders_page_says_who_can_be_reminded_and_when(
    staff, round_, organisations, settings
):
    page = staff.get(reverse("rounds:reminders", args=[round_.pk])).content.decode()
    assert "Nobody has been invited by email yet" in page

    # With the emails still waiting for the worker, nobody can be reminded yet, and it says why.
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    invite(staff, round_, organisations[0], "a@council.example, b@council.example")
    page = staff.get(reverse("rounds:reminders", args=[round_.pk])).content.decode()
    assert "2 have not been sent their invitation yet" in page
    assert "Nobody can be reminded now" in page and "everyone invited has sent" not in page

    # Once they have gone, both can be; once reminded, it says from when again.
    Delivery.objects.update(state=Delivery.State.SENT, sent_at=timezone.now())
    page = staff.get(reverse("rounds:reminders", args=[round_.pk])).content.decode()
    assert "2 people will get a reminder now" in page
    staff.post(reverse("rounds:reminders", args=[round_.pk]))
    page = staff.get(reverse("rounds:reminders", args=[round_.pk])).content.decode()
    assert "2 were reminded in the last day: the first can be reminded again from" in page


def test_the_round_history_lists_invitations_and_reminders(
    staff, round_, organisations, django_user_model
):
    invite(staff, round_, organisations[0], "a@council.example, b@council.example")
    staff.post(reverse("rounds:reminders", args=[round_.pk]))
    page = staff.get(reverse("rounds:detail", args=[round_.pk])).content.decode()
    history = page[page.index('id="round-history"') :]
    assert "Invited people by email: 2 invited from Eastvale Council" in history
    assert "Sent reminders: 2 reminders" in history
    assert "a@council.example" not in page

    # A partner lead sees only their own organisation's figures: not whom others invited.
    lead = make_user(django_user_model, "lead@trust.example", round_.partnership, Role.PARTNER_LEAD)
    Membership.objects.filter(user=lead).update(organisation=organisations[1])
    staff.force_login(lead)
    page = staff.get(reverse("rounds:detail", args=[round_.pk])).content.decode()
    assert "Invited people by email" not in page


def test_a_reminder_queued_before_someone_sends_is_not_sent(staff, round_, organisations):
    invite(staff, round_, organisations[0], "a@council.example")
    token = token_of(mail.outbox[0])
    invitation = Invitation.objects.get()
    reminder = Delivery.objects.create(invitation=invitation, kind="reminder")
    send_all(Client(), token)
    mail.outbox.clear()
    tasks.send_delivery.call(reminder.pk)
    assert mail.outbox == []
    reminder.refresh_from_db()
    assert reminder.state == "not-needed"


def test_failed_sends_are_shown_to_the_facilitator_and_can_be_retried(
    staff, round_, organisations, monkeypatch
):
    def refuse(self, *args, **kwargs):
        raise ConnectionRefusedError("Connection refused by mail.example")

    monkeypatch.setattr("django.core.mail.EmailMessage.send", refuse)
    invite(staff, round_, organisations[0], "a@council.example")
    delivery = Delivery.objects.get()
    assert delivery.state == "failed"
    assert "ConnectionRefusedError" in delivery.error

    page = staff.get(reverse("rounds:detail", args=[round_.pk])).content.decode()
    assert "Some emails could not be sent" in page
    page = staff.get(reverse("rounds:emails", args=[round_.pk])).content.decode()
    assert "a@council.example" in page
    assert "Connection refused by mail.example" in page
    # The link itself is never part of what is shown about a failure.
    assert Invitation.objects.get().token() not in page

    monkeypatch.undo()
    staff.post(reverse("rounds:emails", args=[round_.pk]))
    assert len(mail.outbox) == 1
    page = staff.get(reverse("rounds:detail", args=[round_.pk])).content.decode()
    assert "Some emails could not be sent" not in page


def test_an_email_queued_before_the_round_closed_is_not_sent(staff, round_, organisations):
    invitation, _ = Invitation.issue(round_, organisations[0], email="late@council.example")
    delivery = Delivery.objects.create(invitation=invitation, kind="invitation")
    round_.close()
    assert tasks.send_delivery.call(delivery.pk) == "not sent"
    assert mail.outbox == []
    # Sending twice never sends twice.
    assert tasks.send_delivery.call(delivery.pk) == "skipped"


def test_links_stop_working_when_the_round_closes(staff, round_, organisations):
    invite(staff, round_, organisations[0], "a@council.example")
    token = token_of(mail.outbox[0])
    staff.post(
        reverse("rounds:links", args=[round_.pk]),
        {"organisation": organisations[0].pk, "action": "make"},
    )
    shared = Invitation.objects.get(kind="shared").token()
    round_.close()
    for link in (token, shared):
        page = Client().get(reverse("rounds:start", args=[link]))
        assert "This round has closed" in page.content.decode()
        Client().post(reverse("rounds:start", args=[link]))
    assert not Response.objects.exists()
    response = invite(staff, round_, organisations[0], "b@council.example")
    assert response.status_code == 302
    assert Invitation.objects.filter(email="b@council.example").count() == 0


def test_a_collective_round_has_no_links(staff, partnership, instrument):
    round_ = make_round(partnership, instrument, mode=Mode.COLLECTIVE, title="Workshop")
    staff.post(
        reverse("rounds:agreed-behaviour", args=[round_.pk, 1]),
        {"q1_1": "yes", "version": 0, "action": "save"},
    )
    # The agreed response's own link is never usable by anyone.
    invitation = Invitation.objects.get()
    assert Client().get(reverse("rounds:start", args=[invitation.token()])).status_code == 404
    assert staff.get(reverse("rounds:invite", args=[round_.pk])).status_code == 302


def test_nobody_is_invited_before_the_round_opens(staff, partnership, instrument, organisations):
    from sixways.rounds.models import Status

    draft = make_round(partnership, instrument, status=Status.DRAFT, title="Not yet")
    draft.organisations.set(organisations)
    response = invite(staff, draft, organisations[0], "early@council.example")
    assert response.status_code == 302
    assert (
        "Open the round before inviting people" in staff.get(response["Location"]).content.decode()
    )
    staff.post(
        reverse("rounds:links", args=[draft.pk]),
        {"organisation": organisations[0].pk, "action": "make"},
    )
    assert not Invitation.objects.exists()
    assert not mail.outbox


def test_an_email_queued_before_the_closing_date_passed_is_not_sent(staff, round_, organisations):
    invitation, _ = Invitation.issue(round_, organisations[0], email="late@council.example")
    delivery = Delivery.objects.create(invitation=invitation, kind="reminder")
    # The date has passed; `close_rounds` has not run yet.
    Round.objects.filter(pk=round_.pk).update(
        opens_on=timezone.localdate() - datetime.timedelta(days=10),
        closes_on=timezone.localdate() - datetime.timedelta(days=1),
    )
    assert tasks.send_delivery.call(delivery.pk) == "not sent"
    assert mail.outbox == []
    assert Delivery.objects.get().state == Delivery.State.NOT_NEEDED
