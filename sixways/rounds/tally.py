"""The results tally: counts of sent answers kept up to date in raw SQL.

`rounds.Tally` holds how many sent answers each round has per organisation, question and
option. Sending a response adds to it in one statement (`add_to_tally`), anything that writes
or changes sent answers in bulk recounts whole rounds (`rebuild_tally`), and deleting a sent
response takes it out again (`_take_out_of_tally`, connected in `RoundsConfig.ready`). The
SQL is written by hand because it is one INSERT … SELECT … GROUP BY that the ORM cannot say.
"""

from django.db import connection, models, transaction

from sixways.partnerships.models import Partnership

from .models import Answer, Response, Round, Tally


def _tally_sql(where: str, conflict: str = "") -> str:
    """INSERT … SELECT the sent answers matching `where`, counted by round, organisation,
    question and option, in a fixed order (so concurrent writers take row locks alike)."""
    q = connection.ops.quote_name
    tally, answer, response = (q(m._meta.db_table) for m in (Tally, Answer, Response))
    # Only table names and fixed clauses are put in the text; values are parameters.
    sql = (
        f"INSERT INTO {tally} (round_id, organisation_id, question_id, option_id, count) "  # noqa: S608 # nosec B608
        f"SELECT r.round_id, r.organisation_id, a.question_id, a.option_id, COUNT(*) "
        f"FROM {answer} a JOIN {response} r ON r.id = a.response_id "
        f"WHERE {where} "
        f"GROUP BY r.round_id, r.organisation_id, a.question_id, a.option_id "
        f"ORDER BY r.round_id, r.organisation_id, a.question_id, a.option_id"
    )
    if conflict:
        sql += f" ON CONFLICT {conflict} DO UPDATE SET count = {tally}.count + excluded.count"  # nosec B608
    return sql


def add_to_tally(response: Response) -> None:
    """Add one just-sent response's answers to its round's tally: one statement."""
    if response.organisation_id is None:
        conflict = "(round_id, question_id, option_id) WHERE organisation_id IS NULL"
    else:
        conflict = (
            "(round_id, organisation_id, question_id, option_id) WHERE organisation_id IS NOT NULL"
        )
    with connection.cursor() as cursor:
        cursor.execute(_tally_sql("a.response_id = %s", conflict), [response.pk])


def rebuild_tally(rounds) -> None:
    """Count the tally of these rounds (Round objects or ids) afresh from their sent answers:
    one DELETE and one INSERT … SELECT … GROUP BY. For anything that writes sent answers in
    bulk or changes them after sending."""
    if isinstance(rounds, Round | int):
        rounds = [rounds]
    ids = sorted({r.pk if isinstance(r, Round) else int(r) for r in rounds})
    if not ids:
        return
    marks = ", ".join(["%s"] * len(ids))
    with transaction.atomic(), connection.cursor() as cursor:
        Tally.objects.filter(round_id__in=ids).delete()
        cursor.execute(
            _tally_sql(f"r.round_id IN ({marks}) AND r.state = %s"),
            [*ids, Response.State.SUBMITTED],
        )


def _take_out_of_tally(sender, instance: Response, origin=None, **kwargs) -> None:
    """A sent response being deleted (its link deleted, say) leaves its round's tally.

    Runs before anything is deleted, while its answers are still there: one UPDATE and one
    DELETE. When the round itself (or its partnership) is what is being deleted, the tally
    goes with it and there is nothing to do.
    """
    if instance.state != Response.State.SUBMITTED:
        return
    whole = origin.model if isinstance(origin, models.QuerySet) else type(origin)
    if whole in (Round, Partnership):
        return
    q = connection.ops.quote_name
    tally, answer = q(Tally._meta.db_table), q(Answer._meta.db_table)
    organisation = (
        "organisation_id IS NULL" if instance.organisation_id is None else ("organisation_id = %s")
    )
    params = [instance.round_id] + (
        [] if instance.organisation_id is None else [instance.organisation_id]
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {tally} SET count = count - 1 "  # noqa: S608 # nosec B608 - names, not values
            f"WHERE round_id = %s AND {organisation} AND (question_id, option_id) IN "
            f"(SELECT question_id, option_id FROM {answer} WHERE response_id = %s)",
            [*params, instance.pk],
        )
        cursor.execute(
            f"DELETE FROM {tally} WHERE round_id = %s AND {organisation} AND count = 0",  # noqa: S608 # nosec B608
            params,
        )
