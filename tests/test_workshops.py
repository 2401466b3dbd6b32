"""Workshops over HTTP: the facilitator drives, the room votes on phones without accounts, and
nothing shows who voted for what."""

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from sixways.rounds.models import Invitation, Mode, Response
from sixways.workshops import seats
from sixways.workshops.models import Seat, Vote, Workshop
from tests.conftest import make_round

K = settings.MIN_GROUP_SIZE


@pytest.fixture
def collective(partnership, instrument, organisations):
    round_ = make_round(partnership, instrument, mode=Mode.COLLECTIVE, title="Workshop round")
    round_.organisations.set(organisations)
    return round_


@pytest.fixture
def running(client, facilitator, collective) -> Workshop:
    client.force_login(facilitator)
    response = client.post(reverse("workshops:control", args=[collective.pk]), {"pace": "question"})
    assert response["Location"] == reverse("workshops:control", args=[collective.pk])
    return Workshop.objects.get()


def phone(workshop: Workshop, organisation=None) -> Client:
    device = Client()
    data = {"organisation": organisation.pk} if organisation else {}
    response = device.post(reverse("workshops:seat", args=[workshop.code]), data)
    assert response["Location"] == reverse("workshops:room", args=[workshop.code])
    return device


def open_question(client, round_, key: str) -> None:
    client.post(reverse("workshops:open", args=[round_.pk]), {"item": key})


def cast(device: Client, workshop: Workshop, key: str, option: str):
    return device.post(
        reverse("workshops:vote", args=[workshop.code]), {"q" + key.replace(".", "_"): option}
    )


def test_a_facilitator_starts_a_workshop_with_a_code_people_can_read(client, running, collective):
    assert len(running.code) == 6 and not set(running.code) & set("0O1IL2Z5S8BUV")
    page = client.get(reverse("workshops:control", args=[collective.pk])).content.decode()
    assert running.code in page and "/w/" in page
    screen = client.get(reverse("workshops:screen", args=[collective.pk])).content.decode()
    assert running.code in screen and "data:image/svg+xml" in screen


def test_people_join_with_the_code_and_an_organisation_if_they_like(client, running, organisations):
    device = Client()
    response = device.post(reverse("workshops:join"), {"code": f" {running.code.lower()} "})
    assert response["Location"] == reverse("workshops:seat", args=[running.code])
    page = device.get(response["Location"]).content.decode()
    assert organisations[0].name in page and "I would rather not say" in page
    device.post(response["Location"], {"organisation": organisations[0].pk})
    seat = Seat.objects.get()
    assert seat.organisation == organisations[0]
    assert (
        "Waiting for the next question"
        in device.get(reverse("workshops:room", args=[running.code])).content.decode()
    )

    wrong = Client().post(reverse("workshops:join"), {"code": "QQQQQQ"})
    assert wrong.status_code == 404  # counted by the brake on guessing
    assert "There is no workshop running with that code" in wrong.content.decode()
    assert Client().get(reverse("workshops:seat", args=["QQQQQQ"])).status_code == 404


