"""What a board link shows: a round's results as the board report lays them out, read-only,
with the sections its facilitator chose.

A live link works its page out from the round as it stands whenever it is opened; a snapshot
keeps the page it showed when it was made, so a board paper never changes afterwards. Both
read the round through the results' own queries, as an observer of the partnership would
(never a partner lead's view, never the responses), so a link hides exactly the groups the
pages and downloads hide. Its PDF is the same page, kept while that page is unchanged.
"""

import hashlib
import re

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.utils import timezone

from sixways.actions import review
from sixways.core import audit
from sixways.partnerships.models import Role
from sixways.partnerships.roles import Viewer
from sixways.results.pdf import render_pdf
from sixways.results.presenters import key_points, round_charts
from sixways.results.queries import round_results
from sixways.results.trend import partnership_trend
from sixways.rounds.models import Mode, Round, Status

from .models import SECTIONS, BoardLink

# The sections' headings on the page.
TITLES = {
    "overview": "Overview",
    "priorities": "Priorities: what to work on first",
    "behaviours": "Each behaviour",
    "organisations": "Organisations and sectors",
    "trend": "Trend across rounds",
    "actions": "Action plan",
}

# A board sees what an observer of the partnership sees.
BOARD = Viewer(role=Role.OBSERVER)

# The comments of a kept page sit between these markers, so the retention rules can take
# them out again (forget_comments). People's text is escaped, so it can never contain them.
COMMENTS = re.compile(r"<!--comments-->.*?<!--/comments-->", re.DOTALL)
COMMENTS_DELETED = (
    '<p class="nhsuk-body-s">The comments were deleted under the service\'s retention rules.</p>'
)


def shows_figures(round_: Round) -> bool:
    return round_results(round_, BOARD).shows_figures


def render_page(link: BoardLink) -> str:
    """The link's sections as they stand now, as HTML for its page and its PDF."""
    round_ = link.round
    results = round_results(round_, BOARD)
    sections = set(link.sections)
    plan = review.agreed_at(round_.pk) if "actions" in sections else None
    trend = partnership_trend(round_.partnership_id, until=round_) if "trend" in sections else None
    # The chosen sections this round has something for: a collective round has one response,
    # so no organisations to compare; a first round no trend; a round may have no plan yet.
    has = {
        "organisations": round_.mode != Mode.COLLECTIVE,
        "trend": trend is not None and len(trend.rounds) > 1,
        "actions": bool(plan),
    }
    context = {
        "round": round_,
        "results": results,
        "sections": [
            (key, TITLES[key]) for key in SECTIONS if key in sections and has.get(key, True)
        ],
        "hide_comments": not link.comments,
        "board": True,
        "charts": round_charts(results),
        "key_points": key_points(results),
        "plan": plan,
        "earlier_actions": review.agreed_at(results.previous.pk if results.previous else None),
        "trend": trend,
        "generated_at": timezone.now(),
        "site_url": settings.SITE_URL,
        "report": True,  # the report's partials: no links into the signed-in service
    }
    return render_to_string("sharing/_board_sections.jinja", context)


def page(link: BoardLink) -> str:
    return link.snapshot_html if link.snapshot else render_page(link)


def superseded_by(link: BoardLink) -> Round | None:
    """A live link's round is superseded once a later round of its partnership has closed."""
    if link.snapshot:
        return None
    return (
        Round.objects.filter(
            partnership_id=link.round.partnership_id,
            status=Status.CLOSED,
            closes_on__gt=link.round.closes_on,
        )
        .exclude(pk=link.round_id)
        .order_by("-closes_on", "-id")
        .first()
    )


def create(request_or_user, round_: Round, **fields) -> tuple[BoardLink, str]:
    """Make a link; a snapshot keeps its page now. `request_or_user` acts, as in audit.record."""
    user = getattr(request_or_user, "user", request_or_user)
    link, token = BoardLink.issue(round_, created_by=user, **fields)
    if link.snapshot:
        link.snapshot_html = render_page(link)
        link.save(update_fields=["snapshot_html"])
    kind = "snapshot" if link.snapshot else "live"
    audit.record(
        request_or_user,
        "board-link.created",
        round_.partnership,
        link,
        detail=f"{kind}, for {round_.title}, until {timezone.localdate(link.expires_at):%d %B %Y}",
    )
    return link, token


def count_use(link: BoardLink, what: str) -> None:
    BoardLink.objects.filter(pk=link.pk).update(uses=F("uses") + 1, last_used_at=timezone.now())
    audit.record(None, "board-link.used", link.round.partnership, link, detail=what)


def pdf(link: BoardLink, html: str, context: dict) -> bytes:
    """The link's page as a PDF: the kept one while the page is as it was, else built now."""
    banner = render_to_string("sharing/_board_banner.jinja", context)
    built_from = hashlib.sha256(f"{html}|{banner}|{settings.SITE_URL}".encode()).hexdigest()
    if link.pdf and link.pdf_built_from == built_from:
        try:
            with link.pdf.open("rb") as file:
                return file.read()
        except FileNotFoundError:  # removed from the folder: built again
            pass
    content = render_pdf("sharing/board_report.jinja", {**context, "content": html}, None)
    replaced = link.pdf.name if link.pdf else None
    with transaction.atomic():
        held = BoardLink.objects.select_for_update().filter(pk=link.pk).first()
        if held is None:  # revoked and deleted with its round meanwhile: hand it over
            return content
        held.pdf.save(f"board-link-{link.pk}.pdf", ContentFile(content), save=False)
        held.pdf_built_from = built_from
        held.save(update_fields=["pdf", "pdf_built_from"])
        if replaced and replaced != held.pdf.name:
            transaction.on_commit(lambda: default_storage.delete(replaced))
    return content


def forget_comments(sender, round_: Round, **kwargs) -> None:
    """Take the comments out of the round's kept pages and PDFs when the retention rules
    delete them. Connected to rounds.signals.answers_deleted, so it runs in that transaction.
    The page is otherwise left as it was: its figures are counts, which the rules keep."""
    for link in BoardLink.objects.filter(round=round_):
        if link.snapshot_html:
            link.snapshot_html = COMMENTS.sub(COMMENTS_DELETED, link.snapshot_html)
        if link.pdf:
            name = link.pdf.name
            transaction.on_commit(lambda name=name: default_storage.delete(name))
        link.pdf, link.pdf_built_from = "", ""
        link.save(update_fields=["snapshot_html", "pdf", "pdf_built_from"])
