"""The participant journey, through HTTP, with no JavaScript."""

import re

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from sixways.rounds.models import Answer, Comment, Invitation, Response, Status
from tests.conftest import cookie_value, make_round, section_data


def start(client, token):
    return client.post(reverse("rounds:start", args=[token]))


def answer_all(client, value="yes"):
    for number in range(1, 7):
        response = client.post(
            reverse("rounds:section", args=[number]), section_data(number, value)
        )
        assert response.status_code == 302, response.content.decode()[:500]


def test_the_whole_journey_works_without_javascript(client, link):
    page = client.get(reverse("rounds:start", args=[link]))
    assert "about 10 minutes" in page.content.decode()
    assert "Nobody sees your name" in page.content.decode()

    response = start(client, link)
    assert response["Location"] == reverse("rounds:section", args=[1])

    page = client.get(reverse("rounds:section", args=[1]))
    html = page.content.decode()
    assert "Be prepared to experiment and learn together" in html
    assert "1.1 Is there space on the agenda for each partner" in html
    assert html.count('type="radio"') == 16

    for number in range(1, 7):
        response = client.post(
            reverse("rounds:section", args=[number]),
            section_data(number, "sometimes", comment=f"Comment on way {number} – Llanelli ŵ 😊"),
        )
        expected = (
            reverse("rounds:section", args=[number + 1]) if number < 6 else reverse("rounds:check")
        )
        assert response["Location"] == expected

    check = client.get(reverse("rounds:check")).content.decode()
    assert check.count("Sometimes") >= 24
    assert "Comment on way 3 – Llanelli ŵ 😊" in check

    response = client.post(reverse("rounds:check"))
    assert response["Location"] == reverse("rounds:sent")
    sent = client.get(reverse("rounds:sent")).content.decode()
    assert "Your answers have been sent" in sent
    assert "Comment on way 6" not in sent

    saved = Response.objects.get()
    assert saved.submitted
    assert saved.answers.count() == 24
    assert set(saved.answers.values_list("option__key", flat=True)) == {"sometimes"}


def test_a_comment_reads_on_the_check_page_as_it_was_typed(client, link):
    start(client, link)
    answer_all(client)
    typed = 'We said "<b>no</b>" & meant it'
    client.post(reverse("rounds:section", args=[2]), section_data(2, "yes", comment=typed))
    check = client.get(reverse("rounds:check")).content.decode()
    # Escaped once: a browser shows the text as typed, and no markup of ours shows as text.
    assert (
        '<span class="sixways-comment">We said &#34;&lt;b&gt;no&lt;/b&gt;&#34; &amp; meant it</span>'
        in check
    )
    assert "&lt;span" not in check
    assert "&amp;lt;" not in check


def test_opening_a_link_changes_nothing(client, link):
    # Mail scanners open links before people do.
    for _ in range(3):
        assert client.get(reverse("rounds:start", args=[link])).status_code == 200
    assert not Response.objects.exists()
    assert settings.PARTICIPANT_COOKIE_NAME not in client.cookies


def test_the_token_is_swapped_for_a_session(client, link):
    response = start(client, link)
    assert link not in response["Location"]
    page = client.get(response["Location"])
    assert link not in page.content.decode()


def test_the_cookie_names_the_response_and_nothing_is_kept_on_the_server(client, link):
    from django.contrib.sessions.models import Session

    start(client, link)
    assert client.get(reverse("rounds:section", args=[1])).status_code == 200
    cookie = client.cookies[settings.PARTICIPANT_COOKIE_NAME]
    assert cookie["httponly"] and cookie["samesite"] == "Lax"
    assert not cookie["max-age"]  # ends when the browser closes
    assert not Session.objects.exists()


