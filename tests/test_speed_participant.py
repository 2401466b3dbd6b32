"""The participant path stays cheap: few queries, and remembered HTML identical to the macros'.

No timings here (they belong to bench/cpu.py); only what a change could silently undo.
"""

import re

import pytest
from django.db import connection
from django.template import engines
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from markupsafe import Markup

from sixways.design.components import CACHED
from sixways.rounds.models import Answer, Comment, Response
from tests.conftest import section_data


def env():
    return engines["jinja2"].env


def nhs_macro(name: str):
    folder, macro, *_ = CACHED[name]
    return getattr(env().get_template(f"nhsuk/components/{folder}/macro.jinja").module, macro)


def radios_params(checked: str = "", error: str = "", hint: str = "A hint & <b>more</b>"):
    params = {
        "name": "q1_1",
        "hint": {"text": hint},
        "idPrefix": "q1_1",
        "fieldset": {"legend": {"text": '1.1 Is <it> "fair"?', "size": "s"}},
        "items": [
            {"value": v, "text": t, "checked": v == checked}
            for v, t in [("yes", "Yes"), ("no", "No <really>")]
        ],
    }
    if error:
        params["errorMessage"] = {"text": error}
    return params


@pytest.mark.parametrize(
    "params",
    [
        radios_params(),
        radios_params(checked="no"),
        radios_params(error="Select an answer for question 1.1"),
        radios_params(checked="yes", error="Select Yes or No <b>"),
        radios_params(hint=Markup("<strong>safe</strong>")),
    ],
)
def test_a_remembered_radios_group_is_the_macros_html(params):
    cached = env().globals["radios"]
    first, again = cached(params), cached(params)
    assert first == again == nhs_macro("radios")(params)
    assert isinstance(again, Markup)


def test_radios_with_different_answers_or_errors_are_never_mixed_up():
    cached = env().globals["radios"]
    plain, chosen = cached(radios_params()), cached(radios_params(checked="yes"))
    wrong = cached(radios_params(error="Select an answer"))
    assert " checked" not in plain and " checked" in chosen
    assert 'aria-describedby="q1_1-hint q1_1-error"' in wrong
    assert "nhsuk-form-group--error" in wrong and "nhsuk-form-group--error" not in plain
    # Escaped text and the same text as safe HTML are different parameters.
    escaped = cached(radios_params(hint="<strong>x</strong>"))
    safe = cached(radios_params(hint=Markup("<strong>x</strong>")))
    assert "&lt;strong&gt;" in escaped and "<strong>x</strong>" in safe


def test_true_and_one_are_different_parameters():
    cached = env().globals["button"]
    assert cached({"text": "Go", "disabled": True}) == nhs_macro("button")(
        {"text": "Go", "disabled": True}
    )
    assert cached({"text": "Go", "disabled": 1}) == nhs_macro("button")(
        {"text": "Go", "disabled": 1}
    )


def test_a_typed_comment_is_rendered_each_time_and_never_kept():
    cached = env().globals["textarea"]
    params = {"name": "comment", "id": "comment", "label": {"text": "Comments"}, "value": "Mine"}
    assert cached(params) == nhs_macro("textarea")(params)
    assert not any("Mine" in str(html) for html in cached.rendered.values())


def test_the_cache_keeps_no_more_than_its_size():
    cached = env().globals["backLink"]
    for n in range(cached.size + 10):
        cached({"href": f"/{n}", "text": "Back"})
    assert len(cached.rendered) == cached.size


@pytest.fixture
def started(client, link):
    client.post(reverse("rounds:start", args=[link]))
    return Response.objects.get()


def html_of(response) -> str:
    # The CSRF token is masked afresh for every page.
    return re.sub(r'(name="csrfmiddlewaretoken" value=)"[^"]+"', r"\1", response.content.decode())


def queries(call) -> int:
    with CaptureQueriesContext(connection) as captured:
        call()
    return len(captured)


def test_a_question_page_takes_three_queries(client, started):
    client.get(reverse("rounds:section", args=[1]))  # the instrument is read once
    # Response (with round and instrument), saved answers, saved comment; no session.
    assert queries(lambda: client.get(reverse("rounds:section", args=[2]))) == 3


def test_saving_a_page_takes_a_few_statements_whatever_its_size(client, started):
    client.get(reverse("rounds:section", args=[2]))
    data = section_data(2, "yes", comment="Five questions on this page")
    # Response, saved answers; in the transaction the round and the locked response, one
    # upsert of all answers, one of the comment, the response's time, and BEGIN/COMMIT where
    # counted.
    assert queries(lambda: client.post(reverse("rounds:section", args=[2]), data)) <= 9
    assert Answer.objects.filter(response=started).count() == 5
    assert Comment.objects.get(response=started).text == "Five questions on this page"


def test_saving_again_replaces_answers_and_comment_in_place(client, started):
    url = reverse("rounds:section", args=[1])
    client.post(url, section_data(1, "yes", comment="First"))
    first_ids = set(Answer.objects.values_list("pk", flat=True))
    client.post(url, section_data(1, "no", comment="Second"))
    assert set(Answer.objects.values_list("pk", flat=True)) == first_ids
    assert set(Answer.objects.values_list("option__key", flat=True)) == {"no"}
    assert list(Comment.objects.values_list("text", flat=True)) == ["Second"]
    client.post(url, section_data(1, "no", comment="  "))
    assert not Comment.objects.exists()


def test_check_your_answers_takes_three_queries(client, started):
    client.get(reverse("rounds:check"))
    assert queries(lambda: client.get(reverse("rounds:check"))) == 3


def test_pages_show_answers_errors_and_escaping_as_the_nhs_macros_write_them(client, started):
    """The whole question page, rendered with the remembered macros, against the same page
    rendered with the NHS macros themselves."""
    url = reverse("rounds:section", args=[1])
    client.post(url, section_data(1, "sometimes", comment="<b>mine</b> & yours"))
    pages = {
        "saved": lambda: client.get(url),
        "errors": lambda: client.post(url, {"q1_1": "nonsense", "action": "continue"}),
        "check": lambda: client.get(reverse("rounds:check")),
    }
    for name, fetch in pages.items():
        with_cache = html_of(fetch())
        originals = {key: value for key, value in env().globals.items() if key in CACHED}
        try:
            env().globals.update({key: nhs_macro(key) for key in CACHED})
            without = html_of(fetch())
        finally:
            env().globals.update(originals)
        assert with_cache == without, name
    assert "&lt;b&gt;mine&lt;/b&gt; &amp; yours" in with_cache
