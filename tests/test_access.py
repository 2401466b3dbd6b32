"""Every URL the service has, walked from the URL resolver, so a new page is covered the day it
is added: someone from another partnership gets 404 and sees nothing of this one; an observer,
a partner lead and an outsider change nothing, whatever they post; nobody changes anything with
a GET.

The form data posted is what the partnership's facilitator is offered on each page, filled in
as a person would, so the refusals are tested with requests that would work for a facilitator
(and the test checks that they do).
"""

import datetime
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.db import models, transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.urls.resolvers import RegexPattern
from django.utils import timezone

from sixways.accounts.models import AccessRequest, RoleInvitation
from sixways.actions.models import Action
from sixways.core import audit
from sixways.partnerships.models import Partnership, Role
from sixways.results.models import KeptDownload
from sixways.returns.models import Return, Upload
from sixways.rounds.models import Comment, Invitation, Response, Status
from sixways.sharing.models import ApiToken, BoardLink
from tests.conftest import PASSWORD, make_round

SECRET_COMMENT = "Candid words about a partner that only this partnership may read"
# What an outsider must never see: this partnership's name, rounds, comments and people.
MARKERS = [
    "Eastvale Place Partnership",
    "Autumn 2026",
    "Spring 2026",
    SECRET_COMMENT,
    "fac@eastvale.example",
    "observer@eastvale.example",
]
# Pages with no partnership in them that anyone may open. A new public page is added here on
# purpose; any other page that answers someone signed out with 200 fails the test.
PUBLIC = {
    "partnerships:home",  # the start page, for someone not signed in
    "accounts:request-access",
    "workshops:join",  # the room types the code from the screen here
    "accounts:access-requested",
    "accessibility",
    "session",  # how long the browser's session has left, for the time-out warning
    "accounts:sign-in",
    "account_login",
    "account_request_login_code",
    "account_reset_password",
    "account_reset_password_done",
    "account_reset_password_from_key",
    "account_reset_password_from_key_done",
    "account_inactive",
    "help",
    "help-workshops",
    "help-returns",
    "api:help-api",  # how to use the API; its list of tables and description hold no data
    "api:index",
    "api:openapi",
    "privacy",
}
# What a reader may change, on purpose: a partner lead proposes actions for their organisation
# (tests/test_actions.py checks what they may and may not set).
MAY_CHANGE = {("partner_lead", "actions:new")}
# Downloads are read, never posted to, and are slow to build: they are fetched once each.
DOWNLOAD_SUFFIXES = (".pdf", ".pptx", ".xlsx", ".csv", ".json")


# --- The walk ---------------------------------------------------------------------------------


def patterns(resolver=None, prefix="", namespace=None, converters=None):
    """(name, converters) of every URL pattern, however deeply included."""
    resolver = resolver or get_resolver()
    for pattern in resolver.url_patterns:
        found = {**(converters or {}), **getattr(pattern.pattern, "converters", {})}
        if isinstance(pattern.pattern, RegexPattern):  # named groups take letters and digits
            found.update(dict.fromkeys(pattern.pattern.regex.groupindex, "regex"))
        if isinstance(pattern, URLResolver):
            inner = namespace
            if pattern.namespace:
                inner = f"{namespace}:{pattern.namespace}" if namespace else pattern.namespace
            yield from patterns(pattern, prefix + str(pattern.pattern), inner, found)
        elif isinstance(pattern, URLPattern):
            name = pattern.name and (f"{namespace}:{pattern.name}" if namespace else pattern.name)
            yield name, prefix + str(pattern.pattern), found


def sixways_models():
    return [m for m in apps.get_models() if m.__module__.startswith("sixways.")]


def path_to_partnership(model, depth=0) -> str | None:
    """The lookup from a model to its partnership, following foreign keys: round__partnership."""
    if model is Partnership:
        return "pk"
    if depth > 3:
        return None
    for field in model._meta.get_fields():
        if isinstance(field, models.ForeignKey | models.OneToOneField) and field.concrete:
            if field.related_model is Partnership:
                return field.name
            inner = path_to_partnership(field.related_model, depth + 1)
            if inner and inner != "pk":
                return f"{field.name}__{inner}"
    return None


def victim_object_id(kwarg: str, partnership: Partnership) -> int:
    """The ID of one of the partnership's own objects for a URL's `<int:…_id>`."""
    wanted = kwarg.removesuffix("_id").replace("_", "")
    if wanted == "organisation":
        # Organisations are shared between partnerships: this one's are its partners.
        return partnership.partners.order_by("organisation").first().organisation_id
    found = [m for m in sixways_models() if m._meta.model_name == wanted]
    assert len(found) == 1, (
        f"The access test cannot tell which model the URL argument {kwarg!r} names. Name it "
        f"after its model (round_id, partner_id, …) or teach victim_object_id about it."
    )
    model = found[0]
    lookup = path_to_partnership(model)
    assert lookup, f"{model.__name__} has no path to a partnership: how is it scoped?"
    obj = model.objects.filter(**{lookup: partnership.pk}).order_by("pk").first()
    assert obj, f"The test partnership needs a {model.__name__} for {kwarg}: add one below"
    return obj.pk