def test_voting_shows_only_how_many_have_voted_until_the_answers_are_shown(
    client, running, collective, organisations
):
    devices = [phone(running, organisations[0])] + [phone(running) for _ in range(K)]
    open_question(client, collective, "1.1")
    page = devices[0].get(reverse("workshops:room", args=[running.code])).content.decode()
    assert "1.1" in page and 'type="radio"' in page
    for device in devices[: K - 1]:
        assert cast(device, running, "1.1", "yes").status_code == 302
    screen = client.get(reverse("workshops:screen", args=[collective.pk])).content.decode()
    assert f"{K - 1} of {K + 1}</strong> voted" in screen
    assert "How the room voted" not in screen  # no running chart

    # Too few to show: refused, with the reason on the page.
    response = client.post(reverse("workshops:reveal", args=[collective.pk]))
    assert response.status_code == 409
    assert f"once {K} people have voted: {K - 1} have so far" in response.content.decode()

    # A double tap changes nothing; a changed vote before the reveal is a change.
    cast(devices[K - 1], running, "1.1", "no")
    cast(devices[K - 1], running, "1.1", "no")
    cast(devices[0], running, "1.1", "sometimes")
    assert Vote.objects.count() == K
    assert client.post(reverse("workshops:reveal", args=[collective.pk])).status_code == 302
    running.refresh_from_db()
    assert running.stage == "revealed"

    # After the reveal a vote is kept but not shown, and a vote already cast cannot change.
    cast(devices[K], running, "1.1", "no")
    cast(devices[0], running, "1.1", "no")
    late = Vote.objects.get(seat__in=Seat.objects.order_by("pk")[K : K + 1])
    assert late.after_reveal
    assert Vote.objects.get(seat=Seat.objects.order_by("pk").first()).option.key == "sometimes"
    screen = client.get(reverse("workshops:screen", args=[collective.pk])).content.decode()
    row = screen[screen.index('data-spread="1.1"') :]
    row = row[: row.index("</tr>")]
    numbers = [int(c.split(">")[-1]) for c in row.split("</td>")[:-1]]
    assert numbers == [K - 2, 1, 0, 1]  # yes, sometimes, not always, no: the late vote left out
    # Nothing names anyone: not the seat, nor the organisation someone said they are from.
    room = devices[1].get(reverse("workshops:room", args=[running.code])).content.decode()
    for page in (screen, room):
        assert organisations[0].name not in page


def test_the_room_agrees_an_answer_with_one_press_and_ending_records_it(
    client, running, collective
):
    open_question(client, collective, "1.1")
    client.post(
        reverse("workshops:agree", args=[collective.pk]),
        {"question": "1.1", "option": "sometimes", "version": 0},
    )
    agreed = Response.objects.get(round=collective, invitation__kind=Invitation.Kind.COLLECTIVE)
    assert agreed.answers.get().option.key == "sometimes"
    # A page shown before that save is out of date: nothing is saved, and it says so.
    response = client.post(
        reverse("workshops:agree", args=[collective.pk]),
        {"question": "1.1", "option": "yes", "version": 0},
    )
    assert response.status_code == 409 and "Someone else changed the agreed answers" in (
        response.content.decode()
    )
    assert agreed.answers.get().option.key == "sometimes"
    client.post(
        reverse("workshops:comment", args=[collective.pk, "1"]),
        {"version": 1, "text": "Agreed after a long talk"},
    )
    assert agreed.comments.get().text == "Agreed after a long talk"

    response = client.post(reverse("workshops:end", args=[collective.pk]))
    assert response["Location"] == reverse("rounds:agreed", args=[collective.pk])
    running.refresh_from_db()
    assert running.stage == "ended"
    agreed.refresh_from_db()
    assert agreed.state == "draft"  # 23 questions still to agree
    assert Client().get(reverse("workshops:seat", args=[running.code])).status_code == 404


def test_facilitators_and_observers_do_not_vote(client, running, observer, facilitator):
    for person in (facilitator, observer):
        device = Client()
        device.force_login(person)
        response = device.post(reverse("workshops:seat", args=[running.code]), {})
        assert response.status_code == 403 and "You run this workshop" in response.content.decode()
    assert not Seat.objects.exists()


def test_only_the_partnerships_facilitators_drive(
    client, running, collective, observer, outsider, partner_lead
):
    for person in (observer, outsider, partner_lead):
        client.force_login(person)
        for name in ("workshops:reveal", "workshops:open", "workshops:agree", "workshops:end"):
            assert (
                client.post(reverse(name, args=[collective.pk]), {"item": "1.1"}).status_code == 404
            )
        assert client.get(reverse("workshops:control", args=[collective.pk])).status_code == 404
    client.force_login(observer)
    assert client.get(reverse("workshops:screen", args=[collective.pk])).status_code == 200
    client.force_login(outsider)
    assert client.get(reverse("workshops:screen", args=[collective.pk])).status_code == 404
    running.refresh_from_db()
    assert running.stage == "waiting" and running.version == 0


