"""An action plan across two rounds in a real browser: agreed from one round's priorities,
looked back on when the next round is under way, and shown beside the change in score on the
next round's results and in its board report."""

import datetime
import io
import re

from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from sixways.rounds import demo
from sixways.rounds.models import Round
from tests.browser.conftest import assert_accessible
from tests.browser.test_cycle import shot, sign_in


def fill_date(scope, legend: str, day: datetime.date) -> None:
    group = scope.get_by_role("group", name=legend)
    group.get_by_label("Day").fill(str(day.day))
    group.get_by_label("Month").fill(str(day.month))
    group.get_by_label("Year").fill(str(day.year))


def test_a_plan_is_agreed_reviewed_at_the_next_round_and_shown_beside_the_change(
    live_server, page, transactional_db
):
    page.set_viewport_size({"width": 1280, "height": 800})
    partnership = demo.create_demo()  # Spring 2026 closed, Autumn 2026 open
    spring = Round.objects.get(partnership=partnership, title="Spring 2026")
    autumn = Round.objects.get(partnership=partnership, title="Autumn 2026")
    facilitator = get_user_model().objects.get(username=demo.FACILITATOR_EMAIL)
    sign_in(page, live_server, facilitator)
    today = timezone.localdate()

    # From the spring round's priorities to its action plan.
    page.goto(live_server.url + reverse("results:round", args=[spring.pk]))
    page.get_by_role("link", name="Plan what to do about them: the action plan").click()
    assert page.locator("h1").inner_text() == "Action plan"
    assert_accessible(page, "an empty action plan")
    first_priority = page.locator("section", has=page.locator(".nhsuk-tag")).first
    behaviour = first_priority.locator("h2").inner_text().split(".")[0]
    first_priority.get_by_role("link", name=re.compile("^Add an action")).click()

    # The form asks for what makes an action actionable.
    page.get_by_label("What will be done").fill("Hold partnership meetings in each organisation")
    page.get_by_role("button", name="Add the action").click()
    summary = page.locator(".nhsuk-error-summary")
    assert "Enter what done looks like" in summary.inner_text()
    assert "Enter who will see it through" in summary.inner_text()
    assert_accessible(page, "an action with problems")
    page.get_by_label("What done looks like").fill("Each partner has hosted a meeting")
    page.get_by_label("Who will see it through").fill("Partnership manager")
    fill_date(page, "Due date", today + datetime.timedelta(days=20))
    page.get_by_role("button", name="Add the action").click()
    assert "is added to the plan" in page.inner_text("main")

    page.get_by_role("link", name=re.compile("^Add an action")).nth(0).click()
    page.get_by_label("What will be done").fill("Ask the smaller partners to chair in turn")
    page.get_by_label("What done looks like").fill("Three meetings chaired by smaller partners")
    page.get_by_label("Who will see it through").fill("Chair of the place board")
    fill_date(page, "Due date", today + datetime.timedelta(days=10))
    page.get_by_role("button", name="Add the action").click()
    plan = page.locator(f'[data-actions="{behaviour}"]').inner_text()
    assert "Hold partnership meetings in each organisation: Agreed." in plan
    assert "Ask the smaller partners to chair in turn: Agreed." in plan
    shot(page, "actions-01-plan")

    # The autumn round is under way: its page starts from the open actions.
    page.goto(live_server.url + reverse("rounds:detail", args=[autumn.pk]))
    assert "Hold partnership meetings" in page.locator("#open-actions-list").inner_text()
    page.get_by_role("link", name="Look back at the open actions on one page").click()
    assert page.locator("h1").inner_text() == "Look back at the open actions"
    assert_accessible(page, "the look back at open actions")
    done = page.locator("[data-open-action]", has_text="Hold partnership meetings")
    done.get_by_label("Done", exact=True).check()
    done.get_by_role("button", name="Save").click()
    assert (
        "Enter a note on why the action is done"
        in page.locator(".nhsuk-error-summary").inner_text()
    )
    done = page.locator("[data-open-action]", has_text="Hold partnership meetings")
    done.get_by_label("Done", exact=True).check()
    done.get_by_label("Note").fill("Every partner has now hosted one")
    done.get_by_role("button", name="Save").click()
    assert "is updated" in page.inner_text("main")
    carried = page.locator("[data-open-action]", has_text="Ask the smaller partners")
    carried.get_by_label("Still going").check()
    new_date = today + datetime.timedelta(days=90)
    fill_date(carried, "New due date (optional)", new_date)
    carried.get_by_label("Note").fill("One meeting so far")
    carried.get_by_role("button", name="Save").click()
    open_now = page.locator("[data-open-action]")
    assert open_now.count() == 1 and "Ask the smaller partners" in open_now.inner_text()
    assert f"due {new_date.day} {new_date:%B %Y}" in open_now.inner_text()
    shot(page, "actions-02-review")

    # When the autumn round closes, its results show what came of the spring plan.
    Round.objects.get(pk=autumn.pk).close(facilitator, reason="The board meets next week")
    page.goto(live_server.url + reverse("results:behaviour", args=[autumn.pk, behaviour]))
    box = page.locator(f"#came-of-it-{behaviour}").inner_text()
    assert "At Spring 2026 the partnership agreed 2 actions for this behaviour" in box
    assert re.search(r"its score has (gone up|gone down|not changed)", box)
    assert "Hold partnership meetings in each organisation: Done" in box
    assert "Ask the smaller partners to chair in turn: In progress" in box
    assert_accessible(page, "a behaviour with what came of the actions")
    shot(page, "actions-03-came-of-it")

    report = page.request.get(live_server.url + reverse("results:pdf", args=[autumn.pk]))
    text = " ".join(
        " ".join((p.extract_text() or "").split())
        for p in PdfReader(io.BytesIO(report.body())).pages
    )
    assert "At Spring 2026 the partnership agreed 2 actions for this behaviour" in text
    assert "Hold partnership meetings in each organisation: Done" in text
    assert "Ask the smaller partners to chair in turn: In progress" in text