@pytest.mark.parametrize("change", ["forged", "other response", "ended", "erased"])
def test_a_cookie_that_is_not_good_asks_for_the_link_again(client, link, change):
    import time

    start(client, link)
    mine = Response.objects.get()
    name = settings.PARTICIPANT_COOKIE_NAME
    now = int(time.time())
    if change == "forged":
        client.cookies[name] = f"{mine.pk + 1}.{now}:forged"
    elif change == "other response":
        # The signature covers the id: changing it breaks the cookie.
        value = cookie_value(mine.pk, now)
        client.cookies[name] = value.replace(f"{mine.pk}.", f"{mine.pk + 1}.", 1)
    elif change == "ended":
        client.cookies[name] = cookie_value(mine.pk, now - settings.SESSION_COOKIE_AGE - 1)
    else:
        mine.delete()
    response = client.get(reverse("rounds:section", args=[1]))
    assert response.status_code == 403
    assert "Open the link you were sent" in response.content.decode()


def test_a_draft_resumes_where_the_person_left_off(client, link):
    start(client, link)
    client.post(reverse("rounds:section", args=[1]), section_data(1))
    client.post(reverse("rounds:section", args=[2]), section_data(2, comment="Half way"))
    client.post(reverse("rounds:section", args=[3]), {"q3_1": "no", "action": "save"})

    # A new browser: the same link resumes.
    client.cookies.clear()
    page = client.get(reverse("rounds:start", args=[link]))
    assert "Continue where you left off" in page.content.decode()
    response = start(client, link)
    assert response["Location"] == reverse("rounds:section", args=[3])
    html = client.get(reverse("rounds:section", args=[3])).content.decode()
    assert 'value="no" checked' in html
    html = client.get(reverse("rounds:section", args=[2])).content.decode()
    assert "Half way" in html


def test_save_and_come_back_later_keeps_a_partial_page(client, link):
    start(client, link)
    response = client.post(reverse("rounds:section", args=[1]), {"q1_1": "no", "action": "save"})
    assert "Your answers are saved" in response.content.decode()
    assert Answer.objects.get().option.key == "no"


def _change_link(check_html: str, number: int, fragment: str) -> str:
    """Where a "Change" link on the check page for way `number` leads, without its #fragment."""
    section = reverse("rounds:section", args=[number])
    href = re.search(rf'href="({section}[^"]*)#{fragment}"', check_html).group(1)
    return href.replace("&amp;", "&")


@pytest.mark.parametrize("fragment", ["q3_2", "comment"])
def test_changing_an_answer_from_the_check_page_returns_to_it(client, link, fragment):
    start(client, link)
    answer_all(client)
    check = client.get(reverse("rounds:check")).content.decode()
    change = _change_link(check, 3, fragment)

    page = client.get(change).content.decode()
    assert f'href="{reverse("rounds:check")}"' in page  # "Back" goes to the check page too

    response = client.post(change, section_data(3, "yes", q3_2="no", comment="Changed my mind"))
    assert response.status_code == 302
    assert response["Location"] == reverse("rounds:check")
    check = client.get(reverse("rounds:check")).content.decode()
    assert "Changed my mind" in check
    assert Answer.objects.get(question__key="3.2").option.key == "no"


@pytest.mark.parametrize(
    "query",
    ["change=https://evil.example/", "next=https://evil.example/", "change=//evil.example"],
)
def test_the_change_marker_never_leads_off_the_service(client, link, query):
    start(client, link)
    response = client.post(reverse("rounds:section", args=[3]) + "?" + query, section_data(3))
    assert response["Location"] == reverse("rounds:section", args=[4])


def test_a_change_with_missing_answers_stays_on_the_page_and_then_returns(client, link):
    start(client, link)
    answer_all(client)
    Answer.objects.filter(question__key="3.2").delete()
    change = reverse("rounds:section", args=[3]) + "?change=1"
    data = section_data(3)
    del data["q3_2"]
    response = client.post(change, data)
    assert response.status_code == 400
    assert "Select an answer for question 3.2" in response.content.decode()
    response = client.post(change, section_data(3))
    assert response["Location"] == reverse("rounds:check")


