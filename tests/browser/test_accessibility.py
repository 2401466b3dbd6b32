"""WCAG 2.2 AA on every page, for everyone who uses the service, proven in a real browser.

The pages come from the URL configuration (tests/browser/crawl.py), so a new page is checked
as soon as it exists. Each role sees every page it can reach; each form is also sent empty to
check its error messages. The journeys are then done with the keyboard alone, with JavaScript
on and off, at 320 CSS pixels wide (the same as 400% zoom).
"""

import datetime
import time

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.urls import reverse
from django.utils import timezone

from sixways.rounds.models import Invitation, Response
from tests.browser import crawl
from tests.conftest import cookie_value

ROLES = ["signed out", "participant", "observer", "partner lead", "administrator", "facilitator"]

# A page already checked, by its HTML: many roles see the same sign-in and "not found" pages.
_checked: set[str] = set()


@pytest.fixture
def world(live_server):
    return crawl.make_world()


def new_page(browser, *, javascript: bool = True, viewport=crawl.WIDE):
    context = browser.new_context(
        bypass_csp=True, java_script_enabled=javascript, viewport=viewport
    )
    page = context.new_page()
    page.js_errors = []
    page.on("pageerror", lambda error: page.js_errors.append(str(error)))
    return page


def _forms_to_send_empty(page) -> int:
    """How many POST forms in the main content have fields someone fills in."""
    return page.evaluate(f"({crawl.CHECKS}).fillableForms().length")


def _send_empty(page, index: int) -> None:
    """Clear every field of the index-th fillable form and press its first button."""
    page.evaluate(f"index => ({crawl.CHECKS}).emptyForm(index)", index)
    button = page.locator(
        "form[data-a11y-empty] button:not([type=button]), form[data-a11y-empty] input[type=submit]"
    ).first
    with page.expect_navigation():
        button.click()


def _check(page, label: str, problems: list[str]) -> None:
    """Check one page now, unless the same page was checked already."""
    key = crawl.fingerprint(page.content())
    if key not in _checked:
        _checked.add(key)
        problems.extend(f"{label}: {p}" for p in crawl.page_problems(page))


@pytest.mark.crawl
@pytest.mark.parametrize("role", ROLES)
def test_every_page_meets_wcag_22_aa(role, world, live_server, browser):
    client = crawl.signed_in_client(world, role)
    context = browser.new_context(bypass_csp=True, viewport=crawl.WIDE)
    crawl.share_session(client, context, live_server.url)
    pipeline = crawl.Pipeline(context)
    js_errors = []
    for tab in pipeline.pages:
        tab.on("pageerror", lambda error: js_errors.append(str(error)))
    who = world.users[role].email if role in world.users else ""
    server_errors = []  # and anything else wrong that is not about one page's content
    with_forms = []

    def seen(html: str) -> bool:
        key = crawl.fingerprint(html, who=who)
        if key in _checked:
            return True
        _checked.add(key)
        return False

    for target in crawl.targets(world, every_version=role == "facilitator"):
        label = f"{role} | {target.name} {target.url}"
        if target.name in crawl.NOT_PAGES and role != "facilitator":
            continue
        response = client.get(target.url, follow=True)
        if response.status_code >= 500:
            server_errors.append(f"{label}: the server failed ({response.status_code})")
            continue
        if response.status_code == 405:
            continue  # an action that only takes POST
        if not crawl.is_html(response):
            if target.name not in crawl.NOT_PAGES:
                server_errors.append(
                    f"{label}: answers with {response['Content-Type']}, not a page: if that is"
                    " right, add it to NOT_PAGES in tests/browser/crawl.py"
                )
            continue
        if seen(response.content.decode()):
            continue
        page = pipeline.page()
        page.goto(live_server.url + target.url)
        if count := _forms_to_send_empty(page):
            with_forms.append((label, target, count))
        pipeline.check(page, label)

    # The same pages with every form sent empty: error summaries and error messages.
    for label, target, count in with_forms:
        for index in range(count):
            page = pipeline.page()
            page.goto(live_server.url + target.url)
            _send_empty(page, index)
            if seen(page.content()):
                pipeline.skip(page)
            else:
                pipeline.check(page, f"{label} (form {index + 1} sent empty)")

    problems = server_errors + pipeline.finish()
    context.close()
    assert js_errors == [], f"JavaScript errors as {role}: {js_errors}"
    assert problems == [], f"{len(problems)} accessibility problems:\n" + "\n".join(problems)


