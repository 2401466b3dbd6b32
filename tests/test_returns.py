"""Paper and spreadsheet returns: templates, keying in a return, and importing a file, over
HTTP as a facilitator would, with every bad file giving its exact message."""

import csv
import datetime
import html
import io
import re
import zipfile

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from sixways.instruments.shape import shape
from sixways.results.queries import round_results
from sixways.returns.batch import batch_code
from sixways.returns.models import Return, Upload
from sixways.rounds.fixtures import respond
from sixways.rounds.models import Invitation, Mode, Response, Status, Tally

from .conftest import ALL_YES, make_round

KEYS = [
    f"{s}.{q}"
    for s, n in zip(range(1, 7), [4, 5, 4, 4, 3, 4], strict=True)
    for q in range(1, n + 1)
]


@pytest.fixture
def round_(open_round, organisations):
    open_round.organisations.set(organisations)
    return open_round


@pytest.fixture
def signed_in(client, facilitator):
    client.force_login(facilitator)
    return client


def csv_file(rows, headers=None, *, delimiter=",", newline="\r\n", bom=True) -> bytes:
    headers = headers or ["reference", "organisation", *KEYS, "comment 1"]
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator=newline)
    writer.writerow(headers)
    writer.writerows(rows)
    return (("\ufeff" if bom else "") + out.getvalue()).encode()


def row(reference="", organisation="Eastvale Council", answer="Yes", comment="", **changes):
    cells = {"reference": reference, "organisation": organisation, "comment 1": comment}
    cells.update(dict.fromkeys(KEYS, answer))
    cells.update(changes)
    return [cells[h] for h in ["reference", "organisation", *KEYS, "comment 1"]]


def upload(client, round_, content: bytes, name="returns.csv"):
    return client.post(
        reverse("returns:upload", args=[round_.pk]),
        {"file": SimpleUploadedFile(name, content)},
        follow=True,
    )


def problems(reply) -> list[str]:
    """What the page's error summary lists, as a person reads it."""
    page = reply.content.decode()
    start = page.find("nhsuk-error-summary__list")
    if start < 0:
        return []
    listed = page[start : page.index("</ul>", start)]
    return [html.unescape(text.strip()) for text in re.findall(r"<a [^>]*>(.*?)</a>", listed, re.S)]


def latest() -> Upload:
    return Upload.objects.latest("pk")


def scores_table(reply) -> list[list[str]]:
    page = reply.content.decode()
    table = page[page.index('id="preview-scores"') :]
    table = table[: table.index("</table>")]
    return [
        [
            html.unescape(re.sub(r"<[^>]+>", "", cell)).strip()
            for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", tr, re.S)
        ]
        for tr in re.findall(r"<tr[^>]*>(.*?)</tr>", table, re.S)
    ]


# --- The pages and templates ----------------------------------------------------------------


def test_outsiders_partner_leads_and_collective_rounds_get_404(
    client, outsider, partner_lead, round_, partnership, instrument, facilitator
):
    pages = ["returns", "template-xlsx", "template-csv", "enter"]
    client.force_login(outsider)
    for name in pages:
        assert client.get(reverse(f"returns:{name}", args=[round_.pk])).status_code == 404
    client.force_login(partner_lead)
    for name in pages:
        assert client.get(reverse(f"returns:{name}", args=[round_.pk])).status_code == 404
    collective = make_round(partnership, instrument, mode=Mode.COLLECTIVE, title="Together")
    client.force_login(facilitator)
    assert client.get(reverse("returns:returns", args=[collective.pk])).status_code == 404
    # Nothing of another round's uploads is reachable through this round's address.
    other = make_round(partnership, instrument, title="Other")
    theirs = Upload.objects.create(round=other, name="x.csv", size=1, digest="0")
    page = reverse("returns:upload-detail", args=[round_.pk, theirs.pk])
    assert client.get(page).status_code == 404