def test_continuing_with_missing_answers_keeps_what_was_given(client, link):
    start(client, link)
    response = client.post(
        reverse("rounds:section", args=[1]), {"q1_1": "yes", "q1_2": "no", "action": "continue"}
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "There is a problem" in html
    assert 'href="#q1_3"' in html
    assert "Select an answer for question 1.3" in html
    assert 'value="no" checked' in html
    assert Answer.objects.count() == 2


def test_an_answer_that_is_not_an_option_saves_nothing(client, link):
    start(client, link)
    response = client.post(
        reverse("rounds:section", args=[1]), section_data(1, q1_2="maybe", comment="kept?")
    )
    assert response.status_code == 400
    assert "Select Yes, Sometimes, Not always or No for question 1.2" in response.content.decode()
    assert not Answer.objects.exists()
    assert not Comment.objects.exists()


@pytest.mark.parametrize(
    ("comment", "message"),
    [
        ("x" * 2001, "Comments must be 2,000 characters or fewer"),
        ("bell\x07", "hidden control characters"),
        ("nul\x00", "Null characters are not allowed"),
    ],
)
def test_a_bad_comment_gets_a_clear_message(client, link, comment, message):
    start(client, link)
    response = client.post(reverse("rounds:section", args=[1]), section_data(1, comment=comment))
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Answer.objects.exists()


def test_a_question_from_elsewhere_is_ignored(client, link):
    start(client, link)
    client.post(reverse("rounds:section", args=[1]), section_data(1, q9_9="yes", q2_1="no"))
    assert Answer.objects.count() == 4


def test_broken_utf8_does_not_break_the_page(client, link):
    start(client, link)
    response = client.post(
        reverse("rounds:section", args=[1]),
        data=b"q1_1=yes&comment=\xff\xfe%FF&action=save",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200
    assert Answer.objects.count() == 1


def test_thousands_of_fields_get_a_readable_400(client, link):
    start(client, link)
    data = {f"f{i}": "x" for i in range(5000)}
    response = client.post(reverse("rounds:section", args=[1]), data)
    assert response.status_code == 400
    assert "There is a problem with your request" in response.content.decode()


def test_a_huge_body_gets_a_readable_400(client, link):
    start(client, link)
    response = client.post(reverse("rounds:section", args=[1]), {"comment": "x" * 400_000})
    assert response.status_code == 400
    assert "There is a problem with your request" in response.content.decode()


def test_submit_needs_every_answer(client, link):
    start(client, link)
    client.post(reverse("rounds:section", args=[1]), section_data(1))
    response = client.post(reverse("rounds:check"))
    assert response.status_code == 400
    html = response.content.decode()
    assert "Answer question 2.1 before you send your answers" in html
    assert reverse("rounds:section", args=[2]) + "#q2_1" in html
    assert not Response.objects.get().submitted


def test_a_double_submit_stores_one_response(client, link):
    start(client, link)
    answer_all(client)
    first = client.post(reverse("rounds:check"))
    second = client.post(reverse("rounds:check"))
    assert first["Location"] == second["Location"] == reverse("rounds:sent")
    assert Response.objects.filter(state="submitted").count() == 1
    assert Answer.objects.count() == 24


def test_a_double_start_makes_one_response(client, link):
    start(client, link)
    start(client, link)
    assert Response.objects.count() == 1


def test_after_sending_answers_are_read_only(client, link):
    start(client, link)
    answer_all(client, "no")
    client.post(reverse("rounds:check"))
    response = client.post(reverse("rounds:section", args=[1]), section_data(1, "yes"))
    assert response["Location"] == reverse("rounds:sent")
    assert set(Answer.objects.values_list("option__key", flat=True)) == {"no"}
    client.cookies.clear()
    assert (
        "Your answers were sent on"
        in client.get(reverse("rounds:start", args=[link])).content.decode()
    )
    assert start(client, link)["Location"] == reverse("rounds:sent")


def test_a_sent_link_opened_again_shows_only_that_the_answers_were_sent(client, link):
    """A forwarded invitation or a shared inbox: whoever opens the link after it was used to
    send learns when, and nothing of the answers or comments, by the link or its cookie."""
    start(client, link)
    for number in range(1, 7):
        client.post(
            reverse("rounds:section", args=[number]),
            section_data(number, "not-always", comment=f"Candid remark {number}"),
        )
    client.post(reverse("rounds:check"))
    pages = [client.get(reverse("rounds:sent"))]
    someone_else = Client()
    pages.append(someone_else.get(reverse("rounds:start", args=[link])))
    pressed = someone_else.post(reverse("rounds:start", args=[link]))
    assert pressed["Location"] == reverse("rounds:sent")
    pages.append(someone_else.get(reverse("rounds:sent")))
    for page in pages:
        html = page.content.decode()
        assert page.status_code == 200
        assert "sent on" in html.lower()
        assert "Candid remark" not in html
        assert "Is there space on the agenda" not in html
        assert "View the answers you sent" not in html


@pytest.mark.parametrize("token", ["", "nonsense", "x" * 43, "a" * 500])
def test_a_bad_or_guessed_token_is_rejected(client, token, link):
    response = client.get(f"/p/{token}/") if token else client.get("/p//")
    assert response.status_code == 404
    assert not Response.objects.exists()


def test_a_draft_round_link_is_rejected_like_a_wrong_one(
    client, partnership, instrument, organisations
):
    draft = make_round(partnership, instrument, status=Status.DRAFT, title="Not yet")
    _, token = Invitation.issue(draft, organisations[0])
    wrong = client.get(reverse("rounds:start", args=["wrong-token"]))
    response = client.get(reverse("rounds:start", args=[token]))
    assert response.status_code == wrong.status_code == 404
    assert response.content == wrong.content


def test_a_session_from_one_round_cannot_answer_another(
    client, link, partnership, instrument, organisations
):
    other = make_round(partnership, instrument, title="Other round")
    _, other_token = Invitation.issue(other, organisations[1])
    start(client, link)
    client.post(reverse("rounds:section", args=[1]), section_data(1))
    # Answers always go to the response the session holds, never one named in the request.
    client.post(reverse("rounds:section", args=[2]), section_data(2, round=other.pk, response=999))
    assert set(Response.objects.values_list("round", flat=True)) == {
        Invitation.objects.from_token(link).round_id
    }
    assert not Response.objects.filter(round=other).exists()
    assert other_token


def test_without_a_session_the_person_is_told_to_open_the_link(client, link):
    response = client.get(reverse("rounds:section", args=[1]))
    assert response.status_code == 403
    assert "Open the link you were sent" in response.content.decode()


def test_a_closed_round_says_when_it_closed_and_keeps_the_draft(client, link):
    start(client, link)
    client.post(reverse("rounds:section", args=[1]), section_data(1))
    invitation = Invitation.objects.from_token(link)
    invitation.round.close()

    response = client.post(reverse("rounds:section", args=[2]), section_data(2))
    assert response.status_code == 409
    assert "This round has closed" in response.content.decode()
    response = client.post(reverse("rounds:check"))
    assert response.status_code == 409
    assert Answer.objects.count() == 4  # the draft is kept, not counted
    assert not Response.objects.get().submitted
    page = client.get(reverse("rounds:start", args=[link]))
    assert "This round has closed" in page.content.decode()


def test_a_submit_racing_the_close_is_refused_cleanly(client, link):
    start(client, link)
    answer_all(client)
    Invitation.objects.from_token(link).round.close()
    response = client.post(reverse("rounds:check"))
    assert response.status_code == 409
    assert not Response.objects.get().submitted


def test_pages_with_answers_are_not_cached(client, link):
    start(client, link)
    response = client.get(reverse("rounds:section", args=[1]))
    assert "no-store" in response["Cache-Control"]
    assert response["Referrer-Policy"] == "same-origin"
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
    assert "script-src 'self'" in response["Content-Security-Policy"]


def test_a_place_partnership_is_told_how_to_read_ics_and_the_question_is_unchanged(
    client, link, partnership
):
    client.post(reverse("rounds:start", args=[link]))
    page = client.get(reverse("rounds:section", args=[2])).content.decode()
    assert "Do you regularly identify and discuss your common aims as an ICS?" in page
    assert f"{partnership.name} works at place level: read ‘ICS’ as your partnership." in page
    # Only on the questions that say ICS.
    assert page.count("read ‘ICS’ as your partnership") == 3
