"""The printable questionnaire, and the fonts of every PDF: each one is read back, its words
checked word for word and its glyphs checked in the embedded font files, since text can be
read back from a PDF even where it was drawn as empty boxes."""

import io
import re

import pytest
from django.urls import reverse
from fontTools.pens.boundsPen import BoundsPen
from fontTools.ttLib import TTFont
from pypdf import PdfReader

from sixways.instruments.shape import shape
from sixways.returns.batch import batch_code
from sixways.rounds.fixtures import respond
from sixways.rounds.models import Mode
from tests.conftest import make_round

# What people type: Welsh, Arabic, Urdu, Hindi, Punjabi, Bengali, Chinese and an emoji.
SAMPLES = {
    "Welsh": "ŵŷŴŶ",
    "Arabic": "مرحبا",
    "Urdu": "ٹھیک",
    "Devanagari": "नमस्ते",
    "Gurmukhi": "ਪੰਜਾਬੀ",
    "Bengali": "বাংলা",
    "Chinese": "你好",
}
EMOJI = "👍"
# Each sample after the name of its script: two right-to-left samples side by side would read
# back from the PDF in the order they are seen, not typed.
TYPED = " ".join(f"{script} {sample}" for script, sample in SAMPLES.items()) + f" {EMOJI}"


def assert_reads_back(text: str) -> None:
    for sample in [*SAMPLES.values(), EMOJI]:
        assert sample in text


def questionnaire(client, round_):
    return client.get(reverse("returns:questionnaire", args=[round_.pk]))


def page_texts(content: bytes) -> list[str]:
    """Each page's text with its white space run together, as one line."""
    return [
        " ".join((page.extract_text() or "").split())
        for page in PdfReader(io.BytesIO(content)).pages
    ]


@pytest.fixture
def paper_round(partnership, instrument, organisations):
    round_ = make_round(partnership, instrument)
    round_.organisations.set(organisations)
    return round_


# --- How each character was drawn -------------------------------------------------------------


def _to_unicode(cmap: str) -> dict[int, str]:
    """A ToUnicode CMap's glyph ids and the text each stands for."""
    found = {}

    def text(hex_: str) -> str:
        return bytes.fromhex(hex_).decode("utf-16-be")

    for block in re.findall(r"beginbfchar(.*?)endbfchar", cmap, re.S):
        for src, dst in re.findall(r"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]*)>", block):
            found[int(src, 16)] = text(dst)
    for block in re.findall(r"beginbfrange(.*?)endbfrange", cmap, re.S):
        for low, high, dst in re.findall(
            r"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>\s*(<[0-9a-fA-F]+>|\[[^\]]*\])", block
        ):
            low, high = int(low, 16), int(high, 16)
            if dst.startswith("["):
                for offset, each in enumerate(re.findall(r"<([0-9a-fA-F]*)>", dst)):
                    found[low + offset] = text(each)
            else:
                first = bytes.fromhex(dst[1:-1])
                for offset in range(high - low + 1):
                    last = int.from_bytes(first[-2:]) + offset
                    found[low + offset] = (first[:-2] + last.to_bytes(2)).decode("utf-16-be")
    return found


def _walk(resources, found: dict) -> None:
    """Every font and image of a page's resources, those of the forms it draws included, by
    object number: WeasyPrint gives every page the same resources."""
    resources = resources.get_object() if resources is not None else {}
    for font in resources.get("/Font", {}).values():
        found.setdefault(font.idnum, font.get_object())
    for xobject in resources.get("/XObject", {}).values():
        if xobject.idnum not in found:
            found[xobject.idnum] = xobject = xobject.get_object()
            if xobject.get("/Subtype") == "/Form":
                _walk(xobject.get("/Resources"), found)


def _has_colour(image) -> bool:
    saturation = image.convert("RGB").convert("HSV").getextrema()[1]
    return saturation[1] > 32


def drawn(content: bytes, characters: str) -> dict[str, set[str]]:
    """How each of `characters` was drawn in a PDF, read from the font files embedded in it:
    "outline" (a glyph with ink), "missing" (glyph 0, the font's .notdef box), "blank" (a glyph
    with no outline) or "colour bitmap" (a blank glyph in a document that draws colour images:
    WeasyPrint draws a colour emoji as its bitmap, over a blank glyph that carries its text).
    A character drawn in several fonts can be drawn in several ways; one never drawn is absent.
    """
    reader = PdfReader(io.BytesIO(content))
    objects: dict = {}
    for page in reader.pages:
        _walk(page.get("/Resources"), objects)
    colour = any(_has_colour(image.image) for page in reader.pages for image in page.images)
    found: dict[str, set[str]] = {}
    for font in objects.values():
        if "/DescendantFonts" not in font or "/ToUnicode" not in font:
            continue
        cmap = _to_unicode(font["/ToUnicode"].get_object().get_data().decode())
        wanted = {gid: text for gid, text in cmap.items() if set(text) & set(characters)}
        if not wanted:
            continue
        descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"]
        program = descriptor.get("/FontFile2") or descriptor.get("/FontFile3")
        assert program is not None, f"{font['/BaseFont']} is not embedded"
        ttfont = TTFont(io.BytesIO(program.get_object().get_data()))
        order, glyphs = ttfont.getGlyphOrder(), ttfont.getGlyphSet()
        # WeasyPrint writes CIDs that are the font's own glyph ids (CIDToGIDMap Identity).
        for gid, text in wanted.items():
            if gid == 0 or gid >= len(order) or order[gid] == ".notdef":
                how = "missing"
            else:
                pen = BoundsPen(glyphs)
                glyphs[order[gid]].draw(pen)
                how = "outline" if pen.bounds else "colour bitmap" if colour else "blank"
            for character in set(text) & set(characters):
                found.setdefault(character, set()).add(how)
    return found