def test_a_forged_or_borrowed_seat_cookie_seats_nobody(
    client, running, collective, partnership, instrument, facilitator
):
    device = phone(running)
    open_question(client, collective, "1.1")
    seat = Seat.objects.get()
    forged = Client()
    forged.cookies[seats.COOKIE] = f"{seat.pk}.{seat.secret}"  # unsigned
    assert forged.get(reverse("workshops:room", args=[running.code]))["Location"] == reverse(
        "workshops:seat", args=[running.code]
    )
    assert cast(forged, running, "1.1", "yes")["Location"] == reverse(
        "workshops:seat", args=[running.code]
    )
    # The same device's seat does not carry into another workshop.
    other_round = make_round(partnership, instrument, mode=Mode.COLLECTIVE, title="Other")
    client.post(reverse("workshops:control", args=[other_round.pk]), {"pace": "question"})
    other = Workshop.objects.get(round=other_round)
    assert device.get(reverse("workshops:room", args=[other.code]))["Location"] == reverse(
        "workshops:seat", args=[other.code]
    )
    assert not Vote.objects.exists()


def test_a_workshop_runs_only_in_an_open_collective_or_individual_round(
    client, facilitator, partnership, instrument
):
    client.force_login(facilitator)
    organisational = make_round(partnership, instrument, mode=Mode.ORGANISATIONAL, title="Org")
    closed = make_round(partnership, instrument, mode=Mode.COLLECTIVE, status="closed")
    for round_, reason in [
        (organisational, "each organisation sends one response, so a workshop"),
        (closed, "only run while its round is open"),
    ]:
        url = reverse("workshops:control", args=[round_.pk])
        assert reason in client.get(url).content.decode()
        client.post(url, {"pace": "question"})
    assert not Workshop.objects.exists()


def test_a_workshop_starts_from_the_open_actions(
    client, facilitator, partnership, instrument, collective
):
    from sixways.actions.models import Action

    earlier = make_round(partnership, instrument, title="Spring")
    Action.objects.create(
        partnership=partnership,
        round=earlier,
        section=instrument.sections.first(),
        title="Share the agenda",
        done_looks_like="Agendas shared",
        owner_name="Chair",
        due_on=earlier.closes_on,
        status="agreed",
    )
    client.force_login(facilitator)
    client.post(reverse("workshops:control", args=[collective.pk]), {"pace": "section"})
    workshop = Workshop.objects.get()
    assert workshop.stage == "open-actions"
    screen = client.get(reverse("workshops:screen", args=[collective.pk])).content.decode()
    assert "Share the agenda" in screen
    client.post(reverse("workshops:to-questions", args=[collective.pk]))
    client.post(reverse("workshops:open", args=[collective.pk]), {"item": "2"})
    workshop.refresh_from_db()
    assert workshop.stage == "voting" and [q.key for q in workshop.open_questions()] == [
        "2.1",
        "2.2",
        "2.3",
        "2.4",
        "2.5",
    ]


