"""Every typed-text field refuses the same hidden characters, and says so naming the field."""

import pytest
from django.urls import reverse

from sixways.design.text import plural
from sixways.partnerships.models import Organisation, Partner
from sixways.rounds.models import Comment, Round, RoundEvent
from tests.conftest import section_data
from tests.test_cycle import new_round_data
from tests.test_partnerships import csv_file

BIDI = ["\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069"]
NONCHARACTERS = ["\ufffe", "\uffff", "\ufdd0", "\ufdef", "\U0001fffe", "\U0010ffff"]
SHOWN_DIFFERENTLY = "must not contain hidden characters that change how text is shown"
NOT_TEXT = "must not contain characters that are not text"


def _cases():
    return [(char, SHOWN_DIFFERENTLY) for char in BIDI] + [
        (char, NOT_TEXT) for char in NONCHARACTERS
    ]


@pytest.mark.parametrize(("char", "message"), _cases())
def test_comments_refuse_characters_that_hide_or_reorder_text(client, link, char, message):
    client.post(reverse("rounds:start", args=[link]))
    response = client.post(
        reverse("rounds:section", args=[1]),
        section_data(1, comment=f"Looks fine{char}enif skooL"),
    )
    assert response.status_code == 400
    assert f"Comments {message}" in response.content.decode()
    assert not Comment.objects.exists()


def test_text_in_any_language_is_still_accepted(client, link):
    """Right-to-left scripts need no override characters, and neither do emoji."""
    client.post(reverse("rounds:start", args=[link]))
    text = "Cymraeg ŵ ŷ; العربية\u200f; עברית; 👩\u200d⚕️ \U0001f44d\ttab\nnew line"
    response = client.post(reverse("rounds:section", args=[1]), section_data(1, comment=text))
    assert response.status_code == 302
    assert Comment.objects.get().text == text


@pytest.mark.parametrize(("char", "message"), _cases())
def test_a_reason_refuses_characters_that_hide_or_reorder_text(
    client, facilitator, open_round, char, message
):
    client.force_login(facilitator)
    response = client.post(
        reverse("rounds:close", args=[open_round.pk]), {"reason": f"Board{char} meets"}
    )
    assert response.status_code == 400
    assert f"The reason {message}" in response.content.decode()
    assert not RoundEvent.objects.filter(action=RoundEvent.Action.CLOSED).exists()


@pytest.mark.parametrize(
    ("title", "message"),
    [
        ("Spring\x07 2027", "The name must not contain line breaks or hidden control characters"),
        ("Spring\u202e 2027", f"The name {SHOWN_DIFFERENTLY}"),
        ("Spring\ufffe 2027", f"The name {NOT_TEXT}"),
    ],
)
def test_a_round_name_refuses_hidden_characters_calling_it_a_name(
    client, facilitator, partnership, instrument, organisations, title, message
):
    client.force_login(facilitator)
    data = {**new_round_data(organisations), "instrument": instrument.pk, "title": title}
    response = client.post(reverse("rounds:create", args=[partnership.pk]), data)
    assert response.status_code == 400
    html = response.content.decode()
    assert message in html
    assert "The reason" not in html
    assert not Round.objects.exists()


@pytest.mark.parametrize(("char", "message"), [("\u2067", SHOWN_DIFFERENTLY), ("\uffff", NOT_TEXT)])
def test_partnership_and_organisation_names_refuse_hidden_characters(
    client, facilitator, partnership, char, message
):
    client.force_login(facilitator)
    response = client.post(
        reverse("partnerships:add-partner", args=[partnership.pk]),
        {"name": f"Eastvale{char} Hospice", "sector": "vcse", "code": ""},
    )
    assert response.status_code == 400
    assert f"The name {message}" in response.content.decode()
    assert not Partner.objects.exists()
    response = client.post(
        reverse("partnerships:edit", args=[partnership.pk]),
        {"name": f"Eastvale{char} Place", "level": "place"},
    )
    assert response.status_code == 400
    assert f"The name {message}" in response.content.decode()


def test_an_imported_name_with_hidden_characters_is_refused_by_row(
    client, facilitator, partnership
):
    client.force_login(facilitator)
    text = (
        "name,sector,code\n"
        "Good Trust,NHS trust,\n"
        "Evil\u202eTrust,NHS trust,\n"
        "Odd\ufffeTrust,NHS trust,\n"
        "Bell\x07Trust,NHS trust,\n"
    )
    response = client.post(
        reverse("partnerships:import-partners", args=[partnership.pk]), {"file": csv_file(text)}
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert f"Row 3, column name: remove the {SHOWN_DIFFERENTLY.split('contain ')[1]}" in html
    assert "Row 4, column name: remove the characters that are not text" in html
    assert "Row 5, column name: remove the line breaks or hidden control characters" in html
    assert not Organisation.objects.exists()


def test_a_count_reads_with_its_noun():
    assert [plural(n, "response") for n in (0, 1, 2)] == [
        "0 responses",
        "1 response",
        "2 responses",
    ]
    assert plural(1, "person", "people") == "1 person"
    assert plural(3, "person", "people") == "3 people"