def test_the_round_page_links_to_returns_and_the_returns_page_gives_the_batch_code(
    signed_in, round_
):
    page = signed_in.get(reverse("rounds:detail", args=[round_.pk])).content.decode()
    assert reverse("returns:returns", args=[round_.pk]) in page
    page = signed_in.get(reverse("returns:returns", args=[round_.pk])).content.decode()
    assert batch_code(round_) in page
    assert "Upload and check" in page


def test_the_excel_template_has_drop_downs_of_organisations_and_answers(signed_in, round_):
    reply = signed_in.get(reverse("returns:template-xlsx", args=[round_.pk]))
    assert reply.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(reply.content))
    sheet = book["Returns"]
    headers = [c.value for c in sheet[1]]
    assert headers == [
        "reference",
        "organisation",
        *KEYS,
        *(f"comment {n}" for n in range(1, 7)),
        "batch",
    ]
    validations = {
        str(v.sqref).split(":")[0]: v.formula1 for v in sheet.data_validations.dataValidation
    }
    assert validations["C2"] == '"Yes,Sometimes,Not always,No"'
    assert validations["B2"].startswith("Organisations!")
    names = [c.value for c in book["Organisations"]["A"]][1:]
    assert names == ["Eastvale Council", "Eastvale NHS Trust"]
    assert book.properties.subject == batch_code(round_)
    questions = {
        r[0].value: r[1].value for r in book["Questions"].iter_rows(min_row=2) if r[0].value
    }
    question = shape(round_.instrument).questions[0]
    assert questions["1.1"] == question.text


def test_the_csv_template_is_the_header_row(signed_in, round_):
    reply = signed_in.get(reverse("returns:template-csv", args=[round_.pk]))
    text = reply.content.decode("utf-8-sig")
    assert text.splitlines()[0].split(",")[:3] == ["reference", "organisation", "1.1"]


# --- Keying in a paper return ---------------------------------------------------------------


def keyed(organisation, **extra) -> dict:
    data = {k: "sometimes" for k in ALL_YES}
    data |= {"organisation": str(organisation.pk), "then": "next", "reference": ""}
    return data | extra


def test_a_keyed_return_is_saved_as_sent_from_paper_and_the_form_comes_back_blank(
    signed_in, round_, organisations, facilitator
):
    address = reverse("returns:enter", args=[round_.pk])
    reply = signed_in.post(
        address,
        keyed(
            organisations[0],
            reference="P-1",
            batch=batch_code(round_).lower().replace("-", " "),
            comment_2="Good <b>meeting</b>",
        ),
        follow=True,
    )
    assert reply.redirect_chain[-1][0] == address
    assert "The return has been saved" in reply.content.decode()
    saved = Return.objects.get()
    assert saved.reference == "P-1" and saved.entered_by == facilitator
    assert saved.batch == batch_code(round_).lower().replace("-", " ")  # as typed
    response = saved.response
    assert response.state == Response.State.SUBMITTED
    assert response.invitation.kind == Invitation.Kind.PAPER
    assert response.invitation.token() == ""  # no link can open it
    assert response.answers.count() == 24
    assert sum(Tally.objects.filter(round=round_).values_list("count", flat=True)) == 24


def test_a_keyed_return_with_a_question_missing_or_a_used_reference_is_refused(
    signed_in, round_, organisations
):
    address = reverse("returns:enter", args=[round_.pk])
    data = keyed(organisations[0])
    del data["q3_2"]
    reply = signed_in.post(address, data)
    assert reply.status_code == 400
    assert "Select an answer for question 3.2" in reply.content.decode()
    assert not Response.objects.exists()
    signed_in.post(address, keyed(organisations[0], reference="P-1"))
    reply = signed_in.post(address, keyed(organisations[1], reference="p-1"))
    assert reply.status_code == 400
    assert "The reference p-1 is already in this round" in reply.content.decode()
    assert Response.objects.count() == 1
    reply = signed_in.post(address, keyed(organisations[1], batch="AAA-AAA"))
    assert "That batch code is not this round" in reply.content.decode()


# --- Importing a file -----------------------------------------------------------------------