def test_live_pages_answer_not_modified_until_something_they_show_changes(
    client, running, collective, django_assert_num_queries
):
    device = phone(running)
    other = phone(running)
    url = reverse("workshops:room-live", args=[running.code])
    first = device.get(url)
    assert first.status_code == 200 and "Waiting for the next question" in first.content.decode()
    tag = first["ETag"]
    with django_assert_num_queries(1):  # one row read, nothing rendered
        unchanged = device.get(url, headers={"if-none-match": tag})
    assert unchanged.status_code == 304 and unchanged.content == b""
    # A compressed reply's ETag comes back weak (GZipMiddleware makes it so, when it
    # compresses, which its random padding makes vary): it still names the same state.
    assert device.get(url, headers={"if-none-match": f"W/{tag}"}).status_code == 304

    open_question(client, collective, "1.1")
    opened = device.get(url, headers={"if-none-match": tag})
    assert opened.status_code == 200 and 'data-announce="New question: 1.1"' in (
        opened.content.decode()
    )
    assert "1.1" in opened.content.decode() and 'type="radio"' in opened.content.decode()
    # Someone else's vote changes nothing a phone shows, so phones are not sent it again...
    cast(other, running, "1.1", "yes")
    assert device.get(url, headers={"if-none-match": opened["ETag"]}).status_code == 304
    # ...but the screen and the controls count it.
    screen_url = reverse("workshops:screen-live", args=[collective.pk])
    control_url = reverse("workshops:control-live", args=[collective.pk])
    for live_url in (screen_url, control_url):
        page = client.get(live_url)
        assert "1 of 2</strong> voted" in page.content.decode()
        assert client.get(live_url, headers={"if-none-match": page["ETag"]}).status_code == 304
        cast(device, running, "1.1", "no")
        assert (
            "2 of 2</strong> voted"
            in client.get(live_url, headers={"if-none-match": page["ETag"]}).content.decode()
        )
        Vote.objects.filter(seat__workshop=running).delete()
        cast(other, running, "1.1", "yes")

    client.post(reverse("workshops:end", args=[collective.pk]))
    assert "The workshop has ended" in device.get(url).content.decode()
    assert (
        "The workshop has ended"
        in device.get(reverse("workshops:room", args=[running.code])).content.decode()
    )


def test_only_the_partnership_sees_the_live_screen_and_only_facilitators_the_controls(
    client, running, collective, observer, outsider
):
    client.force_login(observer)
    assert client.get(reverse("workshops:screen-live", args=[collective.pk])).status_code == 200
    assert client.get(reverse("workshops:control-live", args=[collective.pk])).status_code == 404
    client.force_login(outsider)
    assert client.get(reverse("workshops:screen-live", args=[collective.pk])).status_code == 404


def finish(client, running, collective, instrument, organisations) -> None:
    """Six vote on 1.1 (three against), the room agrees Yes everywhere, the workshop ends
    and the round closes."""

    devices = [phone(running, organisations[0]) for _ in range(K)] + [phone(running)]
    open_question(client, collective, "1.1")
    votes = ["no", "no", "not-always", "yes", "yes", "sometimes"][: K + 1]
    for device, option in zip(devices, votes, strict=True):
        cast(device, running, "1.1", option)
    agree_yes_end_and_close(client, collective, instrument)


def agree_yes_end_and_close(client, round_, instrument) -> None:
    """The room agrees Yes to every question, the workshop ends and the round closes."""
    from sixways.rounds.models import Status as RoundStatus

    for question in instrument.questions.all():
        agreed = Response.objects.filter(invitation__kind=Invitation.Kind.COLLECTIVE).first()
        client.post(
            reverse("workshops:agree", args=[round_.pk]),
            {"question": question.key, "option": "yes", "version": agreed.version if agreed else 0},
        )
    client.post(reverse("workshops:end", args=[round_.pk]))
    type(round_).objects.filter(pk=round_.pk).update(
        status=RoundStatus.CLOSED, closed_at=timezone.now()
    )


def test_the_votes_are_kept_beside_the_agreed_answers_and_shown_with_the_gap(
    client, running, collective, instrument, organisations
):
    finish(client, running, collective, instrument, organisations)
    kept = Response.objects.filter(round=collective, state=Response.State.ALONGSIDE)
    assert kept.count() == K + 1
    assert kept.filter(organisation=organisations[0]).count() == K
    agreed = Response.objects.get(invitation__kind=Invitation.Kind.COLLECTIVE)
    assert agreed.state == Response.State.SUBMITTED

    # The round's own results count the agreed answers only...
    overview = client.get(reverse("results:round", args=[collective.pk])).content.decode()
    assert "1 response sent" in overview
    assert "1 agreed answer may hide disagreement" in overview
    # ...and the votes are beside them.
    page = client.get(reverse("results:layers", args=[collective.pk])).content.decode()
    row = page[page.index('data-layers="1.1"') :]
    row = row[: row.index("</tr>")]
    assert "Yes" in row and "(may hide disagreement)" in row
    masked = page[page.index('data-masked="1.1"') :]
    assert "You agreed ‘Yes’; 3 of 6 said ‘Not always’ or ‘No’" in masked[: masked.index("</li>")]
    # Questions nobody voted on show no individual answers.
    other = page[page.index('data-layers="1.2"') :]
    assert f"Fewer than {K} people answered: not shown" in other[: other.index("</tr>")]


