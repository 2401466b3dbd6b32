"""The six-monthly cycle through the service's own pages: set up a round, open it, invite,
follow progress, remind, close, reopen, and record a collective round's agreed answers."""

import datetime
import io
import re
import threading

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from sixways.partnerships.models import Membership, Organisation, Partner
from sixways.rounds.answering import submit
from sixways.rounds.fixtures import respond
from sixways.rounds.models import Delivery, Invitation, Mode, Response, Round, RoundEvent, Status
from tests.conftest import ALL_YES, date_data, make_round, section_data

LINK = re.compile(r"http://[^\s]+/p/([\w-]+)/")


def answer_everything(client: Client, token: str, *, send: bool = True) -> None:
    client.post(reverse("rounds:start", args=[token]))
    for number in range(1, 7):
        client.post(reverse("rounds:section", args=[number]), section_data(number, "sometimes"))
    if send:
        assert client.post(reverse("rounds:check"))["Location"] == reverse("rounds:sent")


def new_round_data(organisations, **extra) -> dict:
    today = timezone.localdate()
    data = {
        "title": "Spring 2027",
        "mode": "individual",
        **date_data("opens_on", today),
        **date_data("closes_on", today + datetime.timedelta(days=14)),
        "organisations": [o.pk for o in organisations],
    }
    data.update(extra)
    return data


def test_the_round_form_offers_the_partners_as_checkboxes_ticked_as_saved(
    client, facilitator, partnership, instrument, organisations
):
    client.force_login(facilitator)
    page = client.get(reverse("rounds:create", args=[partnership.pk])).content.decode()
    boxes = re.findall(
        r'<input class="nhsuk-checkboxes__input"[^>]*name="organisations"[^>]*>', page
    )
    # A new round starts with every partner ticked.
    assert len(boxes) == len(organisations) and all("checked" in b for b in boxes)

    # Saved with one partner, and then a mistake: the tick is kept and the error links to it.
    council = organisations[0]
    data = {**new_round_data([council]), "instrument": instrument.pk, "title": ""}
    page = client.post(reverse("rounds:create", args=[partnership.pk]), data).content.decode()
    assert "nhsuk-error-summary" in page and 'id="organisations"' in page
    boxes = re.findall(
        r'<input class="nhsuk-checkboxes__input"[^>]*name="organisations"[^>]*>', page
    )
    ticked = [b for b in boxes if "checked" in b]
    assert len(ticked) == 1 and f'value="{council.pk}"' in ticked[0]