def admin_urls(partnership) -> list[tuple[str, str, bool]]:
    """The admin's pages for every model it manages (its URL patterns are regular
    expressions, so they are built from its registry instead)."""
    found = [("admin:index", reverse("admin:index"), False)]
    for model in admin.site._registry:
        prefix = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        found.append((f"{prefix}_changelist", reverse(f"{prefix}_changelist"), False))
        found.append((f"{prefix}_add", reverse(f"{prefix}_add"), False))
        for page in ("change", "delete", "history"):
            found.append((f"{prefix}_{page}", reverse(f"{prefix}_{page}", args=[1]), False))
    return found


def urls(partnership) -> list[tuple[str, str, bool]]:
    """(view name, URL, whether it names one of the partnership's objects) for every page."""
    found = admin_urls(partnership)
    for name, route, converters in patterns():
        if route.startswith("admin/"):
            continue
        assert name, f"Give the URL pattern {route!r} a name"
        kwargs, scoped = {}, False
        for kwarg, converter in converters.items():
            if type(converter).__name__ == "IntConverter":
                if kwarg == "number":
                    kwargs[kwarg] = 1
                else:
                    kwargs[kwarg] = victim_object_id(kwarg, partnership)
                    scoped = True
            else:  # tokens and keys: a wrong one, like a guesser's
                kwargs[kwarg] = "notarealtoken"
        found.append((name, reverse(name, kwargs=kwargs), scoped))
    return found


# --- What a page offers to post ------------------------------------------------------------


class Forms(HTMLParser):
    """The POST forms on a page, filled in with plausible values."""

    def __init__(self, page_path: str):
        super().__init__()
        self.page_path = page_path
        self.forms: list[tuple[str, dict]] = []
        self._current = None
        self._textarea = None
        self._select = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            if (a.get("method") or "get").lower() == "post":
                action = urlsplit(a.get("action") or self.page_path).path or self.page_path
                self._current = (action, {})
                self.forms.append(self._current)
            return
        if self._current is None or not a.get("name"):
            return
        data = self._current[1]
        name = a["name"]
        if tag == "input":
            kind = (a.get("type") or "text").lower()
            if kind in ("submit", "button", "file"):
                if a.get("value") is not None and kind != "file":
                    data.setdefault(name, a["value"])
            elif kind in ("radio", "checkbox"):
                data.setdefault(name, a.get("value", "on"))
            elif kind == "hidden":
                data[name] = a.get("value", "")
            else:
                data[name] = a.get("value") or self._plausible(name, kind)
        elif tag == "textarea":
            data[name] = "An observer was here"
            self._textarea = name
        elif tag == "select":
            self._select = name
        elif tag == "option" and self._select and a.get("value"):
            data.setdefault(self._select, a["value"])

    def handle_endtag(self, tag):
        if tag == "form":
            self._current = None
        elif tag == "select":
            self._select = None

    @staticmethod
    def _plausible(name: str, kind: str) -> str:
        next_year = timezone.localdate() + datetime.timedelta(days=365)
        if name.endswith("-day"):
            return "1"
        if name.endswith("-month"):
            return "6"
        if name.endswith("-year"):
            return str(next_year.year)
        return {
            "email": "someone.new@eastvale.example",
            "password": PASSWORD,
            "number": "3",
            "date": next_year.isoformat(),
            "url": "https://example.org/",
        }.get(kind, "Changed by an observer")


# --- The partnership and its people ---------------------------------------------------------


@pytest.fixture
def victim(partnership, organisations, instrument, facilitator, observer, partner_lead):
    """A partnership with something of everything: rounds, answers, comments, links,
    invitations, audit entries."""
    closed = make_round(partnership, instrument, status=Status.CLOSED, title="Spring 2026")
    opened = make_round(partnership, instrument, title="Autumn 2026")
    for round_ in (opened, closed):
        invitation, _ = Invitation.issue(round_, organisations[0])
        response = Response.objects.create(
            round=round_, invitation=invitation, organisation=organisations[0]
        )
        section = round_.instrument.sections.first()
        Comment.objects.create(response=response, section=section, text=SECRET_COMMENT)
    Invitation.issue(opened, organisations[0], kind=Invitation.Kind.SHARED)
    Action.objects.create(
        partnership=partnership,
        round=closed,
        section=closed.instrument.sections.first(),
        title="Agree the agenda together",
        done_looks_like="Every agenda agreed by all partners",
        owner_name="The chair",
        due_on=timezone.localdate() + datetime.timedelta(days=30),
    )
    paper, _ = Invitation.issue(closed, organisations[0], kind=Invitation.Kind.PAPER)
    returned = Response.objects.create(
        round=closed,
        invitation=paper,
        organisation=organisations[0],
        state=Response.State.SUBMITTED,
        submitted_at=timezone.now(),
    )
    Return.objects.create(response=returned, round=closed, reference="P1", entered_by=facilitator)
    Upload.objects.create(
        round=closed,
        uploaded_by=facilitator,
        name="returns.csv",
        size=100,
        digest="0" * 64,
        state=Upload.State.IMPORTED,
        imported_at=timezone.now(),
    )
    ApiToken.issue(
        partnership, name="Dashboard", expires_at=timezone.now() + datetime.timedelta(days=9)
    )
    RoleInvitation.issue(partnership, "invited@eastvale.example", Role.OBSERVER)
    BoardLink.issue(
        closed,
        label="Board",
        sections=["overview"],
        expires_at=timezone.now() + datetime.timedelta(days=9),
    )
    audit.record(facilitator, "round.opened", partnership, opened)
    return partnership