def test_agreed_answers_recorded_in_an_individual_round_sit_beside_peoples_own(
    client, facilitator, partnership, instrument, organisations
):
    from sixways.rounds.fixtures import respond
    from sixways.rounds.models import Status as RoundStatus
    from tests.conftest import ALL_YES

    round_ = make_round(partnership, instrument)  # individual
    round_.organisations.set(organisations)
    for pattern in ["111111", "111111", "011111", "322222", "322222"]:
        respond(round_, organisations[0], pattern)
    client.force_login(facilitator)
    version = 0
    for number in range(1, 7):
        answers = {k: v for k, v in ALL_YES.items() if k.startswith(f"q{number}_")}
        client.post(
            reverse("rounds:agreed-behaviour", args=[round_.pk, number]),
            {**answers, "version": version, "action": "continue"},
        )
        version += 1
    client.post(reverse("rounds:agreed", args=[round_.pk]), {"version": version})
    agreed = Response.objects.get(invitation__kind=Invitation.Kind.COLLECTIVE)
    assert agreed.state == Response.State.ALONGSIDE  # beside people's answers, not among them
    type(round_).objects.filter(pk=round_.pk).update(
        status=RoundStatus.CLOSED, closed_at=timezone.now()
    )

    overview = client.get(reverse("results:round", args=[round_.pk])).content.decode()
    assert "5 responses sent" in overview  # the agreed answers are not a sixth
    page = client.get(reverse("results:layers", args=[round_.pk])).content.decode()
    gap = page[page.index('data-behaviour-gap="1"') :]
    # Agreed 3 everywhere; people's own average (1 + 1 + 0 + 3 + 3) / 5 = 1.6.
    assert "Agreed score 3.00; people's own 1.60; gap +1.40" in gap[: gap.index("</p>")]
    masked = page[page.index('id="masked-list"') :]
    assert masked.count("data-masked=") == 24  # 3 of 5 below the middle, everywhere


def test_every_download_has_the_agreed_answers_beside_peoples_own(
    client, running, collective, instrument, organisations
):
    import csv
    import io
    import json

    from openpyxl import load_workbook
    from pptx import Presentation

    from tests.test_results_cache import pdf_text

    finish(client, running, collective, instrument, organisations)
    rows = list(
        csv.DictReader(
            io.StringIO(
                client.get(reverse("results:layers-csv", args=[collective.pk])).content.decode(
                    "utf-8-sig"
                )
            )
        )
    )
    assert len(rows) == 24 and rows[0]["format"] == "sixways-agreed-and-individual/1"
    first = rows[0]
    assert (first["question"], first["agreed"], first["individual_people"]) == ("1.1", "yes", "6")
    assert (first["individual_no"], first["masked_dissent"], first["gap"]) == ("2", "yes", "1.5")
    assert rows[1]["individual_people"] == "" and rows[1]["gap"] == ""  # nobody voted on 1.2

    data = json.loads(client.get(reverse("results:json", args=[collective.pk])).content)
    layers = data["agreed_and_individual"]
    assert layers["masked_dissent"] == ["1.1"] and layers["individual_people"] == 6
    q = layers["behaviours"][0]["questions"][0]
    assert q["individual_answers"] == {"no": 2, "not-always": 1, "yes": 2, "sometimes": 1}

    book = load_workbook(
        io.BytesIO(client.get(reverse("results:xlsx", args=[collective.pk])).content)
    )
    sheet = [list(r) for r in book["Agreed and individual"].values]
    assert sheet[1][3:6] == ["1.1", "yes", 6]

    deck = Presentation(
        io.BytesIO(client.get(reverse("results:pptx", args=[collective.pk])).content)
    )
    text = " ".join(
        shape.text_frame.text
        for slide in deck.slides
        for shape in slide.shapes
        if shape.has_text_frame
    )
    assert "Agreed answers that may hide disagreement: 1.1" in text

    report = pdf_text(client.get(reverse("results:pdf", args=[collective.pk])).content)
    assert "Agreed answers beside people's own" in report
    assert "Agreed ‘Yes’; 3 of 6 said ‘Not always’ or ‘No’" in report

    # A round with one layer has none of this.
    assert client.get(reverse("results:layers", args=[running.round_id + 999])).status_code == 404