def test_a_good_file_previews_its_effect_then_imports_then_can_be_undone(
    signed_in, round_, organisations
):
    content = csv_file([row(f"R{i}", answer="Sometimes") for i in range(6)])
    reply = upload(signed_in, round_, content)
    page = reply.content.decode()
    assert "6 returns from 1 organisation" in page
    assert "Eastvale Council would reach the group size of 5" in page
    assert not Response.objects.exists()  # nothing saved before confirming
    found = Upload.objects.get()
    assert found.state == Upload.State.READY
    reply = signed_in.post(reverse("returns:confirm", args=[round_.pk, found.pk]), follow=True)
    assert "6 returns imported" in reply.content.decode()
    assert Response.objects.filter(state=Response.State.SUBMITTED).count() == 6
    found.refresh_from_db()
    assert found.stored == ""  # the file is gone once imported
    # The same file again is refused.
    reply = upload(signed_in, round_, content, "again.csv")
    assert problems(reply)[0].startswith("This file was imported into this round already")
    # Undo takes them all out, and the tally with them.
    reply = signed_in.post(reverse("returns:undo", args=[round_.pk, found.pk]), follow=True)
    assert "The 6 returns from returns.csv have been taken out" in reply.content.decode()
    assert not Response.objects.exists()
    assert not Tally.objects.filter(round=round_).exists()


def test_the_preview_of_an_organisational_round_says_how_scores_would_move(
    signed_in, partnership, instrument, organisations
):
    round_ = make_round(partnership, instrument, mode=Mode.ORGANISATIONAL, title="Partners")
    round_.organisations.set(organisations)
    respond(round_, organisations[1], "000000")
    reply = upload(signed_in, round_, csv_file([row("A", answer="Yes")]))
    page = reply.content.decode()
    assert "Behaviour scores, now and after importing" in page
    table = scores_table(reply)
    assert table[0] == ["Behaviour", "Now", "After importing"]
    assert table[1] == ["1. Be prepared to experiment and learn together", "0.0", "1.5"]
    # An organisation that has answered cannot send a second response on paper.
    reply = upload(signed_in, round_, csv_file([row("B", organisation="Eastvale NHS Trust")]))
    assert problems(reply) == [
        "Row 2, organisation: Eastvale NHS Trust has already sent its response to this round, "
        "and each organisation sends one"
    ]


def test_an_open_individual_round_previews_the_files_own_scores_not_the_rounds(
    signed_in, round_, organisations
):
    for _ in range(5):
        respond(round_, organisations[1], "000000")
    reply = upload(signed_in, round_, csv_file([row(f"R{i}") for i in range(5)]))
    page = reply.content.decode()
    assert "Behaviour scores of the returns in this file" in page
    table = scores_table(reply)
    assert table[0] == ["Behaviour", "This file"]  # nothing of the round's own figures
    assert all(cells[1] == "3.0" for cells in table[1:])


HEADERS = ["reference", "organisation", *KEYS, "comment 1"]


def bad(rows, **kwargs):
    return csv_file(rows, **kwargs)