def test_the_whole_cycle_through_http(client, facilitator, partnership, instrument, organisations):
    client.force_login(facilitator)
    page = client.get(reverse("rounds:create", args=[partnership.pk])).content.decode()
    assert "Eastvale Council" in page
    response = client.post(
        reverse("rounds:create", args=[partnership.pk]),
        {**new_round_data(organisations), "instrument": instrument.pk},
    )
    round_ = Round.objects.get()
    assert response["Location"] == reverse("rounds:detail", args=[round_.pk])
    assert round_.status == Status.DRAFT
    assert set(round_.organisations.all()) == set(organisations)

    # Nobody can answer a draft round.
    invitation, token = Invitation.issue(round_, organisations[0])
    assert Client().get(reverse("rounds:start", args=[token])).status_code == 404
    invitation.delete()

    assert client.get(reverse("rounds:open", args=[round_.pk])).status_code == 200
    assert Round.objects.get().status == Status.DRAFT  # opening the page changes nothing
    client.post(reverse("rounds:open", args=[round_.pk]))
    round_.refresh_from_db()
    assert round_.status == Status.OPEN

    council, trust = organisations
    response = client.post(
        reverse("rounds:invite", args=[round_.pk]),
        {
            "organisation": council.pk,
            "emails": "a@council.example\nb@council.example, c@council.example",
        },
    )
    assert response.status_code == 302
    client.post(
        reverse("rounds:invite", args=[round_.pk]),
        {"organisation": trust.pk, "emails": "d@trust.example"},
    )
    assert len(mail.outbox) == 4
    tokens = {m.to[0]: LINK.search(m.body).group(1) for m in mail.outbox}

    # Two people answer, one starts, one does nothing.
    answer_everything(Client(), tokens["a@council.example"])
    answer_everything(Client(), tokens["d@trust.example"])
    answer_everything(Client(), tokens["b@council.example"], send=False)

    page = client.get(reverse("rounds:detail", args=[round_.pk])).content.decode()
    assert re.search(r'id="total-invited">4<', page)
    assert re.search(r'id="total-started">3<', page)
    assert re.search(r'id="total-sent">2<', page)
    assert "a@council.example" not in page  # counts only, never who

    mail.outbox.clear()
    page = client.get(reverse("rounds:reminders", args=[round_.pk])).content.decode()
    assert "2 people will get a reminder" in page
    client.post(reverse("rounds:reminders", args=[round_.pk]))
    assert sorted(m.to[0] for m in mail.outbox) == ["b@council.example", "c@council.example"]
    # The reminder carries the same personal link as the invitation.
    assert LINK.search(mail.outbox[0].body).group(1) == tokens[mail.outbox[0].to[0]]

    response = client.post(reverse("rounds:close", args=[round_.pk]), {"reason": ""})
    assert response.status_code == 400
    assert "Enter why you are closing the round early" in response.content.decode()
    client.post(reverse("rounds:close", args=[round_.pk]), {"reason": "Board meets on Monday"})
    round_.refresh_from_db()
    assert round_.status == Status.CLOSED
    assert round_.closed_at is not None
    event = RoundEvent.objects.get(action=RoundEvent.Action.CLOSED)
    assert (event.reason, event.user) == ("Board meets on Monday", facilitator)

    # After closing: links show when the round closed; the draft is kept, not counted.
    closed_page = Client().get(reverse("rounds:start", args=[tokens["c@council.example"]]))
    html = closed_page.content.decode()
    assert "This round has closed" in html
    assert timezone.localdate().strftime("%B %Y") in html
    assert Response.objects.filter(state="draft").count() == 1
    page = client.get(reverse("rounds:detail", args=[round_.pk])).content.decode()
    assert reverse("results:round", args=[round_.pk]) in page
    assert "Board meets on Monday" in page


def test_a_new_round_starts_from_the_previous_rounds_partners(
    client, facilitator, partnership, instrument, organisations
):
    council, trust = organisations
    spring = make_round(partnership, instrument, status=Status.CLOSED, title="Spring")
    spring.organisations.set([council])
    hospice = Organisation.objects.create(name="Eastvale Hospice", sector="vcse")
    Partner.objects.create(partnership=partnership, organisation=hospice)
    client.force_login(facilitator)
    response = client.get(reverse("rounds:create", args=[partnership.pk]))
    html = response.content.decode()

    def checked(org):
        return re.search(rf'value="{org.pk}"[^>]*checked', html) is not None

    # In the last round, or added since: chosen. Left out of the last round: not chosen.
    assert checked(council)
    assert checked(hospice)
    assert not checked(trust)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"title": ""}, "Enter a name for the round"),
        (
            {
                **date_data("closes_on", ("1", "1", "2020")),
                **date_data("opens_on", ("1", "12", "2019")),
            },
            "must be today or in the future",
        ),
        (date_data("closes_on", ("31", "2", "2027")), "The closing date must be a real date"),
        (date_data("closes_on", ("3", "", "2027")), "The closing date must be a real date"),
        (date_data("closes_on", ("", "", "")), "Enter the closing date"),
        ({"mode": "everyone"}, "Select a valid choice"),
        ({"organisations": []}, "Select the partner organisations that will take part"),
        ({"organisations": [999999]}, "Select partner organisations from the list"),
    ],
)
def test_a_round_with_mistakes_gets_clear_messages(
    client, facilitator, partnership, instrument, organisations, change, message
):
    client.force_login(facilitator)
    data = {**new_round_data(organisations), "instrument": instrument.pk, **change}
    response = client.post(reverse("rounds:create", args=[partnership.pk]), data)
    assert response.status_code == 400
    assert "There is a problem" in response.content.decode()
    assert message in response.content.decode()
    assert not Round.objects.exists()


