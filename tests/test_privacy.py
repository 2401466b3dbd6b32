"""Personal data: export and erase an account holder; retention of emails and answers."""

import datetime
import io
import json
from fractions import Fraction
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.core.cache import caches
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook
from pypdf import PdfReader

from sixways.accounts import privacy
from sixways.accounts.models import RoleInvitation
from sixways.accounts.retention import apply_retention
from sixways.accounts.tasks import apply_retention_task
from sixways.core import audit
from sixways.core.models import AuditEntry
from sixways.partnerships.models import Membership, Role, Sector
from sixways.results.models import KeptDownload
from sixways.rounds.fixtures import respond
from sixways.rounds.models import (
    Answer,
    Comment,
    Invitation,
    Mode,
    Response,
    RoundAggregate,
    RoundRetention,
    Status,
    Tally,
)
from tests.conftest import add_organisation, make_round, make_user

# --- Export and erase -----------------------------------------------------------------------


def test_a_person_downloads_everything_held_about_them(client, facilitator, partnership):
    audit.record(facilitator, "round.opened", partnership, partnership)
    client.force_login(facilitator)
    response = client.get(reverse("accounts:your-data"))
    assert response["Content-Disposition"].startswith("attachment")
    data = json.loads(response.content)
    assert data["account"]["email"] == facilitator.email
    assert data["roles"] == [
        {"partnership": partnership.name, "role": "Facilitator", "organisation": None}
    ]
    assert data["actions"][0]["action"] == "round.opened"
    assert "password" not in json.dumps(data).lower()


def test_the_export_command_prints_the_same(capsys, facilitator):
    call_command("export_person", facilitator.email.upper())
    assert json.loads(capsys.readouterr().out)["account"]["email"] == facilitator.email


def test_erasing_a_person_keeps_what_they_did_but_not_who_they_were(
    client, facilitator, partnership, open_round, organisations
):
    client.force_login(facilitator)
    key = client.session.session_key
    audit.record(facilitator, "round.opened", partnership, open_round)
    audit.record(None, "invitation.sent", partnership, detail=f"To {facilitator.email}")
    RoleInvitation.issue(partnership, facilitator.email, Role.OBSERVER)
    link, _ = Invitation.issue(open_round, organisations[0])
    Invitation.objects.filter(pk=link.pk).update(email=facilitator.email)

    call_command("erase_person", facilitator.email, "--yes")

    assert not get_user_model().objects.filter(email=facilitator.email).exists()
    assert not Membership.objects.filter(partnership=partnership).exists()
    assert not RoleInvitation.objects.exists()
    assert Invitation.objects.get(pk=link.pk).email == ""
    assert not Session.objects.filter(session_key=key).exists()
    entries = AuditEntry.objects.filter(partnership=partnership)
    assert entries.count() == 2
    assert all(e.actor is None for e in entries)
    assert not any(facilitator.email in (e.target + e.detail) for e in entries)
    assert AuditEntry.objects.filter(action="person.erased").exists()


def test_erasing_someone_unknown_says_so(db):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="no account"):
        call_command("erase_person", "nobody@example.org", "--yes")


def test_erasing_leaves_other_people_alone(facilitator, observer, partnership):
    privacy.erase(observer)
    assert Membership.objects.get(partnership=partnership).user == facilitator


# --- Retention ------------------------------------------------------------------------------


def answer_all(round_, organisation, score: int, comment: str = "") -> Response:
    """A sent response answering every question with `score`, through a link sent by email."""
    response = respond(round_, organisation, str(score) * 6, {"1": comment} if comment else None)
    Invitation.objects.filter(pk=response.invitation_id).update(
        email=f"person{response.invitation_id}@eastvale.example"
    )
    return response


@pytest.fixture
def old_round(partnership, instrument, organisations):
    round_ = make_round(partnership, instrument, status=Status.CLOSED, title="Spring 2020")
    answer_all(round_, organisations[0], 3, "Candid words")
    answer_all(round_, organisations[0], 1)
    answer_all(round_, organisations[1], 0)
    return round_


def close_days_ago(round_, days: int) -> None:
    type(round_).objects.filter(pk=round_.pk).update(
        closed_at=timezone.now() - datetime.timedelta(days=days)
    )


