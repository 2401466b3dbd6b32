"""Every page of the service, found from the URL configuration, and the checks run on each.

The list of pages is built from Django's URL resolver, so a new page is checked without anyone
remembering to add it. URL arguments are filled from the demo data by their name (`round_id`,
`token`, ...). A pattern whose arguments have no demo value stops the crawl with a message that
names it: add its argument to KWARG_VALUES, rather than let a page go unchecked.

Each page is checked for:
- axe-core's WCAG 2.2 A and AA rules;
- form rules axe does not cover (radio groups in a fieldset with a legend, hints and errors
  tied to their field, error summary links that lead to the field, "Error: " in the title);
- one h1, no positive tabindex, charts (SVG) with a text alternative;
- reflow: at 320 CSS pixels wide (the same as 1280 pixels at 400% zoom) no text runs off the
  side of the page, except inside a container that scrolls on its own (data tables).
"""

import dataclasses
import datetime
import hashlib
import os
import re
from collections.abc import Callable, Iterable
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from sixways.accounts.models import RoleInvitation
from sixways.actions.models import Action, ActionUpdate
from sixways.partnerships.models import Membership, Organisation, Role
from sixways.results import demo as results_demo
from sixways.returns import importing, saving
from sixways.returns.checking import Row
from sixways.returns.models import Return
from sixways.rounds import demo
from sixways.rounds.models import Mode, Round, Status
from sixways.sharing.models import SECTIONS, ApiToken, BoardLink
from sixways.sharing.tables import TABLES
from sixways.workshops import demo as workshops_demo
from sixways.workshops import live, seats
from sixways.workshops.models import Seat, Workshop

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
# Our own checks, as one object expression (the file's trailing semicolon dropped).
CHECKS = (Path(__file__).resolve().parent / "checks.js").read_text().strip().rstrip(";")
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]

# Where one argument name means different things on different pages: the value by page.
PATTERN_KWARGS: dict[str, dict[str, Callable[["World"], list]]] = {
    "accounts:invitation": {"token": lambda w: [w.role_token]},
    # A collective round has the workshop; the start page is shown for the spring round too.
    "workshops:control": {"round_id": lambda w: [w.workshop.round_id, w.spring.pk]},
    "workshops:screen": {"round_id": lambda w: [w.workshop.round_id]},
    "workshops:end": {"round_id": lambda w: [w.workshop.round_id]},
    # The demo's finished workshop has both layers of answers.
    "results:layers": {"round_id": lambda w: [layered(w).pk]},
    "results:layers-csv": {"round_id": lambda w: [layered(w).pk]},
    "results:layers-by-organisation-csv": {"round_id": lambda w: [layered(w).pk]},
    # The demo's system, whose places are side by side, and Northdale's place, whose
    # neighbourhoods are.
    "results:rollup": {"partnership_id": lambda w: [w.partnership.parent_id, w.partnership.pk]},
    "results:rollup-csv": {"partnership_id": lambda w: [w.partnership.parent_id]},
    "results:rollup-json": {"partnership_id": lambda w: [w.partnership.parent_id]},
    # A file of returns in each state it can be in, in the round they were uploaded to.
    "returns:upload-detail": {"round_id": lambda w: [w.paper.pk]},
    "returns:upload-progress": {"round_id": lambda w: [w.paper.pk]},
    "returns:confirm": {"round_id": lambda w: [w.paper.pk]},
    "returns:undo": {"round_id": lambda w: [w.paper.pk]},
    "returns:remove": {"round_id": lambda w: [w.paper.pk]},
    "returns:returns": {"round_id": lambda w: [w.paper.pk, w.spring.pk]},
    # A board link that works, and one that was revoked.
    "sharing:board": {"token": lambda w: [w.board_tokens[0], w.board_tokens[1]]},
    "sharing:board-pdf": {"token": lambda w: [w.board_tokens[0]]},
}

# Namespaces that are not our pages: Django's own admin has its own accessibility story.
SKIP_NAMESPACES = {"admin"}