def test_closing_before_opening_is_refused(client, facilitator, partnership, instrument):
    client.force_login(facilitator)
    round_ = make_round(partnership, instrument, status=Status.DRAFT)
    response = client.post(reverse("rounds:close", args=[round_.pk]), {"reason": "x"})
    assert response.status_code == 302
    round_.refresh_from_db()
    assert round_.status == Status.DRAFT


def test_a_closed_round_reopens_until_a_new_date_with_a_reason(
    client, facilitator, open_round, link
):
    client.force_login(facilitator)
    open_round.close(facilitator, "Too early")
    assert Client().get(reverse("rounds:start", args=[link])).status_code == 200
    assert (
        "This round has closed"
        in Client().get(reverse("rounds:start", args=[link])).content.decode()
    )

    new_date = timezone.localdate() + datetime.timedelta(days=7)
    response = client.post(
        reverse("rounds:reopen", args=[open_round.pk]),
        {**date_data("closes_on", ("1", "1", "2001")), "reason": "More time"},
    )
    assert response.status_code == 400
    assert "must be today or in the future" in response.content.decode()
    response = client.post(
        reverse("rounds:reopen", args=[open_round.pk]),
        {**date_data("closes_on", new_date), "reason": "Two partners asked for more time"},
    )
    assert response.status_code == 302
    open_round.refresh_from_db()
    assert open_round.status == Status.OPEN
    assert open_round.closes_on == new_date
    assert open_round.closed_at is None
    event = RoundEvent.objects.get(action=RoundEvent.Action.REOPENED)
    assert event.reason == "Two partners asked for more time"
    assert event.closes_on == new_date
    assert "Start now" in Client().get(reverse("rounds:start", args=[link])).content.decode()


def past_its_date(round_) -> None:
    Round.objects.filter(pk=round_.pk).update(
        closes_on=timezone.localdate() - datetime.timedelta(days=1),
        opens_on=timezone.localdate() - datetime.timedelta(days=10),
    )


def test_a_round_past_its_closing_date_refuses_answers_without_a_page_writing(
    client, open_round, link
):
    past_its_date(open_round)
    page = client.get(reverse("rounds:start", args=[link])).content.decode()
    assert "This round has closed" in page
    assert (
        "This round has closed"
        in client.post(reverse("rounds:start", args=[link])).content.decode()
    )
    assert not Response.objects.exists()
    # The status is written by `close_rounds` (scheduled), never by reading a page.
    open_round.refresh_from_db()
    assert open_round.status == Status.OPEN and open_round.closed_at is None
    assert not RoundEvent.objects.exists()
    call_command("close_rounds", stdout=io.StringIO())
    open_round.refresh_from_db()
    assert open_round.status == Status.CLOSED
    assert timezone.localdate(open_round.closed_at) == open_round.closes_on
    assert RoundEvent.objects.get().action == RoundEvent.Action.CLOSED_ON_DATE


def test_pages_show_a_round_past_its_date_as_closed_and_write_nothing(
    client, facilitator, partnership, open_round, organisations
):
    for _ in range(5):
        respond(open_round, organisations[0])
    past_its_date(open_round)
    client.force_login(facilitator)
    results = client.get(reverse("results:round", args=[open_round.pk])).content.decode()
    # An individual round's results appear once it has closed, by its date as by a close.
    assert "Results appear when the round closes" not in results
    assert "Closed" in results and "5 responses" in results
    detail = client.get(reverse("rounds:detail", args=[open_round.pk])).content.decode()
    assert "Closed" in detail and "Reopen" in detail
    for page in (
        reverse("partnerships:home"),
        reverse("partnerships:detail", args=[partnership.pk]),
        reverse("rounds:reopen", args=[open_round.pk]),
    ):
        assert client.get(page).status_code == 200
    open_round.refresh_from_db()
    assert open_round.status == Status.OPEN and open_round.closed_at is None
    assert not RoundEvent.objects.exists()
    # Reopening records the closing on the date first, then the reopening.
    new_date = timezone.localdate() + datetime.timedelta(days=7)
    client.post(
        reverse("rounds:reopen", args=[open_round.pk]),
        {**date_data("closes_on", new_date), "reason": "More time"},
    )
    open_round.refresh_from_db()
    assert open_round.status == Status.OPEN and open_round.closes_on == new_date
    assert [e.action for e in RoundEvent.objects.all()] == [
        RoundEvent.Action.CLOSED_ON_DATE,
        RoundEvent.Action.REOPENED,
    ]