def test_guessing_codes_is_slowed_like_guessing_links(client, running, settings):
    settings.PARTICIPANT_LINK_FAILURES = "3/h"
    guesser = Client()
    answers = [
        guesser.post(reverse("workshops:join"), {"code": f"QQQQQ{c}"}).status_code for c in "ACDEF"
    ]
    assert answers[:3] == [404, 404, 404] and answers[3:] == [429, 429]
    # The right code still works from the same address.
    assert guesser.post(reverse("workshops:join"), {"code": running.code}).status_code == 302


def by_organisation(page: str, behaviour: str) -> dict[str, str]:
    """The by-organisation table of one behaviour: each group's row, as text."""
    table = page[page.index(f'data-by-organisation="{behaviour}"') :]
    table = table[: table.index("</table>")]
    rows = {}
    for chunk in table.split('data-group="')[1:]:
        name, rest = chunk.split('"', 1)
        rows[name] = " ".join(rest[: rest.index("</tr>")].split())
    return rows


def test_each_organisations_people_are_beside_the_agreed_answers_where_they_are_enough(
    client, running, collective, instrument, organisations, settings
):
    """On 1.1, K from the council, two from the trust and K - 2 who gave no organisation
    vote: the council is shown on its own, the others together (K of them). On 1.2 three
    council seats vote with the rest: nobody is shown on their own, only all together."""
    council, trust = organisations
    devices = (
        [phone(running, council) for _ in range(K)]
        + [phone(running, trust) for _ in range(2)]
        + [phone(running) for _ in range(K - 2)]
    )
    open_question(client, collective, "1.1")
    for device in devices:
        cast(device, running, "1.1", "no")
    open_question(client, collective, "1.2")
    for device in devices[:3] + devices[K:]:
        cast(device, running, "1.2", "yes")
    agree_yes_end_and_close(client, collective, instrument)

    page = client.get(reverse("results:layers", args=[collective.pk])).content.decode()
    rows = by_organisation(page, "1")
    assert set(rows) == {"Eastvale Council", "Eastvale NHS Trust", "Organisation not given", "pool"}
    council_cells = rows["Eastvale Council"].split("</td>")
    assert "0.00" in council_cells[0] and "gap +3.00" in council_cells[0]
    assert "With other organisations" in council_cells[1]
    for name in ("Eastvale NHS Trust", "Organisation not given"):
        assert "With other organisations" in rows[name].split("</td>")[0]
    pool_cells = rows["pool"].split("</td>")
    assert "0.00" in pool_cells[0]  # 1.1: the K others, all No
    assert "3.00" in pool_cells[1]  # 1.2: all K + 3 together, all Yes
    assert "No answers" in pool_cells[2]  # 1.3: nobody voted
    csv_reply = client.get(
        reverse("results:layers-by-organisation-csv", args=[collective.pk])
    ).content.decode()
    lines = [line.split(",") for line in csv_reply.strip().splitlines()[1:]]
    council_11 = next(r for r in lines if r[2] == "Eastvale Council" and r[5] == "1.1")
    assert council_11[7:9] == ["no", str(K)]
    trust_11 = next(r for r in lines if r[2] == "Eastvale NHS Trust" and r[5] == "1.1")
    assert trust_11[7] == "yes" and trust_11[8] == ""
    # Nobody's figures below K anywhere in the file.
    for row in lines:
        assert row[8] == "" or int(row[8]) >= K