def test_invitation_emails_go_after_the_round_closes(settings, old_round):
    settings.INVITATION_EMAIL_RETENTION_DAYS = 30
    close_days_ago(old_round, 29)
    assert apply_retention()["emails_removed"] == 0
    close_days_ago(old_round, 31)
    assert apply_retention()["emails_removed"] == 3
    assert not Invitation.objects.exclude(email="").exists()
    # The answers stay until their own retention period is over.
    assert Answer.objects.filter(response__round=old_round).count() == 72


def test_open_rounds_keep_their_invitation_emails(settings, open_round, organisations):
    settings.INVITATION_EMAIL_RETENTION_DAYS = 0
    answer_all(open_round, organisations[0], 2)
    apply_retention()
    assert Invitation.objects.filter(round=open_round).exclude(email="").exists()


def test_old_answers_go_and_their_totals_stay(settings, old_round, organisations):
    settings.ANSWER_RETENTION_DAYS = 365
    close_days_ago(old_round, 366)
    assert apply_retention()["rounds_answers_deleted"] == 1

    assert not Answer.objects.filter(response__round=old_round).exists()
    assert not Comment.objects.filter(response__round=old_round).exists()
    # The answers' tally goes with them; the results read the kept totals instead.
    assert not Tally.objects.filter(round=old_round).exists()
    assert RoundRetention.objects.get(round=old_round).answers_deleted_at is not None
    first = old_round.instrument.sections.get(position=1)  # four questions
    council = RoundAggregate.objects.get(
        round=old_round, organisation=organisations[0], section=first
    )
    # Two respondents, four questions each, answering Yes (3) and Not always (1).
    assert (council.respondents, council.answer_count, council.score_sum) == (2, 8, 16)
    trust = RoundAggregate.objects.get(
        round=old_round, organisation=organisations[1], section=first
    )
    assert (trust.respondents, trust.score_sum) == (1, 0)
    # The partnership score is the mean of organisation scores: (2 + 0) / 2 = 1.
    means = [Fraction(a.score_sum, a.answer_count) for a in (council, trust)]
    assert sum(means) / len(means) == 1
    assert (
        RoundAggregate.objects.filter(round=old_round).count() == 12
    )  # 2 organisations, 6 behaviours


def test_retention_runs_once_and_leaves_recent_rounds(settings, old_round, open_round):
    settings.ANSWER_RETENTION_DAYS = 365
    close_days_ago(old_round, 400)
    apply_retention()
    again = apply_retention()
    assert again == {
        "emails_removed": 0,
        "role_invitations_deleted": 0,
        "rounds_answers_deleted": 0,
        "returns_files_deleted": 0,
        "benchmark_snapshots_taken": 0,
    }
    assert RoundAggregate.objects.filter(round=old_round).count() == 12


def kept_downloads() -> int:
    """Built board reports and workbooks still kept: their rows, and their files on disk."""
    files = [p for p in Path(settings.MEDIA_ROOT).rglob("*") if p.is_file()]
    rows = KeptDownload.objects.count()
    assert rows == len(files)
    return rows


def kept_results_holding(text: str) -> int:
    # The "results" cache keeps each entry pickled in this process's memory.
    return sum(text.encode() in value for value in caches["results"]._cache.values())


def downloaded_text(client, round_) -> tuple[str, str]:
    """The board report's and the workbook's text, as someone downloading them reads it."""
    report = client.get(reverse("results:pdf", args=[round_.pk]))
    book = client.get(reverse("results:xlsx", args=[round_.pk]))
    assert report.status_code == book.status_code == 200
    pages = PdfReader(io.BytesIO(report.content)).pages
    cells = load_workbook(io.BytesIO(book.content)).worksheets
    return (
        " ".join(" ".join((page.extract_text() or "").split()) for page in pages),
        " ".join(str(value) for sheet in cells for row in sheet.values for value in row),
    )


