"""Action plans: who may add and change actions, the rules an action keeps, and its history."""

import datetime
import io

import pytest
from django.urls import reverse
from django.utils import timezone

from sixways.actions.models import Action, ActionUpdate, Status
from sixways.core.models import AuditEntry
from sixways.partnerships.models import Membership, Role
from sixways.rounds.fixtures import respond
from sixways.rounds.models import Status as RoundStatus
from tests.conftest import date_data, make_round, make_user

NEXT_MONTH = timezone.localdate() + datetime.timedelta(days=30)


@pytest.fixture
def closed(partnership, instrument, organisations):
    round_ = make_round(partnership, instrument, status=RoundStatus.CLOSED, title="Spring 2026")
    round_.organisations.set(organisations)
    return round_


def action_data(**extra) -> dict:
    return {
        "title": "Give the voluntary sector the first agenda item",
        "done_looks_like": "Every agenda since March starts with a voluntary sector item",
        "owner_name": "Chair of the place board",
        **date_data("due_on", NEXT_MONTH),
        "status": "agreed",
        **extra,
    }


def test_a_facilitator_agrees_an_action_and_the_plan_shows_it(client, facilitator, closed):
    client.force_login(facilitator)
    response = client.post(reverse("actions:new", args=[closed.pk, "1"]), action_data())
    assert response["Location"] == reverse("actions:plan", args=[closed.pk])
    action = Action.objects.get()
    assert action.status == Status.AGREED and action.section.key == "1"
    assert action.created_by == facilitator
    page = client.get(reverse("actions:plan", args=[closed.pk])).content.decode()
    assert "Give the voluntary sector the first agenda item</a>: Agreed." in page
    assert AuditEntry.objects.filter(action="action.created").count() == 1
    assert [u.status for u in action.updates.all()] == ["agreed"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"title": ""}, "Enter what will be done"),
        ({"done_looks_like": ""}, "Enter what done looks like"),
        ({"owner_name": ""}, "Enter who will see it through"),
        (date_data("due_on", ("1", "1", "2001")), "The due date must be today or in the future"),
        ({"organisation": 999999}, "Select a partner organisation from the list"),
        ({"title": "Hidden\u202ewords"}, "What will be done must not"),
    ],
)
def test_an_action_that_cannot_be_acted_on_is_refused_with_a_reason(
    client, facilitator, closed, change, message
):
    client.force_login(facilitator)
    response = client.post(reverse("actions:new", args=[closed.pk, "2"]), action_data(**change))
    assert response.status_code == 400
    html = response.content.decode()
    assert "There is a problem" in html and message in html
    assert not Action.objects.exists()


def test_an_organisation_from_another_partnership_is_refused(
    client, facilitator, closed, django_user_model
):
    from sixways.partnerships.models import Organisation

    elsewhere = Organisation.objects.create(name="Westmoor Council", sector="local-authority")
    client.force_login(facilitator)
    response = client.post(
        reverse("actions:new", args=[closed.pk, "2"]), action_data(organisation=elsewhere.pk)
    )
    assert response.status_code == 400 and not Action.objects.exists()


def test_a_partner_lead_only_proposes_for_their_own_organisation(
    client, django_user_model, partnership, closed, organisations
):
    lead = make_user(django_user_model, "lead@trust.example", partnership, Role.PARTNER_LEAD)
    Membership.objects.filter(user=lead).update(organisation=organisations[1])
    client.force_login(lead)
    # Whatever they send, it is proposed, and for their organisation.
    client.post(
        reverse("actions:new", args=[closed.pk, "3"]),
        action_data(status="agreed", organisation=organisations[0].pk),
    )
    action = Action.objects.get()
    assert action.status == Status.PROPOSED and action.organisation == organisations[1]
    # They cannot change where it stands.
    response = client.post(
        reverse("actions:detail", args=[action.pk]), {"status": "done", "note": "x"}
    )
    assert response.status_code == 404
    assert Action.objects.get().status == Status.PROPOSED


def test_observers_read_and_outsiders_get_404(client, observer, outsider, facilitator, closed):
    client.force_login(facilitator)
    client.post(reverse("actions:new", args=[closed.pk, "1"]), action_data())
    action = Action.objects.get()
    client.force_login(observer)
    assert (
        "Give the voluntary sector"
        in client.get(reverse("actions:plan", args=[closed.pk])).content.decode()
    )
    assert client.get(reverse("actions:new", args=[closed.pk, "1"])).status_code == 404
    assert (
        client.post(reverse("actions:detail", args=[action.pk]), {"status": "done"}).status_code
        == 404
    )
    client.force_login(outsider)
    for url in (
        reverse("actions:plan", args=[closed.pk]),
        reverse("actions:new", args=[closed.pk, "1"]),
        reverse("actions:detail", args=[action.pk]),
    ):
        assert client.get(url).status_code == 404