# Patterns left out of the crawl on purpose, each with the reason. Keep this list short: a page
# belongs here only when it cannot be shown by a plain GET with demo data.
FRAGMENT = "a part of its page for app.js to swap in, checked within its page"
SKIP_PATTERNS: dict[str, str] = {
    "workshops:room-live": FRAGMENT,
    "workshops:screen-live": FRAGMENT,
    "workshops:control-live": FRAGMENT,
}

# Addresses that answer with something other than a page: downloads and JSON. They are fetched
# once, as the facilitator, and must not fail; there is no page to check. Anything else that
# answers with something other than HTML fails the crawl until it is added here.
NOT_PAGES = {
    "results:pdf",
    "results:pptx",
    "results:xlsx",
    "results:csv",
    "results:json",
    "results:actions-csv",
    "results:layers-csv",
    "results:layers-by-organisation-csv",
    "returns:questionnaire",
    "results:rollup-csv",
    "results:rollup-json",
    "returns:template-xlsx",
    "returns:template-csv",
    "returns:upload-progress",
    "sharing:board-pdf",
    "mfa_download_recovery_codes",
    # The API's tables and lists (a facilitator's session without a token gets 401).
    "api:index",
    "api:openapi",
    *(f"api:{key}-{suffix}" for key in TABLES for suffix in ("csv", "json")),
    "accounts:your-data",
    "session",
}

# Width of the narrowest screen we support: 320 CSS pixels, the same as 1280 pixels at 400% zoom.
NARROW = {"width": 320, "height": 640}
WIDE = {"width": 1024, "height": 800}

# Set A11Y_SCREENSHOTS to a folder to keep a full-page picture of every checked page at 320px.
SCREENSHOTS = os.environ.get("A11Y_SCREENSHOTS", "")


class CrawlError(AssertionError):
    """The URL configuration has a page the crawl cannot reach."""


@dataclasses.dataclass(frozen=True)
class Pattern:
    name: str  # "namespace:name", or "" when the pattern has none
    route: str  # the pattern as written, for messages
    arguments: tuple[str, ...]


@dataclasses.dataclass(frozen=True)
class Target:
    name: str
    url: str


def patterns(resolver: URLResolver | None = None) -> list[Pattern]:
    """Every URL pattern the service answers, with its full name and its argument names."""
    found: list[Pattern] = []

    def walk(entries, prefix: str, namespace: str, arguments: tuple[str, ...]):
        for entry in entries:
            names = tuple(_argument_names(entry))
            if isinstance(entry, URLResolver):
                if entry.namespace in SKIP_NAMESPACES:
                    continue
                inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
                walk(entry.url_patterns, prefix + str(entry.pattern), inner, arguments + names)
            elif isinstance(entry, URLPattern):
                name = f"{namespace}{entry.name}" if entry.name else ""
                found.append(Pattern(name, prefix + str(entry.pattern), arguments + names))

    resolver = resolver or get_resolver()
    walk(resolver.url_patterns, "", "", ())
    return found


def _argument_names(entry) -> list[str]:
    pattern = entry.pattern
    converters = getattr(pattern, "converters", None)
    if converters:
        return list(converters)
    return list(pattern.regex.groupindex)


@dataclasses.dataclass
class World:
    """The demo partnership with a person in every role, and a round in every state."""

    partnership: object
    spring: object  # closed, 20 responses, small groups hidden
    autumn: object  # open, 6 responses so far and 2 drafts
    empty: object  # open, no responses yet
    token: str  # a participant link into the autumn round
    role_token: str  # a link inviting someone to be an observer
    users: dict
    role_invitation: object
    workshop: object  # running in a collective round, question 1.1's votes shown
    paper: object  # open, with returns keyed in and files of returns in every state
    uploads: list  # the files: checking, with problems, ready to import, imported, undone
    board_links: list  # a live board link to the spring round's results, and a revoked one
    board_tokens: list


