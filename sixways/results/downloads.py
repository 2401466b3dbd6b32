"""The board report (PDF) and workbook (Excel) of a round, built once and kept until its figures
change.

They take seconds to build (WeasyPrint lays out every page; xlsxwriter writes each of hundreds
of thousands of cells), so each is kept as a file in Django's default storage (settings.STORAGES,
a folder under MEDIA_ROOT that every worker shares), recorded by a KeptDownload row (models.py),
and served from there. A closed round's results never change (see cache.cache_key), so the
background worker builds its files when it closes. An open round's figures change only when a
response is sent (or the agreed response edited), so its files are built by the first person to
ask after each change and kept for the next; asking again and again builds nothing.

Each file has one row for its round, kind and view (a partner lead's organisation or everyone
else's, and whether the viewer may see the responses), so nobody is ever served a file made for
someone who may see more. The row holds what the file was built from (a hash of
cache.figures_key and of the partnership's actions, actions.review.stamp): a file is served
only while that is still so, and replaced otherwise. That includes the organisations' names,
the partnership's name and the round's title, so a new download always shows the names the
pages show now, and an action changed or added means both files are built again. Every file can be built again: one that
has gone missing is simply built at the next request.

When the retention rules delete a round's answers and comments, its rows and files go in the
same transaction (forget_round), as does this process's results cache; deleting a round
deletes its files too (models._delete_file). Other workers' results caches (each worker's own
memory) can no longer be read for that round, as its key has changed, and are gone within
their hour (settings.CACHES["results"]).
"""

import hashlib

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from sixways.actions import review
from sixways.partnerships.models import Role
from sixways.partnerships.roles import Viewer
from sixways.rounds.models import Round, RoundRetention, Status

from . import benchmark, pdf, rollup
from .cache import figures_key, results_cache
from .layers import layers_stamp, round_layers, wording
from .models import KeptDownload
from .presenters import key_points, rollup_chart, round_charts
from .queries import round_results
from .trend import partnership_trend
from .types import RoundResults
from .workbook import workbook

PDF, XLSX = KeptDownload.Kind.PDF, KeptDownload.Kind.XLSX


def _view(viewer: Viewer, kind: str) -> str:
    return (
        f"{viewer.view}-responses"
        if kind == XLSX and viewer.may_download_responses
        else viewer.view
    )


def _read(held: KeptDownload | None, built_from: str) -> bytes | None:
    if held is None or held.figures_key != built_from:
        return None
    try:
        with held.file.open("rb") as file:
            return file.read()
    except FileNotFoundError:  # removed from the folder: it is built again
        return None


def _keep(round_: Round, kind: str, view: str, built_from: str, content: bytes) -> None:
    """Save the file under a name of its own, point the round's row at it, then delete the file
    it replaces once that is committed (a request still reading the old row finds it gone and
    builds it again rather than failing)."""
    held = KeptDownload.objects.select_for_update().filter(round=round_, kind=kind, view=view)
    held = held.first()
    replaced = held.file.name if held and held.file else None
    kept = held or KeptDownload(round=round_, kind=kind, view=view)
    kept.figures_key, kept.built_at = built_from, timezone.now()
    kept.file.save(f"{kind}-{view}.{kind}", ContentFile(content), save=False)
    try:
        kept.save()
    except Exception:
        default_storage.delete(kept.file.name)
        raise
    if replaced and replaced != kept.file.name:
        transaction.on_commit(lambda: default_storage.delete(replaced))


def report_context(results: RoundResults) -> dict:
    round_ = results.round
    return {
        "round": round_,
        "results": results,
        "charts": round_charts(results),
        "key_points": key_points(results),
        "trend": partnership_trend(round_.partnership_id, until=round_),
        "plan": review.agreed_at(round_.pk),
        "layers": round_layers(round_) if results.shows_figures else None,
        **wording(results.options),
        "earlier_actions": review.agreed_at(results.previous.pk if results.previous else None),
        "rollup": (found := rollup.for_report(round_.partnership, results.viewer)),
        "rollup_chart": rollup_chart(found) if found else None,
        "benchmark": benchmark.for_report(round_.partnership, results.viewer),
        "generated_at": timezone.now(),
        "site_url": settings.SITE_URL,
        "report": True,
    }


def _build(results: RoundResults, kind: str) -> bytes:
    if kind == PDF:
        return pdf.report_pdf(None, report_context(results))
    layers = round_layers(results.round) if results.shows_figures else None
    children = rollup.for_report(results.round.partnership, results.viewer)
    return workbook(results, key_points(results), review.plan(results.round.pk), layers, children)


def kept(round_: Round, viewer: Viewer, kind: str) -> bytes:
    """The file as this viewer may see it: the kept one while its figures are unchanged,
    otherwise built now and kept."""
    view = _view(viewer, kind)
    # Read before the results: a response sent in between makes the file newer than this
    # says, so the next request builds once more, rather than keeping a file that is older.
    # The service's address is part of it too: the board report links back to the service, so
    # a file built while it ran at another address is built again. So are the partnership's
    # actions, which both files show.
    actions = review.stamp(round_.partnership_id)
    alongside = layers_stamp(round_)
    # A parent's files carry its children side by side, and a partnership that takes part its
    # place in the benchmark; a partner lead's carry neither.
    across = ""
    if not viewer.partner_lead:
        across = rollup.stamp(round_.partnership) + benchmark.stamp(round_.partnership)
    built_from = f"{figures_key(round_, viewer)}|{settings.SITE_URL}|{actions}|{alongside}|{across}"
    built_from = hashlib.sha256(built_from.encode()).hexdigest()
    held = KeptDownload.objects.filter(round=round_, kind=kind, view=view).first()
    if (content := _read(held, built_from)) is not None:
        return content
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
            _keep(round_, kind, view, built_from, content)
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

    Connected to rounds.signals.answers_deleted (apps.py), so it runs in the transaction
    that deletes the answers: the files hold every comment. Each file goes as its row is
    deleted (models._delete_file), including those of partner leads who have since left.
    """
    KeptDownload.objects.filter(round=round_).delete()
    # This process's results hold the first comments of each behaviour. They are worked out
    # again in milliseconds, so all go rather than finding every view's key.
    results_cache().clear()
