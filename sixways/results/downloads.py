"""The board report (PDF) and workbook (Excel) of a round, built once and kept until its figures
change.

They take seconds to build (WeasyPrint lays out every page; xlsxwriter writes each of hundreds
of thousands of cells), so each is kept in the "downloads" cache (settings.CACHES: a database
table every worker shares) and served from there. A closed round's results never change (see
cache.cache_key), so the background worker builds its files when it closes. An open round's
figures change only when a response is sent (or the agreed response edited), so its files are
built by the first person to ask after each change and kept for the next; asking again and
again builds nothing.

Each file has one place in the cache for its round, kind and view (a partner lead's
organisation or everyone else's, and whether the viewer may see the responses), so nobody is
ever served a file made for someone who may see more. The place holds the file with what it
was built from (cache.figures_key): a file is served only while that is still so, and
replaced otherwise. That includes the organisations' names, the partnership's name and the
round's title, so a new download always shows the names the pages show now.

When the retention rules delete a round's answers and comments, its kept files go in the same
transaction (forget_round), as does this process's results cache. Other workers' results
caches (each worker's own memory) can no longer be read for that round, as its key has
changed, and are gone within their hour (settings.CACHES["results"]).
"""

import hashlib

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.db import DatabaseCache
from django.db import connections, router, transaction
from django.utils import timezone

from sixways.accounts.models import RoundRetention
from sixways.partnerships.models import Role
from sixways.rounds.models import Round, Status

from . import exports, pdf
from .cache import figures_key, results_cache
from .presenters import key_points, round_charts
from .queries import round_results
from .trend import partnership_trend
from .types import RoundResults
from .viewer import Viewer

PDF, XLSX = "pdf", "xlsx"


def _store():
    return caches["downloads"]


def _prefix(round_id: int) -> str:
    return f"round-{round_id}:"


def _place(round_: Round, viewer: Viewer, kind: str) -> str:
    view = f"lead-{viewer.organisation_id}" if viewer.partner_lead else "all"
    responses = "responses" if kind == XLSX and viewer.may_download_responses else ""
    return f"{_prefix(round_.pk)}{kind}:{view}:{responses}"


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


def kept(round_: Round, viewer: Viewer, kind: str) -> bytes:
    """The file as this viewer may see it: the kept one while its figures are unchanged,
    otherwise built now and kept."""
    place = _place(round_, viewer, kind)
    # Read before the results: a response sent in between makes the file newer than this
    # says, so the next request builds once more, rather than keeping a file that is older.
    built_from = hashlib.sha256(figures_key(round_, viewer).encode()).hexdigest()
    held = _store().get(place)
    if held is not None and held[0] == built_from:
        return held[1]
    results = round_results(round_, viewer)
    if results.cached:
        # Kept results can be up to an hour older than the names read above: work them out
        # again, so no file is kept with a name that has changed since.
        results_cache().delete(results.cache_key)
        results = round_results(round_, viewer)
    content = _build(results, kind)
    with transaction.atomic():
        # Retention may have deleted the answers while this was being built (with SQLite's
        # one writer at a time, not between this check and the keeping): hand it over, as
        # it was asked for before, but keep nothing that holds deleted comments.
        deleted = RoundRetention.objects.filter(
            round_id=round_.pk, answers_deleted_at__isnull=False
        )
        if results.answers_deleted or not deleted.exists():
            _store().set(place, (built_from, content))
    return content


def build_for_round(round_id: int) -> str:
    """Build and keep a closed round's board report and workbook as a facilitator sees them
    (partner leads' own views are built when they ask)."""
    round_ = Round.objects.select_related("partnership", "instrument").filter(pk=round_id).first()
    if round_ is None:
        return "no such round"
    if round_.status != Status.CLOSED or round_.closed_at is None:
        return "not closed"
    for kind in (PDF, XLSX):
        kept(round_, Viewer(role=Role.FACILITATOR), kind)
    return "built"


def forget_round(sender, round_: Round, **kwargs) -> None:
    """Delete every kept file of the round, whichever view and figures it was built for.

    Connected to accounts.retention.answers_deleted (apps.py), so it runs in the transaction
    that deletes the answers: the files hold every comment.
    """
    store = _store()
    if isinstance(store, DatabaseCache):
        # One statement for every view's place, including those of partner leads who have
        # since left the partnership; and every expired file, which is never served but stays
        # in the table until the cache next culls it, and may hold comments deleted before.
        key = store.make_and_validate_key(_prefix(round_.pk))
        pattern = key.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        connection = connections[router.db_for_write(store.cache_model_class)]
        table = connection.ops.quote_name(store._table)
        sql = f"DELETE FROM {table} WHERE cache_key LIKE %s ESCAPE '\\' OR expires < %s"  # noqa: S608 # nosec B608
        now = connection.ops.adapt_datetimefield_value(timezone.now().replace(microsecond=0))
        with connection.cursor() as cursor:
            cursor.execute(sql, [pattern, now])
    else:
        store.clear()  # a store that cannot find a round's files: everything can be rebuilt
    # This process's results hold the first comments of each behaviour. They are worked out
    # again in milliseconds, so all go rather than finding every view's key.
    results_cache().clear()