def test_an_update_adds_to_the_history_and_never_rewrites_it(client, facilitator, closed):
    client.force_login(facilitator)
    client.post(reverse("actions:new", args=[closed.pk, "1"]), action_data())
    action = Action.objects.get()
    url = reverse("actions:detail", args=[action.pk])
    later = NEXT_MONTH + datetime.timedelta(days=60)
    client.post(url, {"status": "in-progress", **date_data("due_on", later), "note": "Slipped"})
    refused = client.post(url, {"status": "done", "note": ""})
    assert refused.status_code == 400
    assert "Enter a note on why the action is done" in refused.content.decode()
    client.post(url, {"status": "done", "note": "Every agenda since March"})
    action.refresh_from_db()
    assert action.status == Status.DONE and action.due_on == later
    history = [(u.status, u.note) for u in action.updates.all()]
    assert history == [
        ("agreed", "Added"),
        ("in-progress", "Slipped"),
        ("done", "Every agenda since March"),
    ]
    page = client.get(url).content.decode()
    assert "now due" in page and "Every agenda since March" in page
    first = ActionUpdate.objects.order_by("id").first()
    first.note = "Rewritten"
    with pytest.raises(ValueError, match="never rewritten"):
        first.save()


def test_a_plan_with_many_actions_says_so_without_refusing(client, facilitator, closed):
    client.force_login(facilitator)
    for n in range(4):
        client.post(reverse("actions:new", args=[closed.pk, "1"]), action_data(title=f"Action {n}"))
    for n in range(5):
        client.post(reverse("actions:new", args=[closed.pk, "2"]), action_data(title=f"More {n}"))
    assert Action.objects.count() == 9
    page = client.get(reverse("actions:plan", args=[closed.pk])).content.decode()
    assert 'id="many-1"' in page and 'id="many-2"' in page
    assert "This plan has more than 8 agreed actions" in page


def test_the_next_round_starts_from_the_open_actions_and_shows_what_came_of_them(
    client, facilitator, partnership, instrument, organisations, closed
):
    from sixways.rounds.fixtures import respond

    Round = type(closed)
    today = timezone.localdate()
    Round.objects.filter(pk=closed.pk).update(
        closed_at=timezone.now(),
        opens_on=today - datetime.timedelta(days=30),
        closes_on=today - datetime.timedelta(days=1),
    )
    for _ in range(5):
        respond(closed, organisations[0], "111111")
    client.force_login(facilitator)
    client.post(reverse("actions:new", args=[closed.pk, "1"]), action_data(title="Carried"))
    client.post(reverse("actions:new", args=[closed.pk, "1"]), action_data(title="Finished"))
    client.post(
        reverse("actions:new", args=[closed.pk, "2"]),
        action_data(title="Only an idea", status="proposed"),
    )
    finished = Action.objects.get(title="Finished")
    client.post(
        reverse("actions:detail", args=[finished.pk]), {"status": "done", "note": "Agendas changed"}
    )

    later = make_round(partnership, instrument, title="Autumn 2026", mode="organisational")
    Round.objects.filter(pk=later.pk).update(
        opens_on=timezone.localdate() + datetime.timedelta(days=2)
    )
    for page in (
        reverse("rounds:detail", args=[later.pk]),
        reverse("partnerships:detail", args=[partnership.pk]),
    ):
        html = client.get(page).content.decode()
        listed = html[html.index('id="open-actions-list"') :]
        assert "Carried</a>: Agreed" in listed
        assert "Finished" not in listed and "Only an idea" not in listed

    respond(later, organisations[0], "222222")
    html = client.get(reverse("results:behaviour", args=[later.pk, "1"])).content.decode()
    box = html[html.index('id="came-of-it-1"') :]
    assert "At Spring 2026 the partnership agreed 2 actions for this behaviour" in box
    assert "Carried</a>: Agreed" in box and "Finished</a>: Done" in box
    assert "it does not show that one caused the other" in box


def test_the_board_report_has_the_action_plan_and_is_built_again_when_it_changes(
    client, facilitator, closed, organisations
):
    from tests.test_results_cache import pdf_text

    for _ in range(5):
        respond(closed, organisations[0], "222222")
    client.force_login(facilitator)

    def report() -> str:
        return pdf_text(client.get(reverse("results:pdf", args=[closed.pk])).content)

    assert "Action plan" not in report()
    client.post(reverse("actions:new", args=[closed.pk, "1"]), action_data(title="Agree agendas"))
    text = report()
    assert "Action plan" in text and "Agree agendas" in text and "Agreed" in text
    action = Action.objects.get()
    client.post(reverse("actions:detail", args=[action.pk]), {"status": "done", "note": "Done"})
    assert "Done" in report().split("Action plan", 1)[1]


