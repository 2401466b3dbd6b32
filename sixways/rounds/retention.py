"""Retention of a round's data: what outlives its purpose is removed, while the figures for
trends stay.

- INVITATION_EMAIL_RETENTION_DAYS after a round closes, the email addresses its personal
  participant links were sent to are removed.
- ANSWER_RETENTION_DAYS after a round closes, its individual answers and comments are deleted.
  First each organisation's totals per behaviour are kept in RoundAggregate, which is enough to
  work out every behaviour score, organisation score, spread and change between rounds.
  Whatever keeps copies of them (the results' kept board reports and workbooks) deletes them
  in the same transaction, on the answers_deleted signal.

The daily run that calls these is `accounts.retention.apply_retention`.
"""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Sum

from .models import (
    Answer,
    Comment,
    Invitation,
    Response,
    Round,
    RoundAggregate,
    RoundRetention,
    Status,
    Tally,
)
from .signals import answers_deleted


def _closed_before(cutoff):
    return Round.objects.filter(status=Status.CLOSED, closed_at__lt=cutoff)


def snapshot(round_: Round) -> int:
    """Store the round's totals per organisation and behaviour, once."""
    if RoundAggregate.objects.filter(round=round_).exists():
        return 0
    rows = (
        Answer.objects.filter(response__round=round_, response__state=Response.State.SUBMITTED)
        .values("response__organisation", "question__section")
        .annotate(
            respondents=Count("response", distinct=True),
            answer_count=Count("id"),
            score_sum=Sum("option__score"),
        )
    )
    RoundAggregate.objects.bulk_create(
        RoundAggregate(
            round=round_,
            organisation_id=row["response__organisation"],
            section_id=row["question__section"],
            respondents=row["respondents"],
            answer_count=row["answer_count"],
            score_sum=row["score_sum"],
        )
        for row in rows
    )
    return len(rows)


def remove_emails(now) -> int:
    """Remove the addresses of rounds closed long enough ago; how many were removed."""
    removed = 0
    cutoff = now - timedelta(days=settings.INVITATION_EMAIL_RETENTION_DAYS)
    for round_ in _closed_before(cutoff).exclude(retention__emails_removed_at__isnull=False):
        with transaction.atomic():
            removed += Invitation.objects.filter(round=round_).exclude(email="").update(email="")
            RoundRetention.objects.update_or_create(
                round=round_, defaults={"emails_removed_at": now}
            )
    return removed


def delete_answers(now) -> int:
    """Delete the answers and comments of rounds closed long enough ago, keeping their totals;
    how many rounds."""
    deleted = 0
    cutoff = now - timedelta(days=settings.ANSWER_RETENTION_DAYS)
    for round_ in _closed_before(cutoff).exclude(retention__answers_deleted_at__isnull=False):
        with transaction.atomic():
            snapshot(round_)
            Answer.objects.filter(response__round=round_).delete()
            # The answers' tally goes with them: RoundAggregate keeps what the results need.
            Tally.objects.filter(round=round_).delete()
            Comment.objects.filter(response__round=round_).delete()
            answers_deleted.send(sender=Round, round_=round_)
            RoundRetention.objects.update_or_create(
                round=round_, defaults={"answers_deleted_at": now}
            )
            deleted += 1
    return deleted
