"""Speed without changing what anyone sees: closed rounds' results are kept (per round and the
viewer's view), comments come a page at a time, and closed rounds' board report and workbook
are built once and kept."""

import datetime
import io
import re

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook
from pypdf import PdfReader

from sixways.partnerships.models import Membership, Role, Sector
from sixways.partnerships.roles import Viewer
from sixways.results import downloads, pdf
from sixways.results.comments import COMMENTS_PER_PAGE, COMMENTS_SHOWN
from sixways.results.models import KeptDownload
from sixways.results.queries import round_results
from sixways.rounds.fixtures import respond
from sixways.rounds.models import Answer, Mode, Round, Status
from tests.conftest import add_organisation, make_round, make_user


def text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def overview(client, round_) -> str:
    response = client.get(reverse("results:round", args=[round_.pk]))
    assert response.status_code == 200
    return text(response.content.decode())


def closed_round(partnership, instrument, sizes):
    """A closed individual round: {organisation name: (respondents, pattern)}."""
    round_ = make_round(partnership, instrument)
    orgs = {}
    for name, (count, pattern) in sizes.items():
        orgs[name] = add_organisation(partnership, name, Sector.NHS_TRUST)
        for _ in range(count):
            respond(round_, orgs[name], pattern)
    round_.close()
    return round_, orgs


def test_a_closed_rounds_results_are_kept_until_it_reopens(
    client, facilitator, partnership, instrument
):
    round_, orgs = closed_round(partnership, instrument, {"Alpha Trust": (6, "333333")})
    client.force_login(facilitator)
    assert "6 responses sent" in overview(client, round_)
    with CaptureQueriesContext(connection) as first:
        overview(client, round_)
    assert round_results(round_).cached
    # Reopened and answered again: the new response counts at once, and again once it closes.
    round_.refresh_from_db()
    round_.reopen(facilitator, round_.closes_on, "One more team")
    respond(round_, orgs["Alpha Trust"], "000000")
    assert "7 responses sent" in overview(client, round_)
    Round.objects.get(pk=round_.pk).close()
    assert "7 responses sent" in overview(client, round_)
    assert len(first) < 20


def test_an_open_rounds_results_are_never_kept(client, facilitator, partnership, instrument):
    round_ = make_round(partnership, instrument)
    org = add_organisation(partnership, "Alpha Trust", Sector.NHS_TRUST)
    for _ in range(5):
        respond(round_, org)
    client.force_login(facilitator)
    assert "5 responses sent" in overview(client, round_)
    respond(round_, org)
    assert "6 responses sent" in overview(client, round_)
    assert not round_results(round_).cached


def test_kept_results_follow_the_retention_rules(client, facilitator, partnership, instrument):
    from sixways.accounts.retention import apply_retention

    round_, _ = closed_round(partnership, instrument, {"Alpha Trust": (6, "321032")})
    client.force_login(facilitator)
    before = overview(client, round_)
    assert "answers and comments were deleted" not in before
    apply_retention(now=round_.closed_at + __import__("datetime").timedelta(days=4 * 365))
    assert not Answer.objects.filter(response__round=round_).exists()
    after = overview(client, round_)
    assert "answers and comments were deleted" in after


def test_a_partner_lead_never_gets_the_facilitators_kept_results(
    client, django_user_model, facilitator, partnership, instrument
):
    round_, orgs = closed_round(
        partnership,
        instrument,
        {"Alpha Trust": (6, "333333"), "Beta Trust": (6, "111111"), "Gamma Trust": (6, "222222")},
    )
    client.force_login(facilitator)
    assert "Beta Trust" in text(
        client.get(reverse("results:organisations", args=[round_.pk])).content.decode()
    )
    lead = make_user(django_user_model, "lead@alpha.example")
    Membership.objects.create(
        user=lead, partnership=partnership, role=Role.PARTNER_LEAD, organisation=orgs["Alpha Trust"]
    )
    client.force_login(lead)
    html = text(client.get(reverse("results:organisations", args=[round_.pk])).content.decode())
    assert "Alpha Trust" in html and "Beta Trust" not in html
    book = load_workbook(io.BytesIO(client.get(reverse("results:xlsx", args=[round_.pk])).content))
    assert "Responses" not in book.sheetnames
    assert "Beta Trust" not in str([list(s.values) for s in book.worksheets])


