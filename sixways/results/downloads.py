"""The board report (PDF) and workbook (Excel) of a closed round, built once and kept.

A closed round's results never change (see queries._cache_key), so neither do its files. They
take seconds to build (WeasyPrint lays out every page; xlsxwriter writes each of hundreds of
thousands of cells), so the background worker builds them when the round closes and keeps
them in the "downloads" cache (settings.CACHES: a database table every worker shares), and
they are served from there. Whoever asks before the worker has finished (or for a round closed
before this was so) gets the file built there and then, and it is kept for the next person.

Files are kept under the round and the results' cache key, which names the round, its closing,
its answers' deletion and the viewer's view, and whether the viewer may see the responses, so
nobody is ever served a file made for someone who may see more. Open rounds are built on every
request.

When the retention rules delete a round's answers and comments, its kept files go in the same
transaction (forget_round), as does this process's results cache. Other workers' results
caches (each worker's own memory) can no longer be read for that round, as its key has
changed, and are gone within their hour (settings.CACHES["results"]).
"""

from collections.abc import Callable

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.db import DatabaseCache
from django.db import connections, router, transaction
from django.utils import timezone

from sixways.accounts.models import RoundRetention
from sixways.partnerships.models import Role
from sixways.rounds.models import Round

from . import exports, pdf
from .presenters import key_points, round_charts
from .queries import RoundResults, Viewer, partnership_trend, results_cache, round_results

PDF, XLSX = "pdf", "xlsx"


def _store():
    return caches["downloads"]


def _prefix(round_id: int) -> str:
    return f"round-{round_id}:"


def _key(results: RoundResults, kind: str) -> str | None:
    if results.cache_key is None:
        return None
    responses = "responses" if kind == XLSX and results.viewer.may_download_responses else ""
    return f"{_prefix(results.round.pk)}{kind}:{results.cache_key}:{responses}"


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
            _keep(results, key, content)
    return content


def _keep(results: RoundResults, key: str, content: bytes) -> None:
    with transaction.atomic():
        # Retention may have deleted the answers while this was being built (with SQLite's
        # one writer at a time, not between this check and the keeping): hand it over, as
        # it was asked for before, but keep nothing that holds deleted comments.
        deleted = RoundRetention.objects.filter(
            round_id=results.round.pk, answers_deleted_at__isnull=False
        )
        if results.answers_deleted or not deleted.exists():
            _store().set(key, content)


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