# Demo values for each URL argument, by name. Several values give several versions of a page
# (a closed round with small groups hidden, an open one with no answers yet); only the
# facilitator, who can reach every version, sees them all, to keep the run short. The open round
# with some answers is the one the participant link leads into.
KWARG_VALUES: dict[str, Callable[[World], list]] = {
    "round_id": lambda w: [w.spring.pk, w.empty.pk],
    "partnership_id": lambda w: [w.partnership.pk],
    "partner_id": lambda w: [w.partnership.partners.get(organisation=council(w)).pk],
    "organisation_id": lambda w: [council(w).pk],
    "token": lambda w: [w.token],
    "number": lambda w: [1],
    "invitation_id": lambda w: [w.autumn.invitations.order_by("pk").first().pk],
    "response_id": lambda w: [w.spring.responses.order_by("pk").first().pk],
    "membership_id": lambda w: [w.users["observer"].memberships.get().pk],
    "user_id": lambda w: [w.users["observer"].pk],
    "role_invitation_id": lambda w: [w.role_invitation.pk],
    "action_id": lambda w: [w.spring.actions.order_by("pk").first().pk],
    "upload_id": lambda w: [u.pk for u in w.uploads],
    "api_token_id": lambda w: [api_token(w).pk],
    "board_link_id": lambda w: [w.board_links[0].pk],
    "return_id": lambda w: [Return.objects.filter(round=w.paper, upload=None).first().pk],
    "code": lambda w: [w.workshop.code],
    # A behaviour's key in the instrument (results:comments).
    "behaviour": lambda w: ["1"],
    # django-allauth's emailed links: a made-up key shows its "link not valid" page.
    "key": lambda w: ["made-up-key-for-the-crawl"],
    "uidb36": lambda w: ["0"],
}


def layered(world: World):
    return Round.objects.get(partnership=world.partnership, title=workshops_demo.TITLE)


def council(world: World):
    return Organisation.objects.get(name="Northdale Council")


def api_token(world: World):
    """An API token of the demo partnership, for its revoke page."""
    found = ApiToken.objects.filter(partnership=world.partnership).first()
    expires = timezone.now() + datetime.timedelta(days=365)
    return found or ApiToken.issue(world.partnership, name="Dashboard", expires_at=expires)[0]


def targets(
    world: World, *, every_version: bool, found: Iterable[Pattern] | None = None
) -> list[Target]:
    """The URL of every page, with its arguments filled from the demo data."""
    pages: list[tuple[str, dict]] = []
    missing: list[str] = []
    for pattern in found if found is not None else patterns():
        if pattern.name in SKIP_PATTERNS:
            continue
        fillers = {**KWARG_VALUES, **PATTERN_KWARGS.get(pattern.name, {})}
        unknown = [a for a in pattern.arguments if a not in fillers]
        if not pattern.name or unknown:
            reason = (
                f"no demo value for {', '.join(unknown)}"
                if pattern.name
                else "it has no name, so it cannot be reversed"
            )
            missing.append(f"{pattern.name or '(unnamed)'} ({pattern.route}): {reason}")
            continue
        values = {a: fillers[a](world) for a in pattern.arguments}
        versions = max((len(v) for v in values.values()), default=1)
        if not every_version or pattern.name in NOT_PAGES:
            versions = 1
        for index in range(versions):
            kwargs = {a: v[min(index, len(v) - 1)] for a, v in values.items()}
            pages.append((pattern.name, kwargs))
    if missing:
        raise CrawlError(
            "These URL patterns cannot be crawled for accessibility checks. Add their argument "
            "to KWARG_VALUES in tests/browser/crawl.py (or, for a page that truly cannot be "
            "shown by a GET, to SKIP_PATTERNS with the reason):\n  " + "\n  ".join(missing)
        )
    found_targets = [Target(name, reverse(name, kwargs=kwargs or None)) for name, kwargs in pages]
    return list(dict.fromkeys(found_targets))