def test_comments_come_a_page_at_a_time(client, facilitator, outsider, partnership, instrument):
    round_ = make_round(partnership, instrument, status=Status.CLOSED)
    org = add_organisation(partnership, "Alpha Trust", Sector.NHS_TRUST)
    count = COMMENTS_PER_PAGE + 3
    for index in range(count):
        respond(round_, org, "333333", {"2": f"Comment number {index:03d}."})
    client.force_login(facilitator)
    page = text(client.get(reverse("results:behaviour", args=[round_.pk, "2"])).content.decode())
    assert page.count("Comment number") == COMMENTS_SHOWN
    assert f"Read all {count} comments about behaviour 2" in page
    url = reverse("results:comments", args=[round_.pk, "2"])
    first = text(client.get(url).content.decode())
    assert first.count("Comment number") == COMMENTS_PER_PAGE
    assert "page 1 of 2" in first
    second = text(client.get(url + "?page=2").content.decode())
    assert second.count("Comment number") == 3
    # Every comment once across the pages, in an order that is not the order sent.
    numbers = [int(n) for n in re.findall(r"Comment number (\d+)\.", first + second)]
    assert sorted(numbers) == list(range(count)) and numbers != sorted(numbers)
    for wrong in ("?page=3", "?page=0", "?page=x"):
        assert client.get(url + wrong).status_code == 404
    assert client.get(reverse("results:comments", args=[round_.pk, "9"])).status_code == 404
    client.force_login(outsider)
    assert client.get(url).status_code == 404


def test_comments_are_not_paged_while_too_few_have_answered(
    client, facilitator, partnership, instrument
):
    round_ = make_round(partnership, instrument)
    org = add_organisation(partnership, "Alpha Trust", Sector.NHS_TRUST)
    for _ in range(3):
        respond(round_, org, "333333", {"1": "Too few to show."})
    client.force_login(facilitator)
    url = reverse("results:comments", args=[round_.pk, "1"])
    assert client.get(url).status_code == 404


def test_the_number_of_queries_of_a_closed_round_does_not_grow(
    client, facilitator, partnership, instrument
):
    client.force_login(facilitator)

    def queries(round_) -> int:
        urls = [
            reverse("results:round", args=[round_.pk]),
            reverse("results:comments", args=[round_.pk, "1"]),
        ]
        for url in urls:
            client.get(url)  # the first visit works the results out and keeps them
        with CaptureQueriesContext(connection) as captured:
            for url in urls:
                assert client.get(url).status_code == 200
        return len(captured.captured_queries)

    small, _ = closed_round(partnership, instrument, {"Alpha Trust": (5, "333333")})
    sizes = {f"Org {i}": (5 + i, "321032") for i in range(6)}
    large = make_round(partnership, instrument, title="Spring 2027")
    large.delete()
    large, _ = closed_round(partnership, instrument, sizes)
    assert queries(small) == queries(large)


def test_a_closed_rounds_board_report_and_workbook_are_built_once(
    client, facilitator, partnership, instrument, monkeypatch
):
    round_, _ = closed_round(partnership, instrument, {"Alpha Trust": (6, "333333")})
    built = []
    real = pdf.report_pdf
    monkeypatch.setattr(pdf, "report_pdf", lambda *a: built.append(1) or real(*a))
    client.force_login(facilitator)
    first = client.get(reverse("results:pdf", args=[round_.pk])).content
    second = client.get(reverse("results:pdf", args=[round_.pk])).content
    assert first == second and len(built) == 1
    # The background task builds what a facilitator gets, and builds nothing twice.
    KeptDownload.objects.all().delete()
    assert downloads.build_for_round(round_.pk) == "built"
    assert client.get(reverse("results:pdf", args=[round_.pk])).status_code == 200
    assert len(built) == 2
    book = load_workbook(io.BytesIO(client.get(reverse("results:xlsx", args=[round_.pk])).content))
    assert "Responses" in book.sheetnames