def test_by_organisation_follows_the_rounds_own_pooling_in_an_individual_round(
    client, facilitator, partnership, instrument, organisations
):
    from sixways.rounds.fixtures import respond
    from sixways.rounds.models import Status as RoundStatus
    from tests.conftest import ALL_YES

    round_ = make_round(partnership, instrument)  # individual
    round_.organisations.set(organisations)
    for _ in range(K):
        respond(round_, organisations[0], "111111")
    for _ in range(K):
        respond(round_, organisations[1], "222222")
    client.force_login(facilitator)
    version = 0
    for number in range(1, 7):
        answers = {k: v for k, v in ALL_YES.items() if k.startswith(f"q{number}_")}
        client.post(
            reverse("rounds:agreed-behaviour", args=[round_.pk, number]),
            {**answers, "version": version, "action": "continue"},
        )
        version += 1
    client.post(reverse("rounds:agreed", args=[round_.pk]), {"version": version})
    type(round_).objects.filter(pk=round_.pk).update(
        status=RoundStatus.CLOSED, closed_at=timezone.now()
    )
    page = client.get(reverse("results:layers", args=[round_.pk])).content.decode()
    rows = by_organisation(page, "3")
    assert "1.00" in rows["Eastvale Council"] and "gap +2.00" in rows["Eastvale Council"]
    assert "2.00" in rows["Eastvale NHS Trust"] and "gap +1.00" in rows["Eastvale NHS Trust"]
    # One response fewer at the trust, and both are counted together, as on the results pages.
    Response.objects.filter(organisation=organisations[1]).order_by("pk").first().delete()
    from sixways.rounds.tally import rebuild_tally

    rebuild_tally(round_.pk)
    from sixways.results.cache import results_cache

    results_cache().clear()
    page = client.get(reverse("results:layers", args=[round_.pk])).content.decode()
    assert 'data-by-organisation="3"' not in page
    assert "shown for the partnership as a whole only" in page


# --- A workshop in a round where people answer for themselves --------------------------------


def seat_with_link(token: str) -> Client:
    device = Client()
    start = device.get(reverse("rounds:start", args=[token])).content.decode()
    assert "In the workshop now?" in start
    reply = device.post(reverse("workshops:join-with-link", args=[token]))
    assert reply.status_code == 302, reply.content.decode()
    return device


def individual_workshop(client, facilitator, partnership, instrument, organisations, people):
    """An open individual round, a workshop in it, and `people` joined with their own links;
    1.1 voted on by all of them ("no" by the first, "yes" by the rest) and shown."""
    round_ = make_round(partnership, instrument, title="Spring round")
    round_.organisations.set(organisations)
    client.force_login(facilitator)
    client.post(reverse("workshops:control", args=[round_.pk]), {"pace": "question"})
    workshop = Workshop.objects.get(round=round_)
    tokens = [Invitation.issue(round_, organisations[0])[1] for _ in range(people)]
    devices = [seat_with_link(token) for token in tokens]
    open_question(client, round_, "1.1")
    for number, device in enumerate(devices):
        cast(device, workshop, "1.1", "no" if number == 0 else "yes")
    assert client.post(reverse("workshops:reveal", args=[round_.pk])).status_code == 302
    client.post(reverse("workshops:end", args=[round_.pk]))
    return round_, workshop, tokens, devices


def finish_online(token: str, change: bool = False) -> None:
    """The person finishes their answers as anyone does online, and sends them."""
    from sixways.instruments.models import Option
    from sixways.rounds.answering import submit

    invitation = Invitation.objects.from_token(token)
    response = Response.objects.get(invitation=invitation)
    yes = Option.objects.get(instrument=response.round.instrument, key="yes")
    no = Option.objects.get(instrument=response.round.instrument, key="no")
    for question in response.round.instrument.questions.exclude(key="1.1"):
        response.answers.create(question=question, option=yes)
    if change:
        response.answers.filter(question__key="1.1").update(
            option=no if response.answers.get(question__key="1.1").option == yes else yes
        )
    submit(response)