def test_participant_pages_in_every_state(world, live_server, browser):
    """The states a participant can meet that a plain crawl does not reach."""
    page = new_page(browser)
    base = live_server.url
    problems: list[str] = []

    page.goto(base + reverse("rounds:start", args=["not-a-real-link"]))
    assert page.locator("h1").count() == 1
    _check(page, "participant | link not valid", problems)

    _, closed_token = Invitation.issue(world.spring, crawl.council(world))
    page.goto(base + reverse("rounds:start", args=[closed_token]))
    _check(page, "participant | round closed", problems)

    page.goto(base + reverse("rounds:section", args=[1]))
    _check(page, "participant | session ended", problems)

    page.goto(base + reverse("rounds:start", args=[world.token]))
    page.locator("main form button").first.click()
    assert page.locator(".nhsuk-caption-l").inner_text() == "Way 1 of 6"

    # Half a page answered, then "Save and continue": the errors say what is missing, the
    # error summary has focus and leads to the question, and the answers given are kept.
    page.get_by_role("group", name="1.1 ").get_by_label("Sometimes", exact=True).check()
    page.get_by_label("Comments on").fill("Meetings run over — often")
    page.get_by_role("button", name="Save and continue").click()
    summary = page.locator(".nhsuk-error-summary")
    assert "question 1.2" in summary.inner_text()
    assert page.evaluate("document.activeElement.classList.contains('nhsuk-error-summary')")
    assert page.title().startswith("Error: ")
    assert page.get_by_role("group", name="1.1 ").get_by_label("Sometimes", exact=True).is_checked()
    assert page.get_by_label("Comments on").input_value() == "Meetings run over — often"
    _check(page, "participant | section with some answers missing", problems)
    summary.get_by_role("link").first.click()
    focused = crawl.focused(page)
    assert focused["type"] == "radio" and focused["name"] == "q1_2", focused

    # "Save and come back later" page.
    page.get_by_role("button", name="Save and come back later").click()
    _check(page, "participant | saved to come back later", problems)

    # Sending with questions still unanswered: each error leads to its question's page.
    page.goto(base + reverse("rounds:check"))
    _check(page, "participant | check answers, part answered", problems)
    page.get_by_role("button", name="Send your answers").click()
    assert page.title().startswith("Error: ")
    _check(page, "participant | check answers sent too early", problems)
    link = page.locator(".nhsuk-error-summary a").first
    target_id = link.get_attribute("href").split("#", 1)[1]
    link.click()
    assert page.locator(f"#{target_id}").count() == 1, f"#{target_id} is not on {page.url}"

    assert page.js_errors == []
    page.context.close()
    assert problems == [], "\n".join(problems)


# --- Keyboard only, with and without JavaScript, wide and narrow ---------------------------

JOURNEYS = [
    pytest.param(True, crawl.WIDE, id="javascript-on-1024px"),
    pytest.param(False, crawl.NARROW, id="javascript-off-320px"),
]


class Keyboard:
    """A person using only the keyboard, and what goes wrong for them on the way."""

    def __init__(self, page, checker, javascript: bool, name: str):
        self.page, self.checker, self.javascript, self.name = page, checker, javascript, name
        self.problems: list[str] = []

    def arrive(self, what: str) -> None:
        """A new page: check it, go through it with Tab, and start again from the top."""
        label = f"{self.name} | {what}"
        # After the skip link the address ends in #maincontent, which a redirect keeps: load
        # the page without it, so that Tab starts from the top.
        if "#" in self.page.url:
            self.page.goto(self.page.url.split("#")[0])
        stops, focus_problems = crawl.tab_through(self.page)
        if self.javascript:
            found = []  # the crawl checks these pages with JavaScript on
        else:
            found = crawl.problems_without_javascript(self.page, self.checker)
            found += crawl.reflow_problems(self.page, crawl.screenshot_path(label))
        self.problems += [f"{label}: {p}" for p in found + focus_problems]
        assert stops, f"{label}: nothing can be reached with Tab"
        assert stops[0]["text"] == "Skip to main content", f"{label}: first stop is {stops[0]}"
        self.page.reload()

    def skip_to_main(self) -> None:
        self.tab()
        self.page.keyboard.press("Enter")
        assert self.tab()["inMain"], "the skip link did not lead to the main content"

    def tab(self) -> dict:
        self.page.keyboard.press("Tab")
        return crawl.focused(self.page)

    def tab_to(self, matches, limit: int = 80) -> dict:
        for _ in range(limit):
            stop = self.tab()
            if stop and matches(stop):
                return stop
        raise AssertionError(
            f"{self.name}: Tab never reached what it looked for on {self.page.url}"
        )

    def press(self, key: str) -> None:
        with self.page.expect_navigation():
            self.page.keyboard.press(key)


def button(text):
    return lambda stop: stop["tag"] == "button" and stop["text"] == text