def test_retention_deletes_kept_board_reports_and_workbooks_with_the_comments(
    client, django_user_model, settings, facilitator, partnership, instrument
):
    round_ = make_round(partnership, instrument, mode=Mode.ORGANISATIONAL, title="Spring 2020")
    alpha = add_organisation(partnership, "Alpha Trust", Sector.NHS_TRUST)
    beta = add_organisation(partnership, "Beta Council", Sector.LOCAL_AUTHORITY)
    respond(round_, alpha, "333333", {"1": "Candid words about the board"})
    respond(round_, beta, "111111")
    round_.close()
    lead = make_user(django_user_model, "lead@alpha.example")
    Membership.objects.create(
        user=lead, partnership=partnership, role=Role.PARTNER_LEAD, organisation=alpha
    )
    client.force_login(lead)
    assert "Candid words about the board" in downloaded_text(client, round_)[0]
    client.force_login(facilitator)  # the workbook has the comments for those who see responses
    assert all(
        "Candid words about the board" in content for content in downloaded_text(client, round_)
    )
    assert kept_downloads() == 4  # each view's report and workbook
    assert kept_results_holding("Candid words about the board")

    settings.ANSWER_RETENTION_DAYS = 365
    close_days_ago(round_, 366)
    assert apply_retention()["rounds_answers_deleted"] == 1
    assert kept_downloads() == 0
    assert not kept_results_holding("Candid words about the board")
    for person in (facilitator, lead):
        client.force_login(person)
        report, book = downloaded_text(client, round_)
        assert "Candid words" not in report and "Candid words" not in book
        assert "Alpha Trust" in report


def test_a_board_report_built_while_retention_runs_is_not_kept(
    client, settings, monkeypatch, facilitator, partnership, instrument
):
    from sixways.results import pdf

    round_ = make_round(partnership, instrument, mode=Mode.ORGANISATIONAL, title="Spring 2020")
    alpha = add_organisation(partnership, "Alpha Trust", Sector.NHS_TRUST)
    respond(round_, alpha, "333333", {"1": "Candid words about the board"})
    round_.close()
    settings.ANSWER_RETENTION_DAYS = 365
    close_days_ago(round_, 366)
    real = pdf.report_pdf

    def retention_meanwhile(*args):
        content = real(*args)
        apply_retention()
        return content

    monkeypatch.setattr(pdf, "report_pdf", retention_meanwhile)
    client.force_login(facilitator)
    assert client.get(reverse("results:pdf", args=[round_.pk])).status_code == 200
    assert kept_downloads() == 0


def test_expired_role_invitations_are_deleted(settings, partnership):
    settings.INVITATION_EMAIL_RETENTION_DAYS = 30
    old, _ = RoleInvitation.issue(partnership, "old@eastvale.example", Role.OBSERVER)
    RoleInvitation.objects.filter(pk=old.pk).update(
        expires_at=timezone.now() - datetime.timedelta(days=31)
    )
    RoleInvitation.issue(partnership, "new@eastvale.example", Role.OBSERVER)
    apply_retention()
    assert list(RoleInvitation.objects.values_list("email", flat=True)) == ["new@eastvale.example"]


def test_retention_runs_as_a_command_and_as_a_task(settings, old_round, capsys):
    settings.ANSWER_RETENTION_DAYS = 365
    close_days_ago(old_round, 400)
    call_command("apply_retention")
    assert "the answers of 1 rounds" in capsys.readouterr().out
    result = apply_retention_task.enqueue()
    assert result.return_value["rounds_answers_deleted"] == 0


def test_the_privacy_page_states_what_the_settings_say(client, settings):
    settings.INVITATION_EMAIL_RETENTION_DAYS = 45
    settings.ANSWER_RETENTION_DAYS = 2 * 365
    settings.SESSION_COOKIE_NAME = "__Host-sessionid"
    settings.CSRF_COOKIE_NAME = "__Host-csrftoken"
    settings.PARTICIPANT_COOKIE_NAME = "__Host-participant"
    page = client.get(reverse("privacy")).content.decode()
    assert "We delete it 45 days after the round closes" in page
    assert "We delete your answers and comments 2 years after the round closes" in page
    # Every cookie the service sets: the session, the participant's, the CSRF token and the
    # messages.
    assert "We use 4 cookies" in page
    for name in ("__Host-sessionid", "__Host-participant", "__Host-csrftoken", "messages"):
        assert f'<td class="nhsuk-table__cell">{name}</td>' in page
    assert "After 8 hours" in page


def test_the_help_page_explains_pooling_small_organisations(client, settings):
    settings.MIN_GROUP_SIZE = 7
    page = client.get(reverse("help")).content.decode()
    assert "at least 7 people from it answered through their own link" in page
    assert "Results appear when the round closes" in page
    assert "Shareable links do not count towards the 7" in page
    assert "between 1 and 6" in page