def assert_every_glyph_drawn(content: bytes, typed: str) -> None:
    characters = "".join(sorted(set(typed) - {" "}))
    how = drawn(content, characters)
    wrong = [
        f"U+{ord(c):04X} {c} as {', '.join(sorted(how.get(c, ['nothing'])))}"
        for c in characters
        if how.get(c) not in ({"outline"}, {"colour bitmap"})
    ]
    assert not wrong, "Not drawn: " + "; ".join(wrong)


# --- The questionnaire ------------------------------------------------------------------------


def test_the_questionnaire_has_every_question_word_for_word(
    client, facilitator, paper_round, instrument
):
    client.force_login(facilitator)
    response = questionnaire(client, paper_round)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == (
        'attachment; filename="eastvale-place-partnership-autumn-2026-questionnaire.pdf"'
    )
    reader = PdfReader(io.BytesIO(response.content))
    root = reader.trailer["/Root"]
    assert bool(root["/MarkInfo"]["/Marked"]) and "/StructTreeRoot" in root
    assert root["/Lang"] == "en-GB"
    assert reader.metadata.title == "Questionnaire: Eastvale Place Partnership, Autumn 2026"
    width, height = reader.pages[0].mediabox.width, reader.pages[0].mediabox.height
    assert (round(width), round(height)) == (595, 842)  # A4, in points

    pages = page_texts(response.content)
    content = " ".join(pages)
    found = shape(instrument)
    assert len(found.questions) == 24
    for question in found.questions:
        assert f"{question.key} {question.text}" in content
        if question.hint:
            assert question.hint in content
    for section in found.sections:
        assert f"{section.key}. {section.title}" in content
        assert section.guidance in content
        assert f"Comments on ‘{section.title}’ (optional)" in content
    # Each question's four boxes, labelled as the answers are.
    labels = " ".join(option.label for option in found.options)
    assert labels == "Yes Sometimes Not always No"
    assert content.count(labels) == 24
    assert "read ‘ICS’ as your partnership" in content  # the hint the online question gives
    assert "Which organisation are you from? Tick one box. Eastvale Council Eastvale NHS Trust" in (
        content
    )
    assert "Return reference (for the person entering it)" in pages[0]
    assert "hand the form back to the person who gave it to you" in content
    assert "Nobody's answers are shown on their own" in content

    code = batch_code(paper_round)
    assert len(pages) >= 3
    for number, text in enumerate(pages, start=1):
        assert "Autumn 2026" in text, number
        assert f"Batch code {code}" in text, number
        assert f"Page {number} of {len(pages)}" in text


def test_an_organisational_round_says_whose_answers_they_are(
    client, facilitator, partnership, instrument, organisations
):
    round_ = make_round(partnership, instrument, mode=Mode.ORGANISATIONAL)
    client.force_login(facilitator)
    content = " ".join(page_texts(questionnaire(client, round_).content))
    assert "You are answering on behalf of your organisation" in content
    assert "Nobody's answers are shown on their own" not in content
    # A round without organisations asks nothing about them.
    assert "Which organisation are you from?" not in content


def test_anyone_who_can_see_the_round_may_print_it_and_nobody_else(
    client, facilitator, observer, partner_lead, outsider, paper_round
):
    assert questionnaire(client, paper_round).status_code == 302  # to sign in
    client.force_login(outsider)
    assert questionnaire(client, paper_round).status_code == 404
    for user in (observer, partner_lead):
        client.force_login(user)
        assert questionnaire(client, paper_round).status_code == 200
    client.force_login(facilitator)
    url = reverse("returns:questionnaire", args=[paper_round.pk])
    assert client.post(url).status_code == 405


def test_a_collective_round_has_no_paper_questionnaire(
    client, facilitator, partnership, instrument
):
    round_ = make_round(partnership, instrument, mode=Mode.COLLECTIVE)
    client.force_login(facilitator)
    assert questionnaire(client, round_).status_code == 404


# --- Fonts --------------------------------------------------------------------------------------


def test_the_questionnaire_draws_every_script_and_emoji(client, facilitator, paper_round):
    paper_round.title = f"Hydref 2026 {TYPED}"
    paper_round.save()
    client.force_login(facilitator)
    content = questionnaire(client, paper_round).content
    assert_reads_back(" ".join(page_texts(content)))
    assert_every_glyph_drawn(content, TYPED)
    # Digits and letters are drawn with the text font, never with the emoji font's blanks.
    text = "Hydref2026.13456"
    assert drawn(content, text) == {c: {"outline"} for c in text}


def test_the_board_report_draws_every_script_and_emoji_in_comments(
    client, facilitator, partnership, instrument, organisations
):
    # An organisational round shows its comments from the first response.
    round_ = make_round(partnership, instrument, mode=Mode.ORGANISATIONAL)
    respond(round_, organisations[0], "321032", comments={"1": f"Comment: {TYPED}"})
    client.force_login(facilitator)
    response = client.get(reverse("results:pdf", args=[round_.pk]))
    assert response.status_code == 200
    assert_reads_back(" ".join(page_texts(response.content)))
    assert_every_glyph_drawn(response.content, TYPED)


def test_the_glyph_check_finds_a_character_no_font_has(client, facilitator, paper_round):
    # A private-use character that no installed font draws, beside one that is drawn: the
    # check must tell them apart, or the two tests above prove nothing.
    paper_round.title = "Autumn \U0010fffd ŵ"
    paper_round.save()
    client.force_login(facilitator)
    content = questionnaire(client, paper_round).content
    assert_every_glyph_drawn(content, "ŵ")
    with pytest.raises(AssertionError, match="U\\+10FFFD"):
        assert_every_glyph_drawn(content, "\U0010fffd")