BAD_FILES = [
    (
        "a bad answer on row 812",
        "returns.csv",
        csv_file([row(f"R{i}") for i in range(810)] + [row("X", **{"3.2": "Somtimes"})]),
        ["Row 812, 3.2: ‘Somtimes’ is not one of Yes, Sometimes, Not always, No"],
    ),
    (
        "an unknown organisation",
        "returns.csv",
        csv_file([row(organisation="Riverside Trust")]),
        ["Row 2, organisation: ‘Riverside Trust’ is not one of this round's organisations"],
    ),
    (
        "a missing column",
        "returns.csv",
        csv_file([row()[:-2]], headers=HEADERS[:-2]),
        [
            "The file has no column for question 6.4. Every question needs its own column, "
            "headed with its number"
        ],
    ),
    (
        "a wrong column",
        "returns.csv",
        csv_file([[*row(), "x"]], headers=[*HEADERS, "favourite colour"]),
        [
            "The column ‘favourite colour’ is not one a file of returns has. Use the headers of "
            "this round's template"
        ],
    ),
    (
        "a question left blank",
        "returns.csv",
        csv_file([row(**{"2.1": " "})]),
        ["Row 2, 2.1: no answer. Every question needs one of Yes, Sometimes, Not always, No"],
    ),
    (
        "a duplicate reference",
        "returns.csv",
        csv_file([row("R1"), row("R2"), row("r1")]),
        ["Row 4, reference: r1 is also on row 2. Each return is brought in once"],
    ),
    (
        "only empty rows",
        "returns.csv",
        csv_file([[""] * len(HEADERS), []]),
        ["The file has no returns in it: every row under the headers is empty"],
    ),
    (
        "broken UTF-8",
        "returns.csv",
        csv_file([row(comment="café")]).replace("é".encode(), b"\xe9"),
        [
            "The file is not in UTF-8, so some letters would be read wrongly. In Excel, choose "
            "Save as, then ‘CSV UTF-8 (comma delimited)’, and upload that"
        ],
    ),
    (
        "a macro file",
        "returns.xlsm",
        b"PK\x03\x04",
        [
            "Files that can hold macros are not accepted. Save it as an Excel workbook (.xlsx) "
            "or as CSV UTF-8, and upload that"
        ],
    ),
    (
        "an old Excel file",
        "returns.xls",
        b"\xd0\xcf\x11\xe0",
        [
            "This is the old Excel format (.xls). Save it as an Excel workbook (.xlsx) or as CSV "
            "UTF-8, and upload that"
        ],
    ),
    (
        "a workbook named as CSV",
        "returns.csv",
        b"PK\x03\x04rest",
        [
            "The file is named .csv but holds an Excel workbook: name it .xlsx, or save it as "
            "CSV UTF-8"
        ],
    ),
    (
        "another round's batch code",
        "returns.csv",
        csv_file([[*row(), "AAA-AAA"]], headers=[*HEADERS, "batch"]),
        None,  # worked out in the test: it names this round's code
    ),
]


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [(f, c, e) for _, f, c, e in BAD_FILES],
    ids=[case[0] for case in BAD_FILES],
)
def test_each_bad_file_gets_its_exact_message_and_nothing_is_imported(
    signed_in, round_, name, content, expected
):
    reply = upload(signed_in, round_, content, name)
    if expected is None:
        expected = [
            f"Row 2, batch: AAA-AAA is not this round's batch code ({batch_code(round_)}). Is "
            "this return for another round?"
        ]
    assert problems(reply) == expected
    assert reply.status_code == 400
    page = reply.content.decode()
    assert "There is a problem" in page  # the NHS error summary
    assert not Response.objects.exists()


def test_byte_order_marks_windows_line_ends_and_semicolons_are_all_read(signed_in, round_):
    for content in [
        csv_file([row("A")], bom=True, newline="\r\n"),
        csv_file([row("B")], bom=False, newline="\n"),
        csv_file([row("C")], delimiter=";"),
    ]:
        reply = upload(signed_in, round_, content, f"{content[:3]!r}.csv")
        assert latest().state == Upload.State.READY, problems(reply)


def test_answers_match_whatever_their_case_and_spaces_but_abbreviations_do_not(signed_in, round_):
    reply = upload(signed_in, round_, csv_file([row(answer="  NOT ALWAYS ")]))
    assert latest().state == Upload.State.READY
    reply = upload(signed_in, round_, csv_file([row(answer="Y")]), "y.csv")
    assert problems(reply)[0] == "Row 2, 1.1: ‘Y’ is not one of Yes, Sometimes, Not always, No"


def test_a_file_over_the_size_limit_is_refused_before_it_is_read(signed_in, round_, settings):
    settings.RETURNS_MAX_BYTES = 10 * 1024
    reply = upload(signed_in, round_, b"x" * (50 * 1024))
    assert reply.status_code == 400
    assert "The file is 50 KB; the largest file taken is 10 KB. Split it into smaller files" in (
        reply.content.decode()
    )
    assert not Upload.objects.exists()


