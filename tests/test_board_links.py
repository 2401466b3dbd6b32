"""Board links: a facilitator shares a round's results read-only with people who have no
account, live or as at the day it was made, and can pause, resume and revoke them."""

import datetime
import html
import re
from unittest import mock

import pytest
from django.urls import reverse
from django.utils import timezone

from sixways.core.models import AuditEntry
from sixways.partnerships.models import Organisation, Partner, Role, Sector
from sixways.rounds import retention
from sixways.rounds.fixtures import respond
from sixways.rounds.models import Mode, Status
from sixways.sharing.models import BoardLink

from .conftest import date_data, make_round, make_user


@pytest.fixture
def closed_round(partnership, instrument, organisations):
    """A closed individual round: six people at the council, two at the trust (pooled)."""
    round_ = make_round(partnership, instrument, status=Status.CLOSED, title="Spring 2026")
    round_.closed_at = timezone.now()
    round_.save()
    round_.organisations.add(*organisations)
    for _ in range(6):
        respond(round_, organisations[0], "322222", comments={"1": "We share a plan now"})
    for _ in range(2):
        respond(round_, organisations[1], "011111", comments={"2": "Trust comment, rarely"})
    return round_


def form_data(**changes) -> dict:
    data = {
        "label": "Board, 12 March",
        "sections": ["overview", "priorities", "behaviours", "organisations", "trend", "actions"],
        "comments": "no",
        "kind": "snapshot",
        "downloads": "yes",
        **date_data("expires_on", timezone.localdate() + datetime.timedelta(days=90)),
    }
    data.update(changes)
    return data


def make_link(client, round_, **changes) -> tuple[BoardLink, str]:
    reply = client.post(reverse("sharing:board-link-new", args=[round_.pk]), form_data(**changes))
    assert reply.status_code == 302, reply.content.decode()
    link = BoardLink.objects.latest("id")
    return link, link.token()


def text(reply) -> str:
    return html.unescape(reply.content.decode())


def board(client, token: str):
    client.logout()
    return client.get(reverse("sharing:board", args=[token]))


def test_a_facilitator_makes_a_snapshot_link_and_anyone_with_it_reads_the_results(
    client, facilitator, closed_round, settings
):
    client.force_login(facilitator)
    link, token = make_link(client, closed_round)
    assert link.snapshot and link.snapshot_html
    listed = text(client.get(reverse("sharing:board-links", args=[closed_round.partnership_id])))
    assert "Board, 12 March" in listed and link.url() in listed
    assert "As at" in listed and "Not yet" in listed  # not used yet

    reply = board(client, token)
    assert reply.status_code == 200
    page = text(reply)
    assert "Board, 12 March" in page and "Figures as at" in page
    assert f"stops working after {timezone.localdate(link.expires_at):%-d %B %Y}" in page
    assert "Scores for each behaviour" in page and "Each behaviour" in page
    assert reply["Referrer-Policy"] == "no-referrer"
    assert "noindex" in reply["X-Robots-Tag"]
    assert "no-store" in reply["Cache-Control"]
    # Comments are off unless chosen.
    assert "We share a plan now" not in page
    # Nothing leads into the signed-in service: only the page itself, its PDF and public help.
    hrefs = set(re.findall(r'href="([^"]+)"', reply.content.decode()))
    public = {reverse("help"), reverse("privacy"), reverse("accessibility")}
    allowed = {reverse("sharing:board-pdf", args=[token])} | public
    ours = {h.removeprefix(settings.SITE_URL) for h in hrefs if not h.startswith("https://www.")}
    assert {h for h in ours if not h.startswith(("#", "/assets/"))} <= allowed

    link.refresh_from_db()
    assert link.uses == 1 and link.last_used_at is not None
    actions = list(AuditEntry.objects.values_list("action", flat=True).order_by("id"))
    assert actions[-2:] == ["board-link.created", "board-link.used"]


def test_a_snapshot_never_changes_and_a_live_link_follows_the_round(
    client, facilitator, partnership, instrument, organisations
):
    round_ = make_round(partnership, instrument, mode=Mode.ORGANISATIONAL)
    round_.organisations.add(*organisations)
    respond(round_, organisations[0], "333333")
    client.force_login(facilitator)
    _, snapshot_token = make_link(client, round_, label="Kept")
    _, live_token = make_link(client, round_, label="Live", kind="live")
    before = text(board(client, snapshot_token))
    assert "1 response sent" in before

    respond(round_, organisations[1], "000000")
    after = text(board(client, snapshot_token))
    assert "1 response sent" in after and "2 responses sent" not in after
    assert before.split('id="response-count"')[1] == after.split('id="response-count"')[1]
    assert "2 responses sent" in text(board(client, live_token))