def test_the_close_rounds_command_closes_rounds_past_their_date(open_round, capsys):
    Round.objects.filter(pk=open_round.pk).update(
        closes_on=timezone.localdate() - datetime.timedelta(days=2),
        opens_on=timezone.localdate() - datetime.timedelta(days=10),
    )
    call_command("close_rounds")
    assert "Closed 1 round." in capsys.readouterr().out
    assert Round.objects.get().status == Status.CLOSED


def test_a_draft_in_a_round_past_its_date_cannot_be_sent(client, open_round, link):
    answer_everything(client, link, send=False)
    Round.objects.filter(pk=open_round.pk).update(
        closes_on=timezone.localdate() - datetime.timedelta(days=1),
        opens_on=timezone.localdate() - datetime.timedelta(days=10),
    )
    response = client.post(reverse("rounds:check"))
    assert response.status_code == 409
    assert not Response.objects.get().submitted


def test_a_submit_arriving_as_the_facilitator_closes_the_round(
    client, facilitator, open_round, link
):
    """The facilitator's close and a participant's submit each lock the round: whichever comes
    second sees the other's outcome."""
    answer_everything(client, link, send=False)
    staff = Client()
    staff.force_login(facilitator)
    staff.post(reverse("rounds:close", args=[open_round.pk]), {"reason": "Deadline"})
    response = client.post(reverse("rounds:check"))
    assert response.status_code == 409
    assert "This round has closed" in response.content.decode()
    assert Response.objects.get().state == "draft"

    # Sent just before the close: counted, and not undone by closing.
    open_round.reopen(facilitator, timezone.localdate(), "Again")
    client.post(reverse("rounds:check"))
    staff.post(reverse("rounds:close", args=[open_round.pk]), {"reason": "Deadline"})
    response = Response.objects.get()
    open_round.refresh_from_db()
    assert response.submitted
    assert response.submitted_at <= open_round.closed_at


@pytest.mark.django_db(transaction=True)
def test_a_submit_and_a_close_at_the_same_moment_never_count_a_late_answer(
    facilitator, partnership, instrument, organisations
):
    if connection.vendor == "sqlite" and connection.is_in_memory_db():
        # Threads share an in-memory SQLite database through a shared cache, which locks
        # whole tables instead of waiting: run with SQLITE_TEST_PATH or on PostgreSQL.
        pytest.skip("needs a database file or server shared between threads")
    round_ = make_round(partnership, instrument)
    for attempt in range(5):
        invitation, token = Invitation.issue(round_, organisations[0])
        client = Client()
        answer_everything(client, token, send=False)
        response = Response.objects.get(invitation=invitation)
        barrier = threading.Barrier(2)
        outcomes = []

        def send(response=response, barrier=barrier, outcomes=outcomes):
            barrier.wait()
            try:
                submit(response)
                outcomes.append("sent")
            except Exception as error:
                outcomes.append(type(error).__name__)
            finally:
                connection.close()

        def close(barrier=barrier, attempt=attempt):
            barrier.wait()
            round_.close(facilitator, f"Race {attempt}")
            connection.close()

        threads = [threading.Thread(target=send), threading.Thread(target=close)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        round_.refresh_from_db()
        response.refresh_from_db()
        assert outcomes in (["sent"], ["RoundClosed"])
        if response.submitted:
            assert response.submitted_at <= round_.closed_at
        else:
            assert outcomes == ["RoundClosed"]
        round_.reopen(facilitator, timezone.localdate(), "Next attempt")


@pytest.mark.django_db(transaction=True)
def test_the_worker_drains_the_queue(client, facilitator, open_round, organisations, settings):
    """With the database backend, the page only queues emails; `db_worker` sends them."""
    # Django resets its task backends when this setting changes, and again afterwards.
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    open_round.organisations.set(organisations)
    client.force_login(facilitator)
    client.post(
        reverse("rounds:invite", args=[open_round.pk]),
        {"organisation": organisations[0].pk, "emails": "x@council.example, y@council.example"},
    )
    assert mail.outbox == []
    assert DBTaskResult.objects.count() == 2
    page = client.get(reverse("rounds:detail", args=[open_round.pk])).content.decode()
    assert "2 waiting to be sent" in page

    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)
    assert sorted(m.to[0] for m in mail.outbox) == ["x@council.example", "y@council.example"]
    assert DBTaskResult.objects.filter(status="SUCCESSFUL").count() == 2
    page = client.get(reverse("rounds:detail", args=[open_round.pk])).content.decode()
    assert "Emails: 2 sent." in page