def make_world() -> World:
    """Demo data, plus the people and the round the demo lacks."""
    partnership = workshops_demo.create_demo()
    results_demo.create_system()
    rounds = Round.objects.filter(partnership=partnership)
    today = timezone.localdate()
    empty = Round.objects.create(
        partnership=partnership,
        instrument=rounds.get(title="Autumn 2026").instrument,
        title="Winter 2026",
        mode=Mode.INDIVIDUAL,
        status=Status.OPEN,
        opens_on=today,
        closes_on=today + datetime.timedelta(days=28),
    )
    the_council = Organisation.objects.get(name="Northdale Council")
    user_model = get_user_model()

    def person(email: str, role: str, organisation=None):
        user = user_model.objects.create_user(username=email, email=email, password=None)
        Membership.objects.create(
            user=user, partnership=partnership, role=role, organisation=organisation
        )
        return user

    users = {
        "observer": person("observer@example.com", Role.OBSERVER),
        "partner lead": person("lead@example.com", Role.PARTNER_LEAD, the_council),
        "facilitator": user_model.objects.get(email=demo.FACILITATOR_EMAIL),
        "administrator": user_model.objects.get(email=demo.ADMIN_EMAIL),
    }
    spring = rounds.get(title="Spring 2026")
    action = Action.objects.create(
        partnership=partnership,
        round=spring,
        section=spring.instrument.sections.get(key="6"),
        title="Share one challenge at every board meeting",
        done_looks_like="Each board meeting since June has a shared challenge item",
        owner_name="Chair of the place board",
        due_on=today + datetime.timedelta(days=60),
        status="agreed",
    )
    ActionUpdate.objects.create(action=action, status="agreed", note="Added")
    meeting = rounds.get(title="Board workshop, winter 2026")
    workshop = live.start(meeting, users["facilitator"], Workshop.Pace.QUESTION, open_actions=False)
    first = spring.instrument.questions.get(key="1.1")
    live.open_item(workshop, first.section, first)
    options = list(spring.instrument.options.order_by("position"))
    for n in range(settings.MIN_GROUP_SIZE):
        live.vote(Seat.objects.create(workshop=workshop), {first: options[n % 2]})
    live.reveal(workshop)
    role_invitation, role_token = RoleInvitation.issue(
        partnership, "new.observer@example.com", Role.OBSERVER, invited_by=users["facilitator"]
    )
    paper, uploads = paper_returns(partnership, empty.instrument, users["facilitator"])
    board_links, board_tokens = [], []
    for label, revoked in [("Board, 12 March", None), ("Last year's board", timezone.now())]:
        made, token = BoardLink.issue(
            spring,
            label=label,
            sections=list(SECTIONS),
            comments=True,
            downloads=True,
            expires_at=timezone.now() + datetime.timedelta(days=90),
            revoked_at=revoked,
        )
        board_links.append(made)
        board_tokens.append(token)
    return World(
        partnership=partnership,
        spring=rounds.get(title="Spring 2026"),
        autumn=rounds.get(title="Autumn 2026"),
        empty=empty,
        token=demo.participant_token(),
        role_token=role_token,
        users=users,
        role_invitation=role_invitation,
        workshop=workshop,
        paper=paper,
        uploads=uploads,
        board_links=board_links,
        board_tokens=board_tokens,
    )