def test_a_workbook_with_macros_inside_is_refused_whatever_its_name(signed_in, round_):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/vbaProject.bin", b"\0" * 10)
    reply = upload(signed_in, round_, out.getvalue(), "innocent.xlsx")
    assert problems(reply)[0].startswith("The workbook holds macros, which are not accepted")


def test_formula_cells_are_read_as_text_and_shown_escaped(signed_in, round_):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Returns"
    sheet.append(HEADERS)
    sheet.append(row(comment='=HYPERLINK("http://evil.example","<script>x</script>")'))
    sheet.append(row(**{"1.1": "=A1"}))
    out = io.BytesIO()
    book.save(out)
    reply = upload(signed_in, round_, out.getvalue(), "book.xlsx")
    assert problems(reply) == ["Row 3, 1.1: ‘=A1’ is not one of Yes, Sometimes, Not always, No"]
    sheet.delete_rows(3)
    out = io.BytesIO()
    book.save(out)
    reply = upload(signed_in, round_, out.getvalue(), "<b>book</b>.xlsx")
    found = latest()
    assert "<b>book</b>" not in reply.content.decode()  # the name is shown escaped
    signed_in.post(reverse("returns:confirm", args=[round_.pk, found.pk]))
    comment = Response.objects.get().comments.get()
    assert comment.text.startswith("=HYPERLINK(")  # kept as typed; exports neutralise it


def test_another_rounds_template_is_caught(signed_in, round_, partnership, instrument):
    other = make_round(partnership, instrument, title="Spring")
    template = signed_in.get(reverse("returns:template-xlsx", args=[other.pk])).content
    reply = upload(signed_in, round_, template, "template.xlsx")
    assert problems(reply) == [
        f"This is the template of another round (batch code {batch_code(other)}). This round's "
        f"batch code is {batch_code(round_)}: download this round's template, or copy the rows "
        "into it"
    ]


def test_the_filled_in_excel_template_imports(signed_in, round_):
    template = signed_in.get(reverse("returns:template-xlsx", args=[round_.pk])).content
    book = openpyxl.load_workbook(io.BytesIO(template))
    sheet = book["Returns"]
    for i in range(3):
        sheet.append([f"T{i}", "Eastvale NHS Trust", *(["No"] * 24)])
    out = io.BytesIO()
    book.save(out)
    reply = upload(signed_in, round_, out.getvalue(), "filled.xlsx")
    found = latest()
    assert found.state == Upload.State.READY, problems(reply)
    signed_in.post(reverse("returns:confirm", args=[round_.pk, found.pk]))
    assert Response.objects.filter(organisation__name="Eastvale NHS Trust").count() == 3


def test_a_closed_round_takes_no_returns(signed_in, round_, organisations):
    round_.status = Status.CLOSED
    round_.save()
    reply = signed_in.post(reverse("returns:enter", args=[round_.pk]), keyed(organisations[0]))
    assert reply.status_code == 302
    reply = upload(signed_in, round_, csv_file([row()]))
    assert "no returns can be brought in" in reply.content.decode()
    assert not Response.objects.exists()


def test_a_rounds_responses_download_imported_into_another_round_gives_the_same_figures(
    signed_in, partnership, instrument, organisations
):
    first = make_round(partnership, instrument, title="First")
    first.organisations.set(organisations)
    for i in range(6):
        respond(first, organisations[0], "321032", comments={"1": f"Note {i}"})
        respond(first, organisations[1], "012301")
    first.status = Status.CLOSED
    first.save()
    download = signed_in.get(reverse("results:csv", args=[first.pk]))
    content = b"".join(download.streaming_content) if download.streaming else download.content
    second = make_round(partnership, instrument, title="Second")
    second.organisations.set(organisations)
    reply = upload(signed_in, second, content, "first.csv")
    found = latest()
    assert found.state == Upload.State.READY, problems(reply)
    signed_in.post(reverse("returns:confirm", args=[second.pk, found.pk]))
    second.status = Status.CLOSED
    second.save()
    before, after = round_results(first), round_results(second)
    assert after.behaviour_scores == before.behaviour_scores
    assert [o.scores for o in after.organisation_results] == [
        o.scores for o in before.organisation_results
    ]