def test_a_facilitator_corrects_an_action_and_its_history_keeps_the_old_wording(
    client, facilitator, observer, closed
):
    client.force_login(facilitator)
    client.post(reverse("actions:new", args=[closed.pk, "1"]), action_data(title="Old words"))
    action = Action.objects.get()
    url = reverse("actions:edit", args=[action.pk])
    later = NEXT_MONTH + datetime.timedelta(days=7)
    data = {k: v for k, v in action_data(title="New words").items() if k != "status"}
    response = client.post(url, {**data, **date_data("due_on", later)})
    assert response["Location"] == reverse("actions:detail", args=[action.pk])
    action.refresh_from_db()
    assert action.title == "New words" and action.due_on == later
    assert action.status == Status.AGREED  # where it stands is not changed by an edit
    note = action.updates.last().note
    assert "what will be done (was ‘Old words’)" in note and "the due date (was" in note
    client.force_login(observer)
    assert client.get(url).status_code == 404


# --- Owners with an account, and their reminders ---------------------------------------------


def remind(capture) -> None:
    from django.core.management import call_command

    with capture(execute=True):
        call_command("remind_actions", stdout=io.StringIO())


def _owned(client, facilitator, closed, owner, due_on) -> Action:
    client.force_login(facilitator)
    client.post(
        reverse("actions:new", args=[closed.pk, "1"]),
        action_data(owner=owner.pk, **date_data("due_on", NEXT_MONTH)),
    )
    action = Action.objects.get()
    Action.objects.filter(pk=action.pk).update(due_on=due_on)
    action.refresh_from_db()
    return action


def test_an_owner_is_someone_in_the_partnership(client, facilitator, observer, outsider, closed):
    client.force_login(facilitator)
    page = client.get(reverse("actions:new", args=[closed.pk, "1"])).content.decode()
    assert observer.email in page and outsider.email not in page
    response = client.post(
        reverse("actions:new", args=[closed.pk, "1"]), action_data(owner=outsider.pk)
    )
    assert "Select a person from the list" in response.content.decode()
    assert not Action.objects.exists()
    client.post(reverse("actions:new", args=[closed.pk, "1"]), action_data(owner=observer.pk))
    assert Action.objects.get().owner == observer


def test_an_owner_is_reminded_before_the_due_date_and_once_when_it_has_passed(
    client, facilitator, observer, closed, django_capture_on_commit_callbacks
):
    from django.core import mail

    from sixways.actions.models import Reminder

    today = timezone.localdate()
    action = _owned(client, facilitator, closed, observer, today + datetime.timedelta(days=5))
    mail.outbox.clear()

    remind(django_capture_on_commit_callbacks)
    assert [m.to for m in mail.outbox] == [[observer.email]]
    message = mail.outbox[0]
    assert "an action you own is due on" in message.subject
    assert action.title in message.body and f"/actions/{action.pk}/" in message.body
    remind(django_capture_on_commit_callbacks)
    assert len(mail.outbox) == 1  # at most one a day, and one of each kind per due date

    # The date passes: one overdue reminder, and only one, however many days go by.
    Action.objects.filter(pk=action.pk).update(due_on=today - datetime.timedelta(days=1))
    Reminder.objects.update(created_on=today - datetime.timedelta(days=1))
    remind(django_capture_on_commit_callbacks)
    assert len(mail.outbox) == 2 and "was due on" in mail.outbox[1].subject
    Reminder.objects.update(created_on=today - datetime.timedelta(days=2))
    remind(django_capture_on_commit_callbacks)
    assert len(mail.outbox) == 2
    assert set(Reminder.objects.values_list("kind", "state")) == {
        ("due-soon", "sent"),
        ("overdue", "sent"),
    }
    page = client.get(reverse("actions:detail", args=[action.pk])).content.decode()
    assert f"Emailed to {observer.email}" in page and "Last sent" in page