def test_the_link_hides_the_groups_the_pages_hide(client, facilitator, closed_round):
    client.force_login(facilitator)
    pages = text(client.get(reverse("results:organisations", args=[closed_round.pk])))
    _, token = make_link(client, closed_round, comments="yes")
    page = text(board(client, token))

    # Two people at the trust: hidden on the results page and on the link alike, row by row.
    def rows(content):
        return re.findall(r'data-organisation="([^"]+)"', content)

    assert rows(page) == rows(pages) == ["partnership", "pool"]
    assert "Fewer than 5" in page or "pool" in rows(page)
    # With comments on, the first comments show, as the board report shows them.
    assert "We share a plan now" in page


def test_a_snapshot_cannot_be_made_of_a_round_that_shows_no_figures(
    client, facilitator, open_round, organisations
):
    respond(open_round, organisations[0])
    client.force_login(facilitator)
    reply = client.post(reverse("sharing:board-link-new", args=[open_round.pk]), form_data())
    assert reply.status_code == 400
    assert "The round shows no figures yet" in text(reply)
    assert "nhsuk-error-summary" in reply.content.decode()
    _, token = make_link(client, open_round, kind="live")
    assert "Results appear when the round closes" in text(board(client, token))


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"label": "  "}, "Enter a label for the link"),
        ({"label": "x" * 101}, "The label must be 100 characters or fewer"),
        ({"sections": []}, "Choose at least one thing for the link to show"),
        ({"sections": ["overview", "answers"]}, "Select a valid choice"),
        ({"kind": "forever"}, "Select a valid choice"),
        (date_data("expires_on", timezone.localdate()), "must be in the future"),
        (
            date_data("expires_on", timezone.localdate() + datetime.timedelta(days=400)),
            "within a year of today",
        ),
        (date_data("expires_on", ("31", "2", "2027")), "must be a real date"),
    ],
)
def test_bad_answers_on_the_form_are_explained(client, facilitator, closed_round, changes, message):
    client.force_login(facilitator)
    reply = client.post(
        reverse("sharing:board-link-new", args=[closed_round.pk]), form_data(**changes)
    )
    assert reply.status_code == 400
    assert message in text(reply)
    assert not BoardLink.objects.exists()


def test_pause_resume_revoke_and_revoke_all(client, facilitator, closed_round):
    client.force_login(facilitator)
    link, token = make_link(client, closed_round)
    other, other_token = make_link(client, closed_round, label="Audit committee")

    client.force_login(facilitator)
    client.post(reverse("sharing:board-link-pause", args=[link.pk]))
    reply = board(client, token)
    assert reply.status_code == 403 and "This link is paused" in text(reply)

    client.force_login(facilitator)
    client.post(reverse("sharing:board-link-resume", args=[link.pk]))
    assert board(client, token).status_code == 200

    client.force_login(facilitator)
    confirm = client.get(reverse("sharing:board-link-revoke", args=[link.pk]))
    assert "Revoke ‘Board, 12 March’?" in text(confirm)
    assert BoardLink.objects.get(pk=link.pk).revoked_at is None  # asking changes nothing
    client.post(reverse("sharing:board-link-revoke", args=[link.pk]))
    reply = board(client, token)
    assert reply.status_code == 410 and "This link has been revoked" in text(reply)
    assert "Figures as at" not in text(reply)

    client.force_login(facilitator)
    listed = text(client.get(reverse("sharing:board-links", args=[closed_round.partnership_id])))
    assert "Revoked" in listed and link.url() not in listed and other.url() in listed
    client.post(reverse("sharing:board-links-revoke-all", args=[closed_round.partnership_id]))
    assert board(client, other_token).status_code == 410
    actions = AuditEntry.objects.values_list("action", flat=True)
    assert {"board-link.paused", "board-link.resumed", "board-link.revoked"} <= set(actions)


def test_an_expired_link_is_refused(client, facilitator, closed_round):
    client.force_login(facilitator)
    link, token = make_link(client, closed_round)
    BoardLink.objects.filter(pk=link.pk).update(expires_at=timezone.now())
    reply = board(client, token)
    assert reply.status_code == 410 and "This link has expired" in text(reply)
    assert BoardLink.objects.get(pk=link.pk).uses == 0


def test_wrong_links_are_not_found_and_guessing_is_paused(client, settings, closed_round):
    settings.PARTICIPANT_LINK_FAILURES = "3/h"
    for guess in ["a", "b", "x" * 300]:
        assert client.get(reverse("sharing:board", args=[guess])).status_code == 404
    assert client.get(reverse("sharing:board", args=["c"])).status_code == 429
    assert client.get(reverse("sharing:board-pdf", args=["d"])).status_code == 429


def test_only_the_partnerships_facilitators_manage_its_links(
    client, facilitator, observer, outsider, closed_round
):
    client.force_login(facilitator)
    link, token = make_link(client, closed_round)
    pages = [
        ("get", reverse("sharing:board-links", args=[closed_round.partnership_id])),
        ("get", reverse("sharing:board-link-new", args=[closed_round.pk])),
        ("post", reverse("sharing:board-link-new", args=[closed_round.pk])),
        ("post", reverse("sharing:board-link-pause", args=[link.pk])),
        ("get", reverse("sharing:board-link-revoke", args=[link.pk])),
        ("post", reverse("sharing:board-link-revoke", args=[link.pk])),
        ("post", reverse("sharing:board-links-revoke-all", args=[closed_round.partnership_id])),
    ]
    for person in (observer, outsider):
        client.force_login(person)
        for method, url in pages:
            assert getattr(client, method)(url).status_code == 404, (person, url)
    assert board(client, token).status_code == 200  # nothing was changed


