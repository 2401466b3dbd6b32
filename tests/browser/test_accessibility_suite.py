"""The accessibility checks themselves: they must fail on a broken page and on a page they
cannot reach, or a green run proves nothing."""

from types import SimpleNamespace

import pytest
from django.http import HttpResponse
from django.urls import URLResolver, path
from django.urls.resolvers import RegexPattern

from tests.browser import crawl

BROKEN = """<!DOCTYPE html>
<html>
<head><title>Broken</title></head>
<body>
  <h1>A broken page</h1>
  <h1>With two main headings</h1>
  <img src="chart.png">
  <p class="low-contrast">Grey on grey, too faint to read.</p>
  <div class="nhsuk-error-summary"><a href="#nowhere">Enter your name</a></div>
  <form method="post">
    <p>Do you make decisions together?</p>
    <input type="radio" name="decide" value="yes" id="yes"><label for="yes">Yes</label>
    <input type="radio" name="decide" value="no" id="no"><label for="no">No</label>
    <span class="nhsuk-hint" id="name-hint">Your full name</span>
    <input type="text" name="name">
    <a href="#" tabindex="3">Help</a>
    <svg width="10" height="10"><rect width="10" height="10"/></svg>
    <div class="wide">This line is far wider than a phone screen and does not wrap.</div>
    <p>someone.with.a.very.long.email.address.that.cannot.wrap@partnership.example.org</p>
  </form>
</body>
</html>"""

STYLE = """
.low-contrast { color: #bbbbbb; background: #cccccc; }
.wide { width: 900px; white-space: nowrap; }
"""

FINE = """<!DOCTYPE html>
<html lang="en">
<head><title>Fine</title></head>
<body>
  <main>
    <h1>A page that is fine</h1>
    <form method="post">
      <fieldset aria-describedby="decide-hint">
        <legend>Do you make decisions together?</legend>
        <div id="decide-hint" class="nhsuk-hint">Yes means you decide together</div>
        <input type="radio" name="decide" value="yes" id="yes"><label for="yes">Yes</label>
        <input type="radio" name="decide" value="no" id="no"><label for="no">No</label>
      </fieldset>
      <button>Continue</button>
    </form>
  </main>
</body>
</html>"""


def test_it_reports_a_deliberately_broken_page(page):
    page.set_content(BROKEN)
    page.add_style_tag(content=STYLE)
    problems = "\n".join(crawl.page_problems(page))

    for expected in [
        "axe html-has-lang",  # no language
        "axe image-alt",  # an image with no text alternative
        "axe color-contrast",  # faint text
        "axe label",  # a text box with no label
        'radio group "decide" is not inside one fieldset',
        "is not tied to its field with aria-describedby",  # the hint
        'does not start with "Error: "',
        "leads to #nowhere, which is not on the page",
        "2 h1 headings",
        "has tabindex 3",
        "is an SVG without",
        '<div> "This line is far wider',  # a box wider than the screen
        '<p> "someone.with.a.very.long.email',  # text spilling out of a box that fits
    ]:
        assert expected in problems, f"{expected!r} not reported in:\n{problems}"


def test_it_passes_a_page_that_is_fine(page):
    page.set_content(FINE)
    assert crawl.page_problems(page) == []


def test_it_finds_focus_that_cannot_be_seen(page):
    page.set_content(
        '<html lang="en"><title>Focus</title><main><h1>Focus</h1>'
        '<a href="#a" class="plain">Seen</a> <a href="#b" class="hidden-focus">Unseen</a>'
        "</main></html>"
    )
    page.add_style_tag(content=".hidden-focus:focus { outline: none; }")
    stops, problems = crawl.tab_through(page)
    assert [stop["text"] for stop in stops] == ["Seen", "Unseen"]
    assert problems == ['<a> "Unseen" looks the same with and without focus']


ROUNDS_ONLY = SimpleNamespace(**{n: SimpleNamespace(pk=1) for n in ["spring", "autumn", "empty"]})


def _view(request, **kwargs):
    return HttpResponse("<p>page</p>")


def test_a_page_whose_argument_has_no_demo_value_fails_the_crawl_by_name():
    urlconf = URLResolver(
        RegexPattern(r"^/"),
        [
            path("things/<int:thing_id>/", _view, name="thing"),
            path("rounds/<int:round_id>/", _view, name="round"),
            path("nameless/", _view),
        ],
    )
    found = crawl.patterns(urlconf)
    assert [p.arguments for p in found] == [("thing_id",), ("round_id",), ()]
    with pytest.raises(crawl.CrawlError) as error:
        crawl.targets(world=ROUNDS_ONLY, every_version=False, found=found)
    message = str(error.value)
    assert "thing (things/<int:thing_id>/): no demo value for thing_id" in message
    assert "(unnamed) (nameless/): it has no name" in message
    assert "round (" not in message