@pytest.mark.parametrize(("javascript", "viewport"), JOURNEYS)
def test_a_participant_answers_everything_by_keyboard(
    javascript, viewport, world, live_server, browser
):
    page = new_page(browser, javascript=javascript, viewport=viewport)
    checker = new_page(browser)
    person = Keyboard(page, checker, javascript, f"participant by keyboard, {viewport['width']}px")

    page.goto(live_server.url + reverse("rounds:start", args=[world.token]))
    person.arrive("start page")
    person.skip_to_main()
    stop = person.tab_to(lambda s: s["tag"] == "button")
    assert stop["text"] in ("Start now", "Continue where you left off")
    person.press("Enter")

    for number in range(1, 7):
        assert page.locator(".nhsuk-caption-l").inner_text() == f"Way {number} of 6"
        person.arrive(f"way {number}")
        person.skip_to_main()
        answered = set()
        for _ in range(100):
            stop = crawl.focused(page)
            if stop["type"] == "radio" and stop["name"] not in answered:
                # Space picks the first answer; each arrow key moves to the next one.
                page.keyboard.press("Space")
                for _ in range((number + len(answered)) % 4):
                    page.keyboard.press("ArrowDown")
                answered.add(stop["name"])
            elif stop["tag"] == "textarea" and number == 2:
                page.keyboard.type("Typed without a mouse")
            elif button("Save and continue")(stop):
                person.press("Enter")
                break
            person.tab()
        else:
            raise AssertionError(f"Tab never reached Save and continue on way {number}")
        assert page.locator(".nhsuk-error-summary").count() == 0, page.content()

    assert page.locator("h1").inner_text() == "Check your answers before sending them"
    assert "Typed without a mouse" in page.content()
    person.arrive("check answers")
    person.tab_to(button("Send your answers"))
    person.press("Enter")

    assert "Your answers have been sent" in page.locator(".nhsuk-panel").inner_text()
    person.arrive("answers sent")
    response = Response.objects.get(invitation__token_hash=_hash(world.token))
    assert response.submitted and response.answers.count() == 24
    assert page.js_errors == []
    page.context.close()
    checker.context.close()
    assert person.problems == [], "\n".join(person.problems)


@pytest.mark.parametrize(("javascript", "viewport"), JOURNEYS)
def test_a_facilitator_reads_results_by_keyboard(javascript, viewport, world, live_server, browser):
    page = new_page(browser, javascript=javascript, viewport=viewport)
    checker = new_page(browser)
    client = crawl.signed_in_client(world, "facilitator")
    crawl.share_session(client, page.context, live_server.url)
    person = Keyboard(page, checker, javascript, f"facilitator by keyboard, {viewport['width']}px")

    page.goto(live_server.url + reverse("partnerships:home"))
    person.arrive("your partnerships")
    person.skip_to_main()
    person.tab_to(lambda s: s["tag"] == "a" and s["text"] == "Spring 2026")
    person.press("Enter")
    person.arrive("a round")
    if not page.url.endswith(reverse("results:round", args=[world.spring.pk])):
        # The round's own page leads to its results.
        person.skip_to_main()
        person.tab_to(lambda s: s["tag"] == "a" and "results" in s["text"].lower())
        person.press("Enter")
        person.arrive("results")
    assert page.locator("h1").inner_text() == "Results: Spring 2026"
    assert page.js_errors == []
    page.context.close()
    checker.context.close()
    assert person.problems == [], "\n".join(person.problems)


def _hash(token: str) -> str:
    from sixways.rounds.tokens import hash_token

    return hash_token(token)


# --- Session timeout ------------------------------------------------------------------------


def _ends_in(client, seconds: int) -> None:
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    Session.objects.filter(session_key=key).update(
        expire_date=timezone.now() + datetime.timedelta(seconds=seconds)
    )


def test_a_facilitator_is_warned_before_the_session_ends_and_can_stay(world, live_server, browser):
    page = new_page(browser)
    client = crawl.signed_in_client(world, "facilitator")
    crawl.share_session(client, page.context, live_server.url)
    _ends_in(client, 4 * 60)

    page.goto(live_server.url + reverse("partnerships:home"))
    dialog = page.get_by_role("dialog", name="You will be signed out soon")
    dialog.wait_for()
    assert "sign you out in 4 minutes" in dialog.inner_text()
    problems = crawl.axe_problems(page)
    assert problems == [], problems
    # The dialog has focus, so Enter presses its button.
    assert crawl.focused(page)["text"] == "Stay signed in"
    with page.expect_response(lambda r: r.url.endswith(reverse("session-extend"))):
        page.keyboard.press("Enter")
    dialog.wait_for(state="hidden")

    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    left = Session.objects.get(session_key=key).expire_date - timezone.now()
    assert left > datetime.timedelta(hours=7, minutes=59)
    assert page.js_errors == []
    page.context.close()


def test_a_participant_is_told_when_the_session_has_ended(world, live_server, browser):
    page = new_page(browser)
    client = crawl.signed_in_client(world, "participant")
    # A minute: inside the warning time, yet long enough for a slow machine to load the page.
    name = settings.PARTICIPANT_COOKIE_NAME
    response_id = Response.objects.get(invitation__token_hash=_hash(world.token)).pk
    client.cookies[name] = cookie_value(
        response_id, int(time.time()) - settings.SESSION_COOKIE_AGE + 60
    )
    crawl.share_session(client, page.context, live_server.url)
    page.clock.install()
    page.goto(live_server.url + reverse("rounds:section", args=[1]))
    dialog = page.get_by_role("dialog", name="Your session will end soon")
    dialog.wait_for()
    assert "Your answers are saved" in dialog.inner_text()

    # The server's clock does not move with the page's: take the cookie away instead.
    page.context.clear_cookies(name=name)
    page.clock.fast_forward(90_000)
    ended = page.get_by_role("dialog", name="Your session has ended")
    ended.wait_for()
    assert "Open your link again" in ended.inner_text()
    page.get_by_role("button", name="Close").click()
    ended.wait_for(state="hidden")
    assert page.js_errors == []
    page.context.close()
