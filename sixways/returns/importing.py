"""A file of returns from upload to import: receive it, check every cell and work out the
preview, import it in one transaction, or undo that.

The uploaded file is kept in the default storage (the folder every worker shares) only while
it is needed. Once checked, it is replaced by its good rows as they were read (ids and text,
one JSON line a return), so importing reads no spreadsheet: the import's transaction holds
the round, and on SQLite the database, only for as long as inserting takes. That file goes
when the upload is imported, and whatever happened to it, the daily retention run deletes it
a day after upload (RETURNS_KEEP_HOURS). Checking a large file runs in the background worker;
its progress is written to the upload as it goes, for the page to show.
"""

import datetime
import hashlib
import json
import tempfile
import uuid
from collections.abc import Iterator

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.base import File
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.tasks import task
from django.utils import timezone

from sixways.core import audit
from sixways.instruments.shape import shape
from sixways.rounds.answering import RoundClosed
from sixways.rounds.tally import rebuild_tally

from . import reading
from .checking import Checker, Problem, Row
from .models import Upload
from .preview import effect
from .saving import Refused, answered_organisations, lock_round, save_rows, taken_references

PROGRESS_EVERY = 500


def receive(round_, uploaded, user) -> Upload:
    """Keep an uploaded file (a Django UploadedFile) for checking. Raises reading.Unreadable
    for a file of the wrong kind or size, before any of it is read."""
    name = (uploaded.name or "returns").replace("\\", "/").rsplit("/", 1)[-1][:200]
    kind = reading.kind_of(name)
    if uploaded.size > settings.RETURNS_MAX_BYTES:
        raise too_large(uploaded.size)
    digest = hashlib.sha256()
    for chunk in uploaded.chunks():
        digest.update(chunk)
    uploaded.seek(0)
    stored = default_storage.save(f"returns/{uuid.uuid4().hex}.{kind}", File(uploaded))
    return Upload.objects.create(
        round=round_,
        uploaded_by=user,
        name=name,
        size=uploaded.size,
        digest=digest.hexdigest(),
        stored=stored,
    )


def too_large(size: int) -> reading.Unreadable:
    limit = settings.RETURNS_MAX_BYTES
    return reading.Unreadable(
        f"The file is {_megabytes(size)}; the largest file taken is {_megabytes(limit)}. Split "
        "it into smaller files"
    )