def paper_returns(partnership, instrument, facilitator):
    """An open round with its returns in every state, made through the import's own steps."""
    today = timezone.localdate()
    paper = Round.objects.create(
        partnership=partnership,
        instrument=instrument,
        title="Paper round, winter 2026",
        mode=Mode.INDIVIDUAL,
        status=Status.OPEN,
        opens_on=today,
        closes_on=today + datetime.timedelta(days=28),
    )
    paper.organisations.set(Organisation.objects.filter(partnerships__partnership=partnership))
    keys = [q.key for q in instrument.questions.order_by("position")]
    header = "reference,organisation," + ",".join(keys) + "\r\n"

    def received(name: str, rows: list[str]):
        content = (header + "".join(rows)).encode()
        return importing.receive(paper, SimpleUploadedFile(name, content), facilitator)

    good = [f"P{n},Northdale Council," + ",".join(["Sometimes"] * 24) + "\r\n" for n in range(6)]
    checking = received("still-checking.csv", good)
    problems = received("with-problems.csv", [good[0].replace("Sometimes", "Somtimes", 1)])
    ready = received("ready.csv", good)
    imported = received("imported.csv", [g.replace("P", "I") for g in good])
    undone = received("undone.csv", [g.replace("P", "U") for g in good])
    for upload in (problems, ready, imported, undone):
        importing.check(upload.pk)
    for upload in (imported, undone):
        importing.confirm(upload, facilitator)
    saving.undo(undone, facilitator)
    options = {o.key: o.pk for o in instrument.options.all()}
    answers = {q.pk: options["no"] for q in instrument.questions.all()}
    organisation = paper.organisations.order_by("name").first().pk
    saving.save_keyed(paper, Row(1, organisation, answers, {}, "K1", ""), facilitator)
    return paper, [checking, problems, ready, imported, undone]


def signed_in_client(world: World, role: str) -> Client:
    """A test client with the role's session: signed in, or a participant who pressed start.

    Signing in with force_login keeps the crawl apart from the sign-in flow (and its second
    factor); the session cookie is then handed to the browser.
    """
    client = Client()
    if role == "participant":
        response = client.post(reverse("rounds:start", args=[world.token]))
        assert response.status_code == 302, f"starting the questionnaire gave {response}"
        # And a seat in the workshop, so its room shows the votes rather than the join page.
        client.post(reverse("workshops:seat", args=[world.workshop.code]))
    elif role in world.users:
        client.force_login(world.users[role])
    return client


def share_session(client: Client, context, base_url: str) -> None:
    """Give a browser context the test client's session, or its participant's cookie."""
    for name in (settings.SESSION_COOKIE_NAME, settings.PARTICIPANT_COOKIE_NAME, seats.COOKIE):
        cookie = client.cookies.get(name)
        if cookie is not None and cookie.value:
            context.add_cookies([{"name": name, "value": cookie.value, "url": base_url}])


# What differs between two showings of the same page: CSRF tokens and other hidden values, and
# the address to come back to after signing in.
_VARIES = [
    (re.compile(r"<input[^>]*type=\"hidden\"[^>]*>"), "<input hidden>"),
    (re.compile(r"next=[^\"&]*"), "next="),
    # The closed session timeout dialog is not shown; its own test opens and checks it.
    (re.compile(r"<dialog .*?</dialog>", re.DOTALL), ""),
]


def fingerprint(html: str, *, who: str = "") -> str:
    """The same page shown to two roles, or at two addresses, is checked once. `who` is the
    signed-in person's email address, shown in the header of every page."""
    for pattern, replacement in _VARIES:
        html = pattern.sub(replacement, html)
    if who:
        html = html.replace(who, "someone@example.com")
    return hashlib.sha256(html.encode()).hexdigest()


def is_html(response) -> bool:
    return response.get("Content-Type", "").startswith("text/html")


# --- The checks -------------------------------------------------------------------------------


def _axe_to_problems(violations) -> list[str]:
    return [
        f"axe {v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
        for v in violations
    ]


def start_axe(page) -> None:
    """Start axe-core's WCAG 2.2 A and AA rules on the page, without waiting for them."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    page.evaluate(
        """tags => {
            window.__axeRun = axe.run(document, {
                runOnly: {type: 'tag', values: tags}, resultTypes: ['violations'],
            });
        }""",
        WCAG_TAGS,
    )


def finish_axe(page) -> list[str]:
    return _axe_to_problems(page.evaluate("() => window.__axeRun.then(r => r.violations)"))


def axe_problems(page) -> list[str]:
    """axe-core's WCAG 2.2 A and AA rules."""
    start_axe(page)
    return finish_axe(page)


