"""Saving returns: one keyed in from paper, or a whole checked file in one transaction; and
undoing a file's import.

Each return becomes an ordinary sent response through an invitation of kind PAPER, made with
a random token that is never kept or shown, so the return can never be opened as a link. The
round is locked first (as closing it is), so an import never races the round's close, another
import or an undo; the results tally is counted afresh at the end, in one statement.
"""

import secrets
from collections.abc import Iterable

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from sixways.rounds.answering import RoundClosed
from sixways.rounds.models import Answer, Comment, Invitation, Mode, Response, Round
from sixways.rounds.tally import rebuild_tally
from sixways.rounds.tokens import hash_token

from .checking import Problem, Row
from .models import Return, Upload

CHUNK = 1000
ANSWERS_AT_ONCE = 500  # 1,500 parameters a statement: well inside SQLite's and PostgreSQL's limits


class Refused(Exception):
    """The returns were not saved; `problems` say why, as the checker's do."""

    def __init__(self, problems: list[Problem]):
        super().__init__(problems[0].text if problems else "refused")
        self.problems = problems


def lock_round(round_: Round) -> Round:
    """The round, locked for writing in the current transaction, and still taking answers."""
    locked = Round.objects.select_for_update().get(pk=round_.pk)
    if not locked.accepting_answers:
        raise RoundClosed
    return locked


def taken_references(round_: Round) -> dict[str, str]:
    """Every return reference already in the round (in any case), with where it came from."""
    taken = {}
    for reference, name, at in (
        Return.objects.filter(round=round_)
        .exclude(reference="")
        .values_list("reference", "upload__name", "entered_at")
    ):
        where = f"in the file {name}" if name else "keyed in"
        taken[reference.casefold()] = f"{where} on {timezone.localtime(at):%-d %B %Y}"
    return taken


def answered_organisations(round_: Round) -> set[int]:
    """In an organisational round, the organisations that have sent their one response."""
    if round_.mode != Mode.ORGANISATIONAL:
        return set()
    return set(
        Response.objects.filter(round=round_, state=Response.State.SUBMITTED)
        .exclude(organisation=None)
        .values_list("organisation", flat=True)
    )


def save_rows(round_: Round, rows: Iterable[Row], user_id, upload: Upload | None = None) -> int:
    """Save rows already checked, inside the caller's transaction, with the round locked.
    Returns how many were saved. The caller rebuilds the tally once at the end."""
    now = timezone.now()
    saved = 0
    batch: list[Row] = []
    for row in rows:
        batch.append(row)
        if len(batch) == CHUNK:
            saved += _save_chunk(round_, batch, user_id, upload, now)
            batch = []
    if batch:
        saved += _save_chunk(round_, batch, user_id, upload, now)
    return saved


def _save_chunk(round_: Round, rows: list[Row], user_id, upload, now) -> int:
    invitations = Invitation.objects.bulk_create(
        Invitation(
            round=round_,
            organisation_id=row.organisation,
            kind=Invitation.Kind.PAPER,
            token_hash=hash_token(secrets.token_urlsafe(32)),
        )
        for row in rows
    )
    responses = Response.objects.bulk_create(
        Response(
            round=round_,
            invitation=invitation,
            organisation_id=row.organisation,
            state=Response.State.SUBMITTED,
            submitted_at=now,
        )
        for row, invitation in zip(rows, invitations, strict=True)
    )
    # 24 answers a return, written here rather than by bulk_create: building 24,000 model
    # instances a chunk took most of an import's time (bench/returns.py). PostgreSQL takes
    # them by COPY; SQLite in multi-row INSERTs.
    values = [
        (response.pk, question, option)
        for row, response in zip(rows, responses, strict=True)
        for question, option in row.answers.items()
    ]
    table = connection.ops.quote_name(Answer._meta.db_table)
    columns = "(response_id, question_id, option_id)"
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} {columns} FROM STDIN") as copy:
                for answer in values:
                    copy.write_row(answer)
            values = []
        for start in range(0, len(values), ANSWERS_AT_ONCE):
            part = values[start : start + ANSWERS_AT_ONCE]
            marks = ", ".join(["(%s, %s, %s)"] * len(part))
            cursor.execute(
                f"INSERT INTO {table} {columns} VALUES {marks}",  # noqa: S608 # nosec B608 - a table name and placeholders, no values
                [value for answer in part for value in answer],
            )
    Comment.objects.bulk_create(
        Comment(response=response, section_id=section, text=text)
        for row, response in zip(rows, responses, strict=True)
        for section, text in row.comments.items()
    )
    Return.objects.bulk_create(
        Return(
            response=response,
            round=round_,
            upload=upload,
            reference=row.reference,
            batch=row.batch,
            entered_by_id=user_id,
            entered_at=now,
        )
        for row, response in zip(rows, responses, strict=True)
    )
    return len(rows)


def save_keyed(round_: Round, row: Row, user) -> None:
    """One return keyed in from paper: checked by its form, saved in one transaction."""
    taken = Refused(
        [Problem(f"The reference {row.reference} is already in this round", column="reference")]
    )
    try:
        with transaction.atomic():
            locked = lock_round(round_)
            if row.reference and row.reference.casefold() in taken_references(locked):
                raise taken
            if row.organisation in answered_organisations(locked):
                raise Refused(
                    [
                        Problem(
                            "That organisation has already sent its response, and each "
                            "organisation sends one",
                            column="organisation",
                        )
                    ]
                )
            save_rows(locked, [row], user.pk)
            rebuild_tally(locked)
    except IntegrityError as error:  # the same reference saved a moment ago elsewhere
        raise taken from error


def _take_out(round_: Round, responses) -> int:
    """Delete these sent responses and count the round's tally again, inside the caller's
    transaction. They are made drafts first, so deleting them takes nothing out of the tally
    one response at a time."""
    ids = list(responses.values_list("pk", flat=True))
    Response.objects.filter(pk__in=ids).update(state=Response.State.DRAFT, submitted_at=None)
    Invitation.objects.filter(response__in=ids).delete()
    rebuild_tally(round_)
    return len(ids)


def undo(upload: Upload, user) -> int:
    """Take a file's returns out of its round again, while the round is open. Returns how many
    were taken out."""
    with transaction.atomic():
        locked = lock_round(upload.round)
        fresh = Upload.objects.select_for_update().get(pk=upload.pk)
        if fresh.state != Upload.State.IMPORTED:
            return 0
        taken = _take_out(locked, Response.objects.filter(paper__upload=fresh))
        fresh.state, fresh.undone_at, fresh.undone_by = Upload.State.UNDONE, timezone.now(), user
        fresh.save(update_fields=["state", "undone_at", "undone_by"])
    upload.refresh_from_db()
    return taken


def remove_keyed(round_: Round, return_id: int) -> bool:
    """Take one keyed-in return out again (entered by mistake, say), while the round is open."""
    with transaction.atomic():
        locked = lock_round(round_)
        responses = Response.objects.filter(
            paper__pk=return_id, paper__round=locked, paper__upload=None
        )
        return _take_out(locked, responses) == 1