def snapshot(partnership) -> dict:
    """Every row of the partnership's data, and everyone's privileges."""
    state = {}
    for model in sixways_models():
        if model is KeptDownload:
            # Built downloads kept for the next person to ask: written by reading, like a
            # cache, and always built again from the rows here.
            continue
        if model is AccessRequest:
            # Anyone may ask for an account, signed in or not: it is no partnership's data.
            continue
        lookup = path_to_partnership(model)
        rows = model.objects.filter(**{lookup: partnership.pk}) if lookup else model.objects.all()
        state[model._meta.label] = list(rows.order_by("pk").values())
    state["users"] = list(
        get_user_model()
        .objects.order_by("pk")
        .values("pk", "email", "is_active", "is_staff", "is_superuser")
    )
    return state


def client_for(user) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def harvest(victim, facilitator) -> dict[str, list[dict]]:
    """The facilitator's forms on every page, by the path they post to."""
    client = client_for(facilitator)
    posts: dict[str, list[dict]] = {}
    for name, url, _ in urls(victim):
        if name.startswith("admin:") or url.endswith(DOWNLOAD_SUFFIXES):
            continue
        response = client.get(url)
        if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
            continue
        parser = Forms(url)
        parser.feed(response.content.decode())
        for action, data in parser.forms:
            posts.setdefault(action, []).append(data)
    return posts


def post_changes(user, url, data, victim) -> tuple[bool, int]:
    """Whether this person's POST changed the partnership's data; rolled back either way."""
    client = client_for(user)
    with transaction.atomic():
        before = snapshot(victim)
        response = client.post(url, data)
        changed = snapshot(victim) != before
        transaction.set_rollback(True)
    return changed, response.status_code


# --- The tests ------------------------------------------------------------------------------


def test_every_url_is_walked(victim):
    found = {name for name, _, _ in urls(victim)}
    # A sample from each area, so a broken walk cannot pass by walking nothing.
    for name in ("partnerships:home", "results:round", "accounts:people", "mfa_index"):
        assert name in found


def test_an_outsider_gets_404_and_sees_nothing(victim, outsider):
    client = client_for(outsider)
    problems = []
    for name, url, scoped in urls(victim):
        response = client.get(url)
        status = response.status_code
        body = response.content.decode(errors="replace")
        if name.startswith("admin:"):
            if status not in (302, 403):
                problems.append(f"{url}: the admin answered {status} to someone not staff")
        elif scoped and status not in (404, 405):
            problems.append(f"{url}: {status}, not 404")
        leaked = [m for m in MARKERS if m in body]
        if leaked:
            problems.append(f"{url} shows {leaked}")
        if status >= 500:
            problems.append(f"{url}: server error")
    assert problems == []


def test_someone_signed_out_is_asked_to_sign_in(victim):
    client = Client()
    problems = []
    for name, url, _ in urls(victim):
        response = client.get(url)
        body = response.content.decode(errors="replace")
        leaked = [m for m in MARKERS if m in body]
        if leaked:
            problems.append(f"{url} shows {leaked}")
        if response.status_code == 200 and name not in PUBLIC and not name.startswith("rounds:"):
            problems.append(f"{url} is open to anyone")
    assert problems == []


def test_nothing_changes_on_a_get(victim, facilitator):
    client = client_for(facilitator)
    before = snapshot(victim)
    changed = []
    for _, url, _ in urls(victim):
        client.get(url)
        after = snapshot(victim)
        if after != before:
            changed.append(url)
            before = after
    assert changed == []


@pytest.mark.parametrize("persona", ["observer", "partner_lead", "outsider"])
def test_readers_and_outsiders_change_nothing_whatever_they_post(
    victim, facilitator, request, persona
):
    person = request.getfixturevalue(persona)
    posts = harvest(victim, facilitator)
    problems, facilitator_changes = [], set()
    for name, url, _ in urls(victim):
        for data in [*posts.get(url, []), {}]:
            changed, status = post_changes(person, url, data, victim)
            if changed and (persona, name) in MAY_CHANGE:
                continue
            if changed:
                problems.append(f"{url} ({name}): {persona} changed data, answer {status}")
            if status >= 500:
                problems.append(f"{url} ({name}): server error")
            if data and post_changes(facilitator, url, data, victim)[0]:
                facilitator_changes.add(name)
    assert problems == []
    # The same requests work for the facilitator, so the refusals above mean something.
    assert "accounts:invite" in facilitator_changes


def test_an_observer_reads_the_results(victim, observer):
    client = client_for(observer)
    closed = victim.rounds.get(title="Spring 2026")
    assert client.get(reverse("results:round", args=[closed.pk])).status_code == 200
