"""The board report (PDF) and workbook (Excel) of a closed round, built once and kept.

A closed round's results never change (see queries._cache_key), so neither do its files. They
take seconds to build (WeasyPrint lays out every page; xlsxwriter writes each of hundreds of
thousands of cells), so the background worker builds them when the round closes and keeps
them in the "downloads" cache (settings.CACHES: a database table every worker shares), and
they are served from there. Whoever asks before the worker has finished (or for a round closed
before this was so) gets the file built there and then, and it is kept for the next person.

Files are kept under the results' cache key, which names the round, its closing, its answers'
deletion and the viewer's view, and whether the viewer may see the responses, so nobody is
ever served a file made for someone who may see more. Open rounds are built on every request.
"""

from collections.abc import Callable

from django.conf import settings
from django.core.cache import caches
from django.utils import timezone

from sixways.partnerships.models import Role
from sixways.rounds.models import Round

from . import exports, pdf
from .presenters import key_points, round_charts
from .queries import RoundResults, Viewer, partnership_trend, round_results

PDF, XLSX = "pdf", "xlsx"


def _store():
    return caches["downloads"]


def _key(results: RoundResults, kind: str) -> str | None:
    if results.cache_key is None:
        return None
    responses = "responses" if kind == XLSX and results.viewer.may_download_responses else ""
    return f"{kind}:{results.cache_key}:{responses}"


def report_context(results: RoundResults) -> dict:
    round_ = results.round
    return {
        "round": round_,
        "results": results,
        "charts": round_charts(results),
        "key_points": key_points(results),
        "trend": partnership_trend(round_.partnership_id, until=round_),
        "generated_at": timezone.now(),
        "site_url": settings.SITE_URL,
        "report": True,
    }


def _build(results: RoundResults, kind: str) -> bytes:
    if kind == PDF:
        return pdf.report_pdf(None, report_context(results))
    return exports.workbook(results, key_points(results))


def kept(results: RoundResults, kind: str, build: Callable[[], bytes] | None = None) -> bytes:
    """The file, from the store when a closed round's has been built, else built now."""
    key = _key(results, kind)
    content = _store().get(key) if key else None
    if content is None:
        content = build() if build else _build(results, kind)
        if key:
            _store().set(key, content)
    return content


def build_for_round(round_id: int) -> str:
    """Build and keep a closed round's board report and workbook as a facilitator sees them
    (partner leads' own views are built when they ask)."""
    round_ = Round.objects.select_related("partnership", "instrument").filter(pk=round_id).first()
    if round_ is None:
        return "no such round"
    results = round_results(round_, Viewer(role=Role.FACILITATOR))
    if results.cache_key is None:
        return "not closed"
    for kind in (PDF, XLSX):
        kept(results, kind)
    return "built"