# --- In the background, and what is kept ----------------------------------------------------


def test_a_large_file_is_checked_and_imported_by_the_worker_with_its_progress_shown(
    signed_in, round_, settings
):
    settings.RETURNS_CHECK_NOW_BYTES = 0  # every file goes to the worker (run at once in tests)
    reply = upload(signed_in, round_, csv_file([row(f"R{i}") for i in range(1200)]))
    found = latest()
    assert found.state == Upload.State.READY
    assert "1200 returns from 1 organisation" in reply.content.decode()
    progress = signed_in.get(reverse("returns:upload-progress", args=[round_.pk, found.pk]))
    assert progress.json() == {"state": "ready", "checked": 1200, "total": 1200}
    signed_in.post(reverse("returns:confirm", args=[round_.pk, found.pk]))
    assert Response.objects.count() == 1200
    assert latest().state == Upload.State.IMPORTED


def test_the_page_of_a_file_being_checked_says_how_far_it_has_got(signed_in, round_):
    found = Upload.objects.create(
        round=round_, name="big.csv", size=1, digest="0", total=5000, checked=2000
    )
    page = signed_in.get(reverse("returns:upload-detail", args=[round_.pk, found.pk]))
    text = page.content.decode()
    assert "This page shows how far it has got each time it is reloaded" in text
    assert "2,000 of 5,000 rows checked." in text


def test_an_uploaded_file_is_deleted_once_checked_with_problems_imported_or_a_day_old(
    signed_in, round_, settings
):
    from pathlib import Path

    from sixways.accounts.retention import apply_retention

    def files() -> list:
        return [p for p in Path(settings.MEDIA_ROOT).rglob("*") if p.is_file()]

    upload(signed_in, round_, csv_file([row(organisation="Nobody")]))
    assert files() == []
    upload(signed_in, round_, csv_file([row("K")]), "kept.csv")
    assert len(files()) == 1
    Upload.objects.filter(pk=latest().pk).update(
        uploaded_at=latest().uploaded_at - datetime.timedelta(hours=25)
    )
    assert apply_retention()["returns_files_deleted"] == 1
    assert files() == []
    reply = signed_in.get(reverse("returns:upload-detail", args=[round_.pk, latest().pk]))
    assert "The file was not imported within a day, so it was deleted" in reply.content.decode()
    upload(signed_in, round_, csv_file([row("L")]), "deleted-with-round.csv")
    assert len(files()) == 1
    round_.delete()
    assert files() == []


def test_who_brought_returns_in_is_in_the_activity_log(signed_in, round_, organisations):
    from sixways.core.models import AuditEntry

    signed_in.post(reverse("returns:enter", args=[round_.pk]), keyed(organisations[0]))
    upload(signed_in, round_, csv_file([row("A")]))
    signed_in.post(reverse("returns:confirm", args=[round_.pk, latest().pk]))
    actions = list(AuditEntry.objects.values_list("action", "detail"))
    assert ("returns.keyed", "") in actions
    assert ("returns.imported", "1 from returns.csv") in actions
    page = signed_in.get(reverse("returns:returns", args=[round_.pk])).content.decode()
    assert "1 return entered by hand" in page
    assert "by fac@eastvale.example" in page


def test_an_organisation_answered_on_paper_cannot_send_again_online(
    client, signed_in, partnership, instrument, organisations
):
    from sixways.rounds.models import Answer

    round_ = make_round(partnership, instrument, mode=Mode.ORGANISATIONAL, title="Partners")
    round_.organisations.set(organisations)
    online, token = Invitation.issue(round_, organisations[0], kind=Invitation.Kind.ORGANISATIONAL)
    signed_in.post(reverse("returns:enter", args=[round_.pk]), keyed(organisations[0]))
    assert Response.objects.filter(state=Response.State.SUBMITTED).count() == 1
    participant = client.__class__()
    participant.post(reverse("rounds:start", args=[token]))
    draft = Response.objects.get(invitation=online)
    Answer.objects.bulk_create(
        Answer(response=draft, question=q, option=instrument.options.first())
        for q in instrument.questions.all()
    )
    reply = participant.post(reverse("rounds:check"))
    assert reply.status_code == 400
    assert "Your organisation's response has already been brought in from a paper form" in (
        html.unescape(reply.content.decode())
    )
    assert Response.objects.filter(state=Response.State.SUBMITTED).count() == 1