def close(round_) -> None:
    from sixways.results.cache import results_cache
    from sixways.rounds.models import Status as RoundStatus

    type(round_).objects.filter(pk=round_.pk).update(
        status=RoundStatus.CLOSED, closed_at=timezone.now()
    )
    results_cache().clear()


def test_in_an_individual_round_people_join_with_their_own_link_and_votes_become_answers(
    client, facilitator, partnership, instrument, organisations
):
    round_, workshop, tokens, devices = individual_workshop(
        client, facilitator, partnership, instrument, organisations, K + 1
    )
    assert Seat.objects.filter(workshop=workshop, invitation__isnull=True).count() == 0
    # Each person's vote is in their own draft, for them to finish; nothing counts yet.
    drafts = Response.objects.filter(round=round_, state=Response.State.DRAFT)
    assert drafts.count() == K + 1
    assert sorted(drafts.values_list("answers__option__key", flat=True)) == ["no"] + ["yes"] * K
    ended = devices[0].get(reverse("workshops:room", args=[workshop.code])).content.decode()
    assert "finish and send your answers" in ended
    # Back through the link, the person carries on where the room left off.
    device = Client()
    device.post(reverse("rounds:start", args=[tokens[0]]))
    page = device.get(reverse("rounds:section", args=[1])).content.decode()
    assert 'value="no" checked' in page

    for token in tokens:
        finish_online(token)
    close(round_)
    overview = client.get(reverse("results:round", args=[round_.pk])).content.decode()
    assert f"{K + 1} responses sent" in overview
    assert "Scores for each behaviour" in overview


@pytest.mark.parametrize(
    "online, changed, unsent, shown",
    [
        (1, 0, 0, False),  # one answer from outside the room: the room's spread leaves it
        (K, 0, 0, True),  # K outside the room: a group of K, like any
        (0, 1, 0, False),  # someone changed their room answer afterwards
        (0, 0, 1, False),  # someone voted in the room and never sent
    ],
)
def test_an_individual_rounds_results_are_withheld_when_the_room_could_be_subtracted(
    client, facilitator, partnership, instrument, organisations, online, changed, unsent, shown
):
    from sixways.rounds.fixtures import respond

    round_, _, tokens, _ = individual_workshop(
        client, facilitator, partnership, instrument, organisations, K + 1
    )
    for number, token in enumerate(tokens[unsent:]):
        finish_online(token, change=number < changed)
    for _ in range(online):
        respond(round_, organisations[1], "333333")
    close(round_)
    overview = client.get(reverse("results:round", args=[round_.pk])).content.decode()
    assert ("Scores for each behaviour" in overview) is shown
    if not shown:
        assert "a workshop showed the room its answers to question 1.1" in overview
        csv_reply = client.get(reverse("results:csv", args=[round_.pk]))
        assert csv_reply.status_code == 409  # and nothing to download either


def test_someone_who_has_sent_cannot_vote_with_their_link_and_a_wrong_link_is_not_found(
    client, facilitator, partnership, instrument, organisations
):
    from sixways.rounds.fixtures import respond

    round_ = make_round(partnership, instrument, title="Spring round")
    round_.organisations.set(organisations)
    client.force_login(facilitator)
    client.post(reverse("workshops:control", args=[round_.pk]), {"pace": "question"})
    # The code alone seats nobody in such a round.
    code = Workshop.objects.get(round=round_).code
    code_only = Client().post(reverse("workshops:seat", args=[code]))
    assert "Join with your own link" in code_only.content.decode()
    sent = respond(round_, organisations[0], "333333")
    token = sent.invitation.token()
    reply = Client().post(reverse("workshops:join-with-link", args=[token]))
    assert reply.status_code == 409
    assert "You have already sent your answers" in reply.content.decode()
    assert Client().post(reverse("workshops:join-with-link", args=["x" * 40])).status_code == 404
    # A facilitator's own link does not make them a voter either.
    _, own = Invitation.issue(round_, organisations[0])
    assert client.post(reverse("workshops:join-with-link", args=[own])).status_code == 403
    assert not Seat.objects.exists()