def test_changes_need_a_post_with_its_csrf_token(facilitator, closed_round):
    from django.test import Client

    careful = Client(enforce_csrf_checks=True)
    careful.force_login(facilitator)
    url = reverse("sharing:board-link-new", args=[closed_round.pk])
    assert careful.post(url, form_data()).status_code == 403
    assert careful.get(reverse("sharing:board-link-pause", args=[1])).status_code == 405


def test_the_pdf_is_offered_only_when_chosen_and_kept_while_the_page_is_unchanged(
    client, facilitator, closed_round
):
    client.force_login(facilitator)
    _, with_pdf = make_link(client, closed_round)
    _, without = make_link(client, closed_round, downloads="no")
    assert 'id="board-pdf"' not in board(client, without).content.decode()
    assert client.get(reverse("sharing:board-pdf", args=[without])).status_code == 404

    with mock.patch("sixways.sharing.links.render_pdf", return_value=b"%PDF-1.7 made") as made:
        for _ in range(2):
            reply = client.get(reverse("sharing:board-pdf", args=[with_pdf]))
            assert reply.status_code == 200 and reply.content == b"%PDF-1.7 made"
    assert made.call_count == 1
    assert reply["Content-Type"] == "application/pdf"
    assert reply["Referrer-Policy"] == "no-referrer"


def test_the_pdf_is_the_page(client, facilitator, closed_round):
    from pypdf import PdfReader

    client.force_login(facilitator)
    _, token = make_link(client, closed_round)
    reply = client.get(reverse("sharing:board-pdf", args=[token]))
    import io

    words = "".join(page.extract_text() for page in PdfReader(io.BytesIO(reply.content)).pages)
    assert "Board, 12 March" in words and "Figures as at" in words


def test_a_live_link_says_when_a_newer_round_has_closed(
    client, facilitator, partnership, instrument, closed_round
):
    client.force_login(facilitator)
    _, token = make_link(client, closed_round, kind="live")
    _, kept = make_link(client, closed_round, label="Kept")
    assert "Superseded" not in text(board(client, token))
    later = make_round(partnership, instrument, status=Status.CLOSED, title="Autumn 2026")
    later.opens_on = closed_round.closes_on + datetime.timedelta(days=1)
    later.closes_on = later.opens_on + datetime.timedelta(days=30)
    later.closed_at = timezone.now()
    later.save()
    page = text(board(client, token))
    assert "Superseded" in page and "‘Autumn 2026’, has closed since" in page
    assert "Superseded" not in text(board(client, kept))
    client.force_login(facilitator)
    listed = text(client.get(reverse("sharing:board-links", args=[partnership.pk])))
    assert "a newer round has closed since" in listed


def test_comments_leave_kept_pages_when_the_retention_rules_delete_them(
    client, facilitator, closed_round, settings
):
    client.force_login(facilitator)
    _, token = make_link(client, closed_round, comments="yes")
    assert "We share a plan now" in text(board(client, token))
    settings.ANSWER_RETENTION_DAYS = 30
    retention.delete_answers(timezone.now() + datetime.timedelta(days=40))
    page = text(board(client, token))
    assert "We share a plan now" not in page
    assert "The comments were deleted under the service's retention rules" in page
    assert "Scores for each behaviour" in page


def test_a_board_link_is_offered_beside_the_downloads_to_facilitators_only(
    client, facilitator, django_user_model, partnership, closed_round
):
    client.force_login(facilitator)
    page = client.get(reverse("results:round", args=[closed_round.pk])).content.decode()
    assert reverse("sharing:board-link-new", args=[closed_round.pk]) in page
    reader = make_user(django_user_model, "obs2@eastvale.example", partnership, Role.OBSERVER)
    client.force_login(reader)
    page = client.get(reverse("results:round", args=[closed_round.pk])).content.decode()
    assert reverse("sharing:board-link-new", args=[closed_round.pk]) not in page


def test_a_collective_round_shows_no_organisations_section(
    client, facilitator, partnership, instrument, organisations
):
    round_ = make_round(partnership, instrument, mode=Mode.COLLECTIVE)
    round_.organisations.add(Organisation.objects.create(name="Solo", sector=Sector.OTHER))
    Partner.objects.get_or_create(partnership=partnership, organisation=organisations[0])
    respond(round_, None, "222222")
    client.force_login(facilitator)
    _, token = make_link(client, round_, kind="live")
    page = board(client, token).content.decode()
    assert 'data-section="overview"' in page and 'data-section="organisations"' not in page
