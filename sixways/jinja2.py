"""The Jinja2 environment for our pages: our templates first, then the NHS.UK frontend macros."""

from fractions import Fraction

from django.conf import settings
from django.contrib import messages
from django.templatetags.static import static
from django.urls import reverse
from django.utils import formats, timezone
from jinja2 import ChainableUndefined, ChoiceLoader, Environment, PackageLoader

from sixways.actions import review
from sixways.design.components import cached_macros
from sixways.design.forms import field_params
from sixways.design.text import plural
from sixways.results import privacy, scoring


def url(name: str, *args, **kwargs) -> str:
    return reverse(name, args=args or None, kwargs=kwargs or None)


def date(value, fmt: str = "j F Y") -> str:
    """Dates written out in full, as the NHS content style asks: 23 November 2026."""
    if value is None:
        return ""
    if hasattr(value, "tzinfo"):
        value = timezone.localtime(value)
    return formats.date_format(value, fmt)


def score(value, places: int = 1) -> str:
    """A 0-3 mean or a percentage, rounded for people; exact values stay in the data."""
    return scoring.rounded(value, places)


def people_count(n: int, round_) -> str:
    """A count of people who started or sent answers for one organisation: in an individual
    round a number from 1 to K - 1 is shown as "Fewer than K" (sixways/results/privacy.py)."""
    if round_.mode != "individual":
        return str(n)
    k = settings.MIN_GROUP_SIZE
    shown = privacy.shown_count(n, k)
    return f"Fewer than {k}" if shown is None else str(shown)


def environment(**options) -> Environment:
    options["loader"] = ChoiceLoader([options.pop("loader"), PackageLoader("nhsuk_frontend_jinja")])
    # The NHS macros read optional nested parameters; ChainableUndefined lets them be absent.
    options["undefined"] = ChainableUndefined
    options["autoescape"] = True
    env = Environment(**options)  # noqa: S701 - autoescape is on, set just above
    env.globals.update(
        url=url,
        static=static,
        get_messages=messages.get_messages,
        service_name="Six Ways",
        debug=settings.DEBUG,
        min_group_size=settings.MIN_GROUP_SIZE,
        benchmark_min=settings.BENCHMARK_MIN_PARTNERSHIPS,
        field_params=field_params,
        participant_cookie=settings.PARTICIPANT_COOKIE_NAME,
        # Actions sit above partnerships and rounds, whose pages list the open ones.
        open_actions=review.open_actions,
    )
    # skipLink, header, footer, radios and the like, rendered once per set of parameters.
    # A template that imports the NHS macro itself still gets the uncached one.
    env.globals.update(cached_macros(env))
    env.filters.update(
        date=date, score=score, people_count=people_count, plural=plural, fraction=Fraction
    )
    return env