def test_a_50_mb_file_is_refused_with_its_size_and_nothing_is_kept(signed_in, round_):
    reply = upload(signed_in, round_, b"reference,organisation\r\n" + b"x" * (50 * 1024 * 1024))
    assert reply.status_code == 400
    assert problems(reply) == [
        "The file is 50.0 MB; the largest file taken is 20.0 MB. Split it into smaller files"
    ]
    assert not Upload.objects.exists()


def test_a_reference_keyed_in_after_the_check_stops_the_whole_import(
    signed_in, round_, organisations
):
    upload(signed_in, round_, csv_file([row("R1"), row("R2")]))
    signed_in.post(
        reverse("returns:enter", args=[round_.pk]), keyed(organisations[0], reference="R2")
    )
    reply = signed_in.post(reverse("returns:confirm", args=[round_.pk, latest().pk]), follow=True)
    assert problems(reply) == [
        "Row 3, reference: R2 is already in this round (keyed in on "
        f"{timezone.localdate():%-d %B %Y}). "
        "Each return is brought in once"
    ]
    assert Response.objects.count() == 1  # only the keyed one


def test_a_file_with_more_rows_than_the_limit_is_refused(signed_in, round_, settings):
    settings.RETURNS_MAX_ROWS = 3
    reply = upload(signed_in, round_, csv_file([row() for _ in range(4)]))
    assert problems(reply) == [
        "The file has more than 3 returns. Split it into files of 3 or fewer"
    ]
    book = openpyxl.Workbook()
    book.active.append(HEADERS)
    for _ in range(4):
        book.active.append(row())
    out = io.BytesIO()
    book.save(out)
    reply = upload(signed_in, round_, out.getvalue(), "many.xlsx")
    assert problems(reply) == [
        "The file has more than 3 returns. Split it into files of 3 or fewer"
    ]


def test_an_upload_without_the_forms_csrf_token_is_refused(facilitator, round_):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(facilitator)
    reply = client.post(
        reverse("returns:upload", args=[round_.pk]),
        {"file": SimpleUploadedFile("returns.csv", csv_file([row()]))},
    )
    assert reply.status_code == 403
    assert not Upload.objects.exists()


def test_a_return_keyed_in_by_mistake_can_be_taken_out_while_the_round_is_open(
    signed_in, round_, organisations, partnership, instrument
):
    signed_in.post(reverse("returns:enter", args=[round_.pk]), keyed(organisations[0]))
    signed_in.post(reverse("returns:enter", args=[round_.pk]), keyed(organisations[1]))
    mistake = Return.objects.get(response__organisation=organisations[1])
    other = make_round(partnership, instrument, title="Other")
    address = reverse("returns:remove", args=[other.pk, mistake.pk])
    assert signed_in.post(address).status_code == 404  # only through its own round
    reply = signed_in.post(reverse("returns:remove", args=[round_.pk, mistake.pk]), follow=True)
    assert "The return has been taken out" in reply.content.decode()
    assert list(Response.objects.values_list("organisation", flat=True)) == [organisations[0].pk]
    assert sum(Tally.objects.filter(round=round_).values_list("count", flat=True)) == 24
    # An imported file's returns go only with the whole file.
    upload(signed_in, round_, csv_file([row("F1")]))
    signed_in.post(reverse("returns:confirm", args=[round_.pk, latest().pk]))
    imported = Return.objects.get(reference="F1")
    assert (
        signed_in.post(reverse("returns:remove", args=[round_.pk, imported.pk])).status_code == 404
    )