def pdf_text(content: bytes) -> str:
    pages = PdfReader(io.BytesIO(content)).pages
    return " ".join(" ".join((page.extract_text() or "").split()) for page in pages)


def test_an_open_rounds_board_report_is_built_once_until_its_figures_change(
    client, facilitator, partnership, instrument, monkeypatch, settings
):
    # Organisational: an open individual round shows no figures to download.
    round_ = make_round(partnership, instrument, mode=Mode.ORGANISATIONAL)
    org = add_organisation(partnership, "Alpha Trust", Sector.NHS_TRUST)
    for _ in range(5):
        respond(round_, org)
    assert downloads.build_for_round(round_.pk) == "not closed"
    built = []
    real = pdf.report_pdf
    monkeypatch.setattr(pdf, "report_pdf", lambda *a: built.append(1) or real(*a))
    client.force_login(facilitator)

    def report() -> bytes:
        response = client.get(reverse("results:pdf", args=[round_.pk]))
        assert response.status_code == 200
        return response.content

    first = report()
    assert report() == first and len(built) == 1
    assert "5 responses sent" in pdf_text(first)
    respond(round_, org)
    assert "6 responses sent" in pdf_text(report()) and len(built) == 2
    # A renamed organisation is never shown under its old name.
    org.name = "Alpha Hospitals"
    org.save()
    renamed = pdf_text(report())
    assert "Alpha Hospitals" in renamed and "Alpha Trust" not in renamed and len(built) == 3
    report()
    assert len(built) == 3
    # Run at another address, its links must say so.
    settings.SITE_URL = "http://127.0.0.1:8041"
    # (The address may wrap onto a second line, which the text extraction reads as a space.)
    text = pdf_text(report()).replace(" ", "")
    assert "http://127.0.0.1:8041/help/scores/" in text and len(built) == 4

    before = load_workbook(
        io.BytesIO(client.get(reverse("results:xlsx", args=[round_.pk])).content)
    )
    respond(round_, org)
    after = load_workbook(io.BytesIO(client.get(reverse("results:xlsx", args=[round_.pk])).content))
    assert before["Responses"].max_row + 1 == after["Responses"].max_row
    assert round_.status == Status.OPEN
    assert not round_results(round_, Viewer(role=Role.FACILITATOR)).cached


def test_closing_a_round_has_its_board_report_built_before_anyone_asks(
    client, facilitator, partnership, instrument, monkeypatch, django_capture_on_commit_callbacks
):
    round_ = make_round(partnership, instrument)
    org = add_organisation(partnership, "Alpha Trust", Sector.NHS_TRUST)
    for _ in range(5):
        respond(round_, org)
    with django_capture_on_commit_callbacks(execute=True):
        round_.close()  # the tests' task backend runs the build at once
    built = []
    monkeypatch.setattr(pdf, "report_pdf", lambda *a: built.append(1) or b"")
    client.force_login(facilitator)
    response = client.get(reverse("results:pdf", args=[round_.pk]))
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    assert built == []  # served from what the background build kept


def kept_files(settings) -> list:
    return sorted(p for p in settings.MEDIA_ROOT.rglob("*") if p.is_file())


def test_kept_downloads_are_files_replaced_when_their_figures_change(
    client, settings, facilitator, partnership, instrument, django_capture_on_commit_callbacks
):
    round_ = make_round(partnership, instrument, mode=Mode.ORGANISATIONAL)
    org = add_organisation(partnership, "Alpha Trust", Sector.NHS_TRUST)
    respond(round_, org)
    client.force_login(facilitator)
    first = client.get(reverse("results:pdf", args=[round_.pk])).content
    [file] = kept_files(settings)
    assert file.read_bytes() == first
    respond(round_, org)
    with django_capture_on_commit_callbacks(execute=True):
        second = client.get(reverse("results:pdf", args=[round_.pk])).content
    # One file a round, kind and view: the new one, and the old one is gone.
    [file] = kept_files(settings)
    assert file.read_bytes() == second != first