@pytest.mark.django_db(transaction=True)
def test_the_round_page_says_when_emails_wait_too_long(
    client, facilitator, open_round, organisations, settings
):
    """With no worker running, queued emails never go: after a few minutes the page says so."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    open_round.organisations.set(organisations)
    client.force_login(facilitator)
    client.post(
        reverse("rounds:invite", args=[open_round.pk]),
        {"organisation": organisations[0].pk, "emails": "x@council.example"},
    )
    page = client.get(reverse("rounds:detail", args=[open_round.pk])).content.decode()
    assert "1 waiting to be sent" in page
    assert "Emails are waiting longer than they should" not in page

    Delivery.objects.update(created_at=timezone.now() - datetime.timedelta(minutes=5))
    page = client.get(reverse("rounds:detail", args=[open_round.pk])).content.decode()
    assert "Emails are waiting longer than they should" in page


def test_a_collective_rounds_agreed_answers_are_recorded_one_behaviour_at_a_time(
    client, facilitator, partnership, instrument, organisations
):
    round_ = make_round(partnership, instrument, mode=Mode.COLLECTIVE)
    round_.organisations.set(organisations)
    client.force_login(facilitator)
    page = client.get(reverse("rounds:agreed", args=[round_.pk])).content.decode()
    assert page.count("Not started") == 6
    assert not Response.objects.exists()  # opening the page makes nothing
    first = client.get(reverse("rounds:agreed-behaviour", args=[round_.pk, 1])).content.decode()
    assert first.count('type="radio"') == 4 * 4  # behaviour 1's four questions only

    # Behaviour 1, then "Save and continue" goes on to behaviour 2.
    behaviour_1 = {k: v for k, v in ALL_YES.items() if k.startswith("q1_")}
    response = client.post(
        reverse("rounds:agreed-behaviour", args=[round_.pk, 1]),
        {
            **behaviour_1,
            "version": 0,
            "comment_1": "Agreed at the June workshop",
            "action": "continue",
        },
    )
    assert response["Location"] == reverse("rounds:agreed-behaviour", args=[round_.pk, 2])
    saved = Response.objects.get()
    assert saved.answers.count() == 4 and saved.organisation is None and not saved.submitted
    page = client.get(reverse("rounds:agreed", args=[round_.pk])).content.decode()
    assert page.count("Not started") == 5 and "Completed" in page

    # Marking them as agreed too early lists what is still to answer, with where.
    response = client.post(reverse("rounds:agreed", args=[round_.pk]), {"version": 1})
    assert response.status_code == 400
    html = response.content.decode()
    assert "Answer question 2.1 before marking the answers as agreed" in html
    assert reverse("rounds:agreed-behaviour", args=[round_.pk, 2]) + "#q2_1" in html
    assert not Response.objects.get().submitted

    for number in range(2, 7):
        answers = {k: v for k, v in ALL_YES.items() if k.startswith(f"q{number}_")}
        saved.refresh_from_db()  # each save moves the version on, as the page would show it
        response = client.post(
            reverse("rounds:agreed-behaviour", args=[round_.pk, number]),
            {**answers, "version": saved.version, "action": "save"},
        )
        assert response["Location"] == reverse("rounds:agreed", args=[round_.pk])
    saved.refresh_from_db()
    response = client.post(reverse("rounds:agreed", args=[round_.pk]), {"version": saved.version})
    assert response["Location"] == reverse("rounds:detail", args=[round_.pk])
    saved.refresh_from_db()
    assert saved.submitted and saved.answers.count() == 24
    assert saved.comments.get().text == "Agreed at the June workshop"
    detail = client.get(reverse("rounds:detail", args=[round_.pk])).content.decode()
    assert "marked as agreed: they count in the results" in detail
    assert 'id="progress"' not in detail  # no invitations or counts of people to follow


def test_a_collective_round_records_who_took_part(
    client, facilitator, partnership, instrument, organisations
):
    round_ = make_round(partnership, instrument, mode=Mode.COLLECTIVE)
    round_.organisations.set(organisations)
    client.force_login(facilitator)
    council = organisations[0]
    response = client.post(
        reverse("rounds:took-part", args=[round_.pk]),
        {"represented": [council.pk], "note": "Director of adult social care, two GPs"},
    )
    assert response["Location"] == reverse("rounds:agreed", args=[round_.pk])
    page = client.get(reverse("rounds:agreed", args=[round_.pk])).content.decode()
    assert "Eastvale Council" in page and "Director of adult social care, two GPs" in page
    respond(round_, None)
    results = client.get(reverse("results:round", args=[round_.pk])).content.decode()
    assert "Agreed together by Eastvale Council (Director of adult social care, two GPs)" in results
    assert "Each person counted equally" not in results  # one response: nothing to weigh
    bad = client.post(reverse("rounds:took-part", args=[round_.pk]), {"note": "x\u202ey"})
    assert bad.status_code == 400


def test_two_facilitators_editing_at_once_are_told_of_the_conflict(
    client, facilitator, partnership, instrument, django_user_model
):
    from tests.conftest import make_user

    round_ = make_round(partnership, instrument, mode=Mode.COLLECTIVE)
    colleague = make_user(django_user_model, "second@eastvale.example", partnership)
    first, second = client, Client()
    first.force_login(facilitator)
    second.force_login(colleague)
    # Both open the page at version 0.
    for person in (first, second):
        assert (
            'name="version" value="0"'
            in person.get(reverse("rounds:agreed-behaviour", args=[round_.pk, 1])).content.decode()
        )

    first.post(
        reverse("rounds:agreed-behaviour", args=[round_.pk, 1]),
        {"q1_1": "no", "version": 0, "comment_1": "First view", "action": "save"},
    )
    response = second.post(
        reverse("rounds:agreed-behaviour", args=[round_.pk, 1]),
        {"q1_1": "yes", "version": 0, "comment_1": "Second view", "action": "save"},
    )
    assert response.status_code == 409
    html = response.content.decode()
    assert "Someone else saved these answers while you were editing them" in html
    assert "Question 1.1: the saved answer is now ‘No’; you chose ‘Yes’" in html
    saved = Response.objects.get()
    assert saved.answers.get().option.key == "no"  # nothing overwritten silently
    assert saved.comments.get().text == "First view"

    # Saving again, with the differences in view, is a deliberate choice.
    assert 'name="version" value="1"' in html
    response = second.post(
        reverse("rounds:agreed-behaviour", args=[round_.pk, 1]),
        {"q1_1": "yes", "version": 1, "comment_1": "Second view", "action": "save"},
    )
    assert response.status_code == 302
    assert saved.answers.get().option.key == "yes"


def test_agreed_answers_cannot_be_changed_after_the_round_closes(
    client, facilitator, partnership, instrument
):
    round_ = make_round(partnership, instrument, mode=Mode.COLLECTIVE)
    client.force_login(facilitator)
    page = client.get(reverse("rounds:agreed", args=[round_.pk]))
    round_.close(facilitator, "Done")
    response = client.post(
        reverse("rounds:agreed-behaviour", args=[round_.pk, 1]),
        {"q1_1": "yes", "version": 0, "action": "save"},
    )
    assert response.status_code == 302
    assert not Response.objects.exists()
    assert page.status_code == 200


def _round_urls(round_):
    r = round_.pk
    return {
        "read": [reverse("rounds:detail", args=[r])],
        "change": [
            reverse("rounds:edit", args=[r]),
            reverse("rounds:open", args=[r]),
            reverse("rounds:close", args=[r]),
            reverse("rounds:reopen", args=[r]),
            reverse("rounds:invite", args=[r]),
            reverse("rounds:links", args=[r]),
            reverse("rounds:reminders", args=[r]),
            reverse("rounds:emails", args=[r]),
            reverse("rounds:agreed", args=[r]),
        ],
    }


@pytest.mark.parametrize("status", [Status.DRAFT, Status.OPEN, Status.CLOSED])
def test_an_outsider_gets_404_on_every_round_page_and_action(
    client, outsider, partnership, instrument, organisations, status
):
    round_ = make_round(partnership, instrument, status=status)
    round_.organisations.set(organisations)
    urls = _round_urls(round_)
    client.force_login(outsider)
    data = {
        "reason": "x",
        **date_data("closes_on", timezone.localdate()),
        "organisation": organisations[0].pk,
        "emails": "spy@westmoor.example",
        "version": 0,
        "q1_1": "no",
        "title": "Taken",
    }
    for url in urls["read"] + urls["change"]:
        assert client.get(url).status_code == 404, url
        assert client.post(url, data).status_code == 404, url
    round_.refresh_from_db()
    assert round_.status == status
    assert round_.title == "Autumn 2026"
    assert not Invitation.objects.exists()
    assert not mail.outbox


@pytest.mark.parametrize("mode", [Mode.INDIVIDUAL, Mode.COLLECTIVE])
def test_an_observer_reads_a_round_but_gets_404_on_every_change(
    client, observer, partnership, instrument, organisations, mode
):
    round_ = make_round(partnership, instrument, mode=mode)
    round_.organisations.set(organisations)
    urls = _round_urls(round_)
    client.force_login(observer)
    page = client.get(urls["read"][0])
    assert page.status_code == 200
    assert "Close the round" not in page.content.decode()
    for url in urls["change"]:
        assert client.get(url).status_code == 404, url
        assert client.post(url, {"reason": "x", "version": 0}).status_code == 404, url
    assert Round.objects.get().status == Status.OPEN
    assert not Invitation.objects.exists()
    assert Membership.objects.get(user=observer).role == "observer"


def buttons(page: str) -> dict[str, str]:
    """The links drawn as buttons on a page, by address, with their classes."""
    return dict(
        (href, classes)
        for classes, href in re.findall(
            r'<a\s[^>]*?class="(nhsuk-button[^"]*)"[^>]*?href="([^"]*)"', page
        )
    )


def test_a_round_closed_with_too_few_answers_says_so_and_offers_to_reopen(
    client, facilitator, partnership, instrument, organisations
):
    from tests.test_results_cache import pdf_text

    round_ = make_round(partnership, instrument, status=Status.CLOSED)
    Round.objects.filter(pk=round_.pk).update(closed_at=timezone.now())
    for _ in range(2):
        respond(round_, organisations[0])
    client.force_login(facilitator)

    page = client.get(reverse("rounds:detail", args=[round_.pk])).content.decode()
    assert "Too few answers to show results" in page
    assert "This round closed with 2 responses" in page
    # The main action is to reopen it, not to read results that are not there.
    assert buttons(page) == {reverse("rounds:reopen", args=[round_.pk]): "nhsuk-button"}
    assert "See the results" not in page

    results = client.get(reverse("results:round", args=[round_.pk])).content.decode()
    assert "This round closed with 2 responses" in results
    assert "at least 5 people have answered" in results
    assert "reopen the round and invite more people" in results
    assert reverse("rounds:reopen", args=[round_.pk]) in results
    report = pdf_text(client.get(reverse("results:pdf", args=[round_.pk])).content)
    assert "This round closed with 2 responses" in report


def test_a_closed_rounds_main_action_is_its_results(
    client, facilitator, partnership, instrument, organisations
):
    round_ = make_round(partnership, instrument, status=Status.CLOSED, mode=Mode.ORGANISATIONAL)
    respond(round_, organisations[0])
    client.force_login(facilitator)
    page = client.get(reverse("rounds:detail", args=[round_.pk])).content.decode()
    assert buttons(page) == {
        reverse("results:round", args=[round_.pk]): "nhsuk-button",
        reverse("rounds:reopen", args=[round_.pk]): "nhsuk-button nhsuk-button--secondary",
    }


def test_the_round_form_explains_each_way_of_answering(client, facilitator, partnership):
    client.force_login(facilitator)
    page = client.get(reverse("rounds:create", args=[partnership.pk])).content.decode()
    assert "only when the round closes with at least 5 responses" in page
    assert "Best when partners are small" in page
    assert "you record the answers the partners agree together" in page