def form_problems(page) -> list[str]:
    """Our own checks (tests/browser/checks.js), for what axe does not look at."""
    return page.evaluate(f"({CHECKS}).pageProblems()")


def reflow_problems(page, screenshot: str = "") -> list[str]:
    """Text must not run off a 320px-wide screen; afterwards the page is put back as it was."""
    size = page.viewport_size
    page.set_viewport_size(NARROW)
    try:
        problems = page.evaluate(f"({CHECKS}).reflowProblems()")
        if screenshot:
            page.screenshot(path=screenshot, full_page=True)
    finally:
        page.set_viewport_size(size)
    return problems


def page_problems(page, screenshot: str = "") -> list[str]:
    """Everything wrong with the page in front of the browser."""
    return axe_problems(page) + form_problems(page) + reflow_problems(page, screenshot)


class Pipeline:
    """Checks pages a few at a time: axe runs in one tab while the next page loads in another,
    which keeps both processor cores busy. `problems` collects what every page had wrong."""

    def __init__(self, context, tabs: int = 2):
        self.free = [context.new_page() for _ in range(tabs)]
        self.busy: list[tuple[object, str]] = []
        self.problems: list[str] = []
        self.pages = list(self.free)

    def page(self):
        """A tab to load the next page in."""
        if not self.free:
            self._finish_oldest()
        return self.free.pop()

    def check(self, page, label: str) -> None:
        """Start checking what `page` shows; the answer comes later."""
        start_axe(page)
        self.busy.append((page, label))

    def skip(self, page) -> None:
        self.free.append(page)

    def _finish_oldest(self) -> None:
        page, label = self.busy.pop(0)
        found = finish_axe(page) + form_problems(page)
        found += reflow_problems(page, screenshot_path(label))
        self.problems.extend(f"{label}: {problem}" for problem in found)
        self.free.append(page)

    def finish(self) -> list[str]:
        while self.busy:
            self._finish_oldest()
        return self.problems


def screenshot_path(label: str) -> str:
    if not SCREENSHOTS:
        return ""
    Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
    return str(Path(SCREENSHOTS) / (re.sub(r"[^a-z0-9]+", "-", label.lower()).strip("-") + ".png"))


def problems_without_javascript(page, checker) -> list[str]:
    """Check what a browser with JavaScript off shows, in a second page that can run axe.

    axe needs JavaScript, so the page's HTML as the JavaScript-free browser has it is served
    again to `checker`, a page in a context with JavaScript on, with every script blocked.
    """
    html, url = page.content(), page.url

    def serve(route):
        request = route.request
        if request.resource_type == "document" and request.url == url:
            route.fulfill(body=html, content_type="text/html; charset=utf-8")
        elif request.resource_type == "script":
            route.abort()
        else:
            route.continue_()

    checker.route("**/*", serve)
    try:
        checker.goto(url)
        return page_problems(checker)
    finally:
        checker.unroute("**/*")


# --- Keyboard ---------------------------------------------------------------------------------


def focused(page) -> dict:
    """The element that has focus, described for messages and keyboard steps."""
    return page.evaluate(f"({CHECKS}).focused()")


def tab_through(page, limit: int = 200) -> tuple[list[dict], list[str]]:
    """Press Tab until focus leaves the page; each stop, and what is wrong.

    Call it on a freshly loaded page, so that the first Tab starts from the top.

    Wrong: focus that cannot be seen (no change of outline, shadow, colour or background, or
    off screen), stops out of document order, and focus that never leaves (a trap).
    """
    stops: list[dict] = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        stop = page.evaluate(f"({CHECKS}).markStop({len(stops)})")
        if stop is None:
            break
        stops.append(stop)
    else:
        return stops, [f"focus never left the page after {limit} presses of Tab (a trap?)"]
    problems = page.evaluate(f"({CHECKS}).focusProblems()")
    return stops, problems