def test_a_kept_download_whose_file_went_missing_is_built_again(
    client, settings, facilitator, partnership, instrument
):
    round_, _ = closed_round(partnership, instrument, {"Alpha Trust": (6, "333333")})
    client.force_login(facilitator)
    first = client.get(reverse("results:xlsx", args=[round_.pk]))
    for file in kept_files(settings):
        file.unlink()
    again = client.get(reverse("results:xlsx", args=[round_.pk]))
    assert again.status_code == 200 and again.content.startswith(b"PK")
    assert len(kept_files(settings)) == 1 and first.status_code == 200


def test_deleting_a_round_deletes_its_kept_downloads(
    client, settings, facilitator, partnership, instrument
):
    round_, _ = closed_round(partnership, instrument, {"Alpha Trust": (6, "333333")})
    client.force_login(facilitator)
    for name in ("results:pdf", "results:xlsx"):
        assert client.get(reverse(name, args=[round_.pk])).status_code == 200
    assert len(kept_files(settings)) == 2
    round_.delete()
    assert kept_files(settings) == [] and not KeptDownload.objects.exists()


def test_a_round_closed_on_its_date_has_its_downloads_built_by_the_results_app(
    partnership, instrument, django_capture_on_commit_callbacks
):
    from django.core.management import call_command

    round_ = make_round(partnership, instrument, mode=Mode.ORGANISATIONAL)
    respond(round_, add_organisation(partnership, "Alpha Trust", Sector.NHS_TRUST))
    Round.objects.filter(pk=round_.pk).update(
        opens_on=round_.opens_on - datetime.timedelta(days=40),
        closes_on=round_.opens_on - datetime.timedelta(days=1),
    )
    with django_capture_on_commit_callbacks(execute=True):
        call_command("close_rounds", stdout=io.StringIO())
    kept = KeptDownload.objects.filter(round=round_)
    assert sorted(kept.values_list("kind", flat=True)) == ["pdf", "xlsx"]


def test_a_board_report_built_before_the_closing_date_is_built_again_after_it(
    client, facilitator, partnership, instrument
):
    round_ = make_round(partnership, instrument)
    org = add_organisation(partnership, "Alpha Trust", Sector.NHS_TRUST)
    for _ in range(5):
        respond(round_, org)
    client.force_login(facilitator)
    before = pdf_text(client.get(reverse("results:pdf", args=[round_.pk])).content)
    assert "Results appear when the round closes" in before
    # The date passes; `close_rounds` has not recorded the closing yet.
    Round.objects.filter(pk=round_.pk).update(
        opens_on=round_.opens_on - datetime.timedelta(days=40),
        closes_on=round_.opens_on - datetime.timedelta(days=1),
    )
    after = pdf_text(client.get(reverse("results:pdf", args=[round_.pk])).content)
    assert "Results appear when the round closes" not in after
    assert Round.objects.get(pk=round_.pk).status == Status.OPEN


def test_the_board_reports_first_page_stands_on_its_own(demo_client):
    """Page 1 is the summary a board reads: the key points, the six scores and the priorities;
    the detail starts on page 2, and no page ends on a heading."""
    spring = Round.objects.get(title="Spring 2026")
    reader = PdfReader(
        io.BytesIO(demo_client.get(reverse("results:pdf", args=[spring.pk])).content)
    )
    pages = [" ".join((page.extract_text() or "").split()) for page in reader.pages]
    first = pages[0]
    for words in ("Summary", "The lowest score is for 6.", "Priorities: what to work on first"):
        assert words in first
    for title in spring.instrument.sections.values_list("title", flat=True):
        assert title in first
    assert pages[1].startswith("The scores in detail")
    headings = {"Summary", "Each behaviour", "Answers to each question", "Comments"} | {
        f"{s.key}. {s.title}" for s in spring.instrument.sections.all()
    }
    for number, page in enumerate(reader.pages, start=1):
        lines = [line.strip() for line in (page.extract_text() or "").splitlines()]
        content = [line for line in lines if line and not line.startswith("Culture for")]
        assert content[-1] not in headings, f"page {number} ends on the heading {content[-1]!r}"