def test_no_reminder_for_an_action_done_far_off_or_whose_owner_has_left(
    client, facilitator, observer, closed, django_capture_on_commit_callbacks
):
    from django.core import mail

    today = timezone.localdate()
    action = _owned(client, facilitator, closed, observer, today + datetime.timedelta(days=20))
    mail.outbox.clear()
    remind(django_capture_on_commit_callbacks)
    assert not mail.outbox  # not due for weeks
    Action.objects.filter(pk=action.pk).update(due_on=today + datetime.timedelta(days=2))
    Membership.objects.filter(user=observer).delete()
    remind(django_capture_on_commit_callbacks)
    assert not mail.outbox  # recorded, then not sent: they have left the partnership
    assert action.reminders.get().state == "not-needed"
    Action.objects.filter(pk=action.pk).update(
        status=Status.DONE, due_on=today - datetime.timedelta(days=3)
    )
    remind(django_capture_on_commit_callbacks)
    assert action.reminders.count() == 1  # a done action is never reminded of


# --- What came of the plan, and the plan in every download -----------------------------------


def _two_rounds_with_a_plan(client, facilitator, partnership, instrument, organisations, closed):
    """Spring (closed, scored 1s) with two actions on behaviour 1, one done; Autumn (closed,
    scored 2s) after it."""
    Round = type(closed)
    today = timezone.localdate()
    Round.objects.filter(pk=closed.pk).update(
        closed_at=timezone.now(),
        opens_on=today - datetime.timedelta(days=200),
        closes_on=today - datetime.timedelta(days=170),
    )
    for _ in range(5):
        respond(closed, organisations[0], "111111")
    client.force_login(facilitator)
    client.post(reverse("actions:new", args=[closed.pk, "1"]), action_data(title="Carried"))
    client.post(reverse("actions:new", args=[closed.pk, "1"]), action_data(title="Finished"))
    finished = Action.objects.get(title="Finished")
    client.post(
        reverse("actions:detail", args=[finished.pk]),
        {"status": "done", "note": "=Agendas changed"},
    )
    later = make_round(partnership, instrument, title="Autumn 2026", mode="organisational")
    later.organisations.set(organisations)
    Round.objects.filter(pk=later.pk).update(
        opens_on=today - datetime.timedelta(days=30), closes_on=today - datetime.timedelta(days=1)
    )
    for _ in range(5):
        respond(later, organisations[0], "222222")
    Round.objects.filter(pk=later.pk).update(status=RoundStatus.CLOSED, closed_at=timezone.now())
    later.refresh_from_db()
    closed.refresh_from_db()
    return later


def test_the_plan_puts_what_was_done_beside_the_scores_before_and_after(
    client, facilitator, partnership, instrument, organisations, closed
):
    _two_rounds_with_a_plan(client, facilitator, partnership, instrument, organisations, closed)
    page = client.get(reverse("actions:plan", args=[closed.pk])).content.decode()
    box = page[page.index('data-scores="1"') :]
    box = box[: box.index("</div>")]
    assert "Score 1.00 at this round and 2.00 at Autumn 2026 (up 1.00)" in box
    assert "1 of 2 actions done: Finished." in box
    assert "it does not show that one caused the other" in box
    other = page[page.index('data-scores="2"') :]
    assert "Score 1.00 at this round and 2.00 at Autumn 2026" in other
    assert "No actions were agreed for it." in other[: other.index("</div>")]


def test_every_download_carries_the_action_plan(
    client, facilitator, partnership, instrument, organisations, closed
):
    import csv
    import json

    from openpyxl import load_workbook
    from pptx import Presentation

    from tests.test_results_cache import pdf_text

    later = _two_rounds_with_a_plan(
        client, facilitator, partnership, instrument, organisations, closed
    )
    rows = list(
        csv.DictReader(
            io.StringIO(
                client.get(reverse("results:actions-csv", args=[closed.pk])).content.decode(
                    "utf-8-sig"
                )
            )
        )
    )
    assert [(r["title"], r["status"], r["behaviour"]) for r in rows] == [
        ("Carried", "Agreed", "1"),
        ("Finished", "Done", "1"),
    ]
    assert (
        rows[0]["format"] == "sixways-actions/1" and rows[0]["owner"] == "Chair of the place board"
    )
    assert rows[1]["latest_note"] == "'=Agendas changed"  # typed text is never a formula

    data = json.loads(client.get(reverse("results:json", args=[closed.pk])).content)
    assert [a["status_words"] for a in data["actions"]] == ["Agreed", "Done"]
    data = json.loads(client.get(reverse("results:json", args=[later.pk])).content)
    assert data["actions"] == []
    came_of_it = data["behaviours"][0]["previous_round_actions"]
    assert [(a["title"], a["status"]) for a in came_of_it] == [
        ("Carried", "agreed"),
        ("Finished", "done"),
    ]

    book = load_workbook(io.BytesIO(client.get(reverse("results:xlsx", args=[closed.pk])).content))
    sheet = [list(r) for r in book["Actions"].values]
    assert sheet[0][:3] == ["format", "round", "action"]
    assert [r[6] for r in sheet[1:]] == ["Carried", "Finished"]

    deck = Presentation(io.BytesIO(client.get(reverse("results:pptx", args=[closed.pk])).content))
    text = [
        shape.table.cell(r, c).text
        for slide in deck.slides
        for shape in slide.shapes
        if shape.has_table
        for r in range(len(shape.table.rows))
        for c in range(len(shape.table.columns))
    ]
    assert "Carried" in text and "Done" in text

    # The next round's board report shows what came of them, beside the change.
    report = pdf_text(client.get(reverse("results:pdf", args=[later.pk])).content)
    assert "At Spring 2026 the partnership agreed 2 actions for this behaviour" in report
    assert "Carried: Agreed" in report and "Finished: Done" in report


