"""A round's comments as the pages and downloads show them: a behaviour's first few, a page at
a time, or all of them (the JSON download), each named only as the privacy rule allows.

Never with a person's name: responses carry none. In individual mode a comment names its
organisation only when that organisation is shown; the pooled organisations' comments are
labelled as the pool's and listed together, after the others. A partner lead sees the names
of their own organisation's comments only. Within a name (or none), comments come in the
order of their link's token hash: stable, and random to anyone who cannot see the tokens, so
neither the time sent nor a hidden organisation's name can be read from a comment's place.
"""

from collections import defaultdict

from django.db.models import Case, Count, F, Q, Value, When, Window
from django.db.models.functions import RowNumber

from sixways.rounds.models import Comment, Response, Round

from . import privacy
from .types import Behaviour, RoundResults, ShownComment

# The overview and the board report show a behaviour's first comments; the rest are read a
# page at a time, so neither grows with the number of responses.
COMMENTS_SHOWN = 10
COMMENTS_PER_PAGE = 50


def _comment_order(results: "RoundResults") -> list:
    visibility = results.visibility

    def among(keys) -> Q:
        keys = set(keys)
        q = Q(response__organisation__in=keys - {None})
        return q | Q(response__organisation__isnull=True) if None in keys else q

    named = [
        g.key
        for g in results.organisation_results
        if g.shown and not g.pool and (results.viewer.sees_every_organisation or g.own)
    ]
    return [
        Case(When(among(visibility.pooled), then=Value(1)), default=Value(0)),
        Case(
            When(among(named), then=F("response__organisation__name")),
            default=Value(""),
        ),
        F("response__invitation__token_hash"),
    ]


def _sent_comments(round_: Round):
    return Comment.objects.filter(response__round=round_, response__state=Response.State.SUBMITTED)


def _author(results: RoundResults):
    """Who a comment may be shown as from: the organisation's name, or None."""
    # organisation_results holds the organisations this viewer may see, with their names.
    names = {g.key: g.name for g in results.organisation_results if g.shown}
    viewer = results.viewer

    def by(org: int | None) -> str | None:
        if not results.visibility.organisation_shown(org):
            return privacy.POOL_NAME if viewer.sees_every_organisation else None
        if not viewer.sees_organisation(org):
            return None
        return names.get(org)

    return by


def first_comments(results: RoundResults):
    """Each behaviour's first COMMENTS_SHOWN comments and how many there are: two queries."""
    by = _author(results)
    order = _comment_order(results)
    sent = _sent_comments(results.round)
    counts = dict(sent.values("section").annotate(n=Count("id")).values_list("section", "n"))
    first = (
        sent.annotate(
            place=Window(
                RowNumber(),
                partition_by=[F("section")],
                order_by=[expression.asc() for expression in order],
            )
        )
        .filter(place__lte=COMMENTS_SHOWN)
        .order_by("section__position", *order)
        .values_list("section", "text", "response__organisation")
    )
    comments: dict[int, list[ShownComment]] = defaultdict(list)
    for section_id, text, org in first:
        comments[section_id].append(ShownComment(text=text, by=by(org)))
    return comments, counts


def comment_page(results: RoundResults, behaviour: Behaviour, page: int) -> list[ShownComment]:
    """One page of a behaviour's comments (COMMENTS_PER_PAGE, the first page is 1)."""
    by = _author(results)
    start = (page - 1) * COMMENTS_PER_PAGE
    rows = (
        _sent_comments(results.round)
        .filter(section=behaviour.section)
        .order_by(*_comment_order(results))
        .values_list("text", "response__organisation")[start : start + COMMENTS_PER_PAGE]
    )
    return [ShownComment(text=text, by=by(org)) for text, org in rows]


def all_comments(results: RoundResults) -> dict[int, list[ShownComment]]:
    """Every comment by behaviour (section id), for the JSON download: one query."""
    by = _author(results)
    comments: dict[int, list[ShownComment]] = defaultdict(list)
    rows = (
        _sent_comments(results.round)
        .order_by("section__position", *_comment_order(results))
        .values_list("section", "text", "response__organisation")
    )
    for section_id, text, org in rows:
        comments[section_id].append(ShownComment(text=text, by=by(org)))
    return comments
