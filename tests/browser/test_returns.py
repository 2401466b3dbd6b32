"""Paper returns in a real browser: download the spreadsheet template, fill it in with one bad
row, read the problem, fix it, see what the file would change, import it, and see the results
change; and undo it."""

import io

import openpyxl
from django.urls import reverse

from sixways.partnerships.models import Organisation, Partner, Partnership, Sector
from sixways.rounds.fixtures import respond
from sixways.rounds.models import Mode
from tests.browser.conftest import assert_accessible
from tests.browser.test_cycle import shot, sign_in
from tests.conftest import make_round, make_user


def test_a_spreadsheet_of_returns_is_fixed_previewed_imported_and_undone(
    live_server, page, transactional_db, django_user_model, tmp_path
):
    from sixways.instruments.loading import current, load_all

    load_all()
    partnership = Partnership.objects.create(name="Riverside Place Partnership")
    names = ["Riverside Council", "Riverside Hospital Trust", "Riverside Care Homes"]
    organisations = [
        Organisation.objects.create(name=name, sector=Sector.LOCAL_AUTHORITY) for name in names
    ]
    for organisation in organisations:
        Partner.objects.create(partnership=partnership, organisation=organisation)
    round_ = make_round(partnership, current(), mode=Mode.ORGANISATIONAL, title="Autumn 2026")
    round_.organisations.set(organisations)
    respond(round_, organisations[0], "111111")  # one partner has answered online
    sign_in(page, live_server, make_user(django_user_model, "fac@riverside.example", partnership))

    page.goto(live_server.url + reverse("rounds:detail", args=[round_.pk]))
    page.get_by_role("link", name="Paper and spreadsheet returns").click()
    assert_accessible(page, "the returns page")
    with page.expect_download() as download:
        page.get_by_role("link", name="Spreadsheet template", exact=True).click()
    template = tmp_path / "template.xlsx"
    download.value.save_as(template)

    book = openpyxl.load_workbook(template)
    sheet = book["Returns"]
    sheet.append(["A1", "Riverside Hospital Trust", *(["Yes"] * 24)])
    sheet.append(["A2", "Riverside Care Homes", *(["Sometimes"] * 9), "Somtimes", *(["No"] * 14)])
    filled = tmp_path / "filled.xlsx"
    book.save(filled)

    page.get_by_label("Upload a file").set_input_files(str(filled))
    page.get_by_role("button", name="Upload and check").click()
    summary = page.locator(".nhsuk-error-summary")
    assert "Row 3, 3.1: ‘Somtimes’ is not one of Yes, Sometimes, Not always, No" in (
        summary.inner_text()
    )
    assert "Nothing has been imported" in page.inner_text("main")
    assert_accessible(page, "a file with a problem")
    shot(page, "returns-problem")

    sheet["L3"] = "Sometimes"
    book.save(filled)
    page.get_by_role("link", name="Paper and spreadsheet returns").click()
    page.get_by_label("Upload a file").set_input_files(str(filled))
    page.get_by_role("button", name="Upload and check").click()
    main = page.inner_text("main")
    assert "2 returns from 2 organisations" in main
    scores = page.locator("#preview-scores")
    first = scores.get_by_role("row").nth(1).inner_text().split("\t")
    assert first == ["1. Be prepared to experiment and learn together", "1.0", "2.0"]
    assert_accessible(page, "the preview")
    shot(page, "returns-preview")

    page.get_by_role("button", name="Import 2 returns").click()
    assert "2 returns imported" in page.inner_text("main")
    page.get_by_role("link", name="See the results").click()
    overview = page.locator("table", has=page.get_by_text("Partnership score for each behaviour"))
    assert "2.00" in overview.get_by_role("row").nth(1).inner_text()

    page.go_back()
    page.get_by_role("button", name="Take these 2 returns out").click()
    assert "have been taken out" in page.inner_text("main")
    page.goto(live_server.url + reverse("results:round", args=[round_.pk]))
    assert "1.00" in overview.get_by_role("row").nth(1).inner_text()
    workbook = openpyxl.load_workbook(io.BytesIO(filled.read_bytes()))
    assert workbook["Returns"]["L3"].value == "Sometimes"