def test_the_actions_csv_is_for_the_partnership_only(client, outsider, closed, partner_lead):
    client.force_login(outsider)
    assert client.get(reverse("results:actions-csv", args=[closed.pk])).status_code == 404
    client.force_login(partner_lead)
    assert client.get(reverse("results:actions-csv", args=[closed.pk])).status_code == 200


def test_the_demo_has_a_plan_from_spring_with_one_action_done_and_one_carried(client, db):
    from sixways.actions import demo
    from sixways.rounds import demo as rounds_demo

    partnership = demo.create_demo()
    demo.create_demo()  # a second start adds nothing
    assert sorted(Action.objects.values_list("status", flat=True)) == ["done", "in-progress"]
    carried = Action.objects.get(status="in-progress")
    assert carried.due_on > timezone.localdate() and carried.owner is not None
    assert [u.status for u in carried.updates.all()] == ["agreed", "in-progress"]
    client.login(username=rounds_demo.FACILITATOR_EMAIL, password=rounds_demo.FACILITATOR_PASSWORD)
    autumn = partnership.rounds.get(title="Autumn 2026")
    html = client.get(reverse("rounds:detail", args=[autumn.pk])).content.decode()
    listed = html[html.index('id="open-actions-list"') :]
    assert carried.title in listed and "shared picture of waiting times" not in listed


def test_the_open_actions_are_looked_back_on_one_page(
    client, facilitator, observer, outsider, partnership, closed
):
    client.force_login(facilitator)
    client.post(reverse("actions:new", args=[closed.pk, "1"]), action_data(title="Carried"))
    client.post(reverse("actions:new", args=[closed.pk, "2"]), action_data(title="Finished"))
    carried, finished = Action.objects.order_by("pk")
    url = reverse("actions:review", args=[partnership.pk])
    page = client.get(url).content.decode()
    assert f'data-open-action="{carried.pk}"' in page and "Still going" in page

    # A problem is shown where it is, in the error summary; nothing is saved.
    response = client.post(url, {"action": finished.pk, f"action-{finished.pk}-status": "done"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "nhsuk-error-summary" in html and "Enter a note on why the action is done" in html
    assert f'href="#action-{finished.pk}-note"' in html
    finished.refresh_from_db()
    assert finished.status == Status.AGREED

    later = NEXT_MONTH + datetime.timedelta(days=60)
    prefix = f"action-{carried.pk}"
    response = client.post(
        url,
        {
            "action": carried.pk,
            f"{prefix}-status": "in-progress",
            f"{prefix}-note": "Half the agendas so far",
            **date_data(f"{prefix}-due_on", later),
        },
    )
    assert response["Location"] == url
    client.post(
        url,
        {
            "action": finished.pk,
            f"action-{finished.pk}-status": "done",
            f"action-{finished.pk}-note": "Yes",
        },
    )
    carried.refresh_from_db()
    finished.refresh_from_db()
    assert (carried.status, carried.due_on) == (Status.IN_PROGRESS, later)
    assert finished.status == Status.DONE
    page = client.get(url).content.decode()
    assert "‘Finished’ is updated." in page  # the success message
    assert f'data-open-action="{carried.pk}"' in page
    assert f'data-open-action="{finished.pk}"' not in page

    # Observers read it and change nothing; outsiders do not see it; ids are checked.
    client.force_login(observer)
    assert "Still going" not in client.get(url).content.decode()
    post = {"action": carried.pk, f"{prefix}-status": "dropped", f"{prefix}-note": "No"}
    assert client.post(url, post).status_code == 404
    client.force_login(outsider)
    assert client.get(url).status_code == 404
    client.force_login(facilitator)
    assert client.post(url, {**post, "action": finished.pk}).status_code == 404  # not open
    carried.refresh_from_db()
    assert carried.status == Status.IN_PROGRESS