def _megabytes(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} MB" if size >= 1024 * 1024 else f"{size // 1024} KB"


def kind(upload: Upload) -> str:
    return "xlsx" if upload.stored.endswith(".xlsx") else "csv"


def _staged_line(row: Row) -> bytes:
    fields = [
        row.number,
        row.organisation,
        list(row.answers.items()),
        list(row.comments.items()),
        row.reference,
        row.batch,
    ]
    return json.dumps(fields, ensure_ascii=False).encode() + b"\n"


def _staged(handle) -> Iterator[Row]:
    for line in handle:
        number, organisation, answers, comments, reference, batch = json.loads(line)
        yield Row(number, organisation, dict(answers), dict(comments), reference, batch)


def _checker(upload: Upload) -> Checker:
    round_ = upload.round
    return Checker(
        round_,
        shape(round_.instrument),
        taken_references(round_),
        answered_organisations(round_),
    )


def _imported_before(upload: Upload) -> Problem | None:
    earlier = (
        Upload.objects.filter(round=upload.round, digest=upload.digest, state=Upload.State.IMPORTED)
        .exclude(pk=upload.pk)
        .first()
    )
    if earlier is None:
        return None
    when = timezone.localtime(earlier.imported_at)
    return Problem(
        f"This file was imported into this round already, on {when:%-d %B %Y at %-H:%M}, as "
        f"{earlier.name}. Undo that import first to import it again"
    )


def _finish(upload: Upload, problems: list[Problem], count: int) -> None:
    upload.problems = [p.as_dict() for p in problems]
    upload.problem_count = count
    upload.state = Upload.State.PROBLEMS
    _forget_file(upload)
    upload.save()


def _forget_file(upload: Upload) -> None:
    if upload.stored:
        default_storage.delete(upload.stored)
        upload.stored = ""


def check(upload_id: int) -> None:
    """Check every cell of an upload and, if all is well, keep its rows and its preview."""
    upload = Upload.objects.select_related("round__instrument").filter(pk=upload_id).first()
    if upload is None or upload.state != Upload.State.CHECKING:
        return
    duplicate = _imported_before(upload)
    if duplicate:
        return _finish(upload, [duplicate], 1)
    checker = _checker(upload)
    with tempfile.TemporaryFile() as staged:
        try:
            with default_storage.open(upload.stored, "rb") as handle:
                sheet = reading.read(handle, kind(upload))
                Upload.objects.filter(pk=upload.pk).update(total=sheet.total)
                if checker.check_headers(sheet):
                    for n, row in enumerate(checker.rows(sheet), start=1):
                        staged.write(_staged_line(row))
                        if n % PROGRESS_EVERY == 0:
                            Upload.objects.filter(pk=upload.pk).update(checked=n)
        except reading.Unreadable as error:
            return _finish(upload, [Problem(str(error))], 1)
        if not checker.problem_count and not checker.totals.rows:
            checker.problem("The file has no returns in it: every row under the headers is empty")
        if checker.problem_count:
            return _finish(upload, checker.problems, checker.problem_count)
        staged.seek(0)
        rows_file = default_storage.save(f"returns/{uuid.uuid4().hex}.rows", File(staged))
    _forget_file(upload)
    upload.stored = rows_file
    upload.checked = upload.total = checker.totals.rows
    upload.preview = effect(upload.round, checker.structure, checker.totals) | {
        "empty_rows": checker.empty_rows[:20],
        "empty_row_count": len(checker.empty_rows),
    }
    upload.state = Upload.State.READY
    upload.save()


# The background worker's tasks (`manage.py db_worker`). Each is safe to run twice: the
# upload's state says whether its work is done.


@task()
def check_upload(upload_id: int) -> None:
    check(upload_id)


@task()
def import_upload(upload_id: int, user_id: int | None) -> int:
    return run_import(upload_id, user_id)


def start(upload: Upload) -> None:
    """Check a just-received upload: now, if it is small, or in the background."""
    if upload.size <= settings.RETURNS_CHECK_NOW_BYTES:
        check(upload.pk)
    else:
        check_upload.enqueue(upload.pk)
    upload.refresh_from_db()


def confirm(upload: Upload, user) -> None:
    """Import a checked upload: now, if it is small, or in the background."""
    claimed = Upload.objects.filter(pk=upload.pk, state=Upload.State.READY).update(
        state=Upload.State.IMPORTING
    )
    if claimed:
        if upload.size <= settings.RETURNS_CHECK_NOW_BYTES:
            run_import(upload.pk, user.pk if user else None)
        else:
            import_upload.enqueue(upload.pk, user.pk if user else None)
    upload.refresh_from_db()


def run_import(upload_id: int, user_id: int | None) -> int:
    """Import an upload being imported in one transaction: all its returns or none. Returns
    how many. When something changed since it was checked (a reference keyed in meanwhile,
    the round closed) nothing is saved and the upload keeps the problems."""
    upload = Upload.objects.select_related("round__instrument", "round__partnership").get(
        pk=upload_id
    )
    try:
        with transaction.atomic():
            lock_round(upload.round)
            fresh = Upload.objects.select_for_update().get(pk=upload.pk)
            if fresh.state != Upload.State.IMPORTING or not fresh.stored:
                return 0  # imported already: a task run twice
            duplicate = _imported_before(fresh)
            if duplicate:
                raise Refused([duplicate])
            checker = _checker(upload)
            with default_storage.open(fresh.stored, "rb") as handle:
                rows = checker.recheck(_staged(handle))
                saved = save_rows(upload.round, rows, user_id, fresh)
            if checker.problem_count:
                raise Refused(checker.problems)
            rebuild_tally(upload.round)
            fresh.state, fresh.saved, fresh.imported_at = (
                Upload.State.IMPORTED,
                saved,
                timezone.now(),
            )
            stored, fresh.stored = fresh.stored, ""
            fresh.save(update_fields=["state", "saved", "imported_at", "stored"])
    except Refused as refused:
        _failed(upload, refused.problems)
        return 0
    except RoundClosed:
        _failed(
            upload,
            [
                Problem(
                    "The round closed before the file was imported. Reopen it "
                    "to bring in more returns"
                )
            ],
        )
        return 0
    except IntegrityError:  # a reference saved a moment ago by someone else
        _failed(
            upload,
            [
                Problem(
                    "A return reference in the file was saved in this round a "
                    "moment ago. Upload the file again to see which"
                )
            ],
        )
        return 0
    default_storage.delete(stored)
    user = get_user_model().objects.filter(pk=user_id).first()
    round_ = upload.round
    detail = f"{saved} from {upload.name}"
    audit.record(user, "returns.imported", round_.partnership, round_, detail=detail)
    return saved


def _failed(upload: Upload, problems: list[Problem]) -> None:
    upload.refresh_from_db()
    _finish(upload, problems, len(problems))


def delete_file(sender, instance: Upload, **kwargs) -> None:
    if instance.stored:
        default_storage.delete(instance.stored)


def forget_old_files(now=None) -> int:
    """Delete uploaded files kept longer than RETURNS_KEEP_HOURS (the daily retention run).
    The upload's record stays, with its problems and preview; the file's content goes."""
    now = now or timezone.now()
    cutoff = now - datetime.timedelta(hours=settings.RETURNS_KEEP_HOURS)
    forgotten = 0
    for upload in Upload.objects.filter(uploaded_at__lt=cutoff).exclude(stored=""):
        _forget_file(upload)
        if upload.state in (Upload.State.CHECKING, Upload.State.READY):
            upload.state = Upload.State.PROBLEMS
            upload.problems = [
                Problem(
                    "The file was not imported within a day, so it was deleted. Upload it again "
                    "to import it"
                ).as_dict()
            ]
            upload.problem_count = 1
        upload.save()
        forgotten += 1
    return forgotten
