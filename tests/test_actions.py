"""Action plans: who may add and change actions, the rules an action keeps, and its history."""

import datetime

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
