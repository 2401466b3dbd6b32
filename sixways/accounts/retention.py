"""The daily retention run: what outlives its purpose is removed.

A round's email addresses and, later, its answers and comments go under the rules in
`rounds.retention`; uploaded files of paper returns a day after upload (`returns.importing`);
invitations to a role that were never accepted go
INVITATION_EMAIL_RETENTION_DAYS after they expired, and requests for an account that long
after they were made.

Run daily: `manage.py apply_retention` (cron) or the `apply_retention_task` task.
"""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from sixways.results.benchmark import take_if_due
from sixways.returns.importing import forget_old_files
from sixways.rounds import retention as rounds_retention

from .models import AccessRequest, RoleInvitation


def apply_retention(now=None) -> dict[str, int]:
    now = now or timezone.now()
    emails_removed = rounds_retention.remove_emails(now)
    cutoff = now - timedelta(days=settings.INVITATION_EMAIL_RETENTION_DAYS)
    role_invitations_deleted, _ = RoleInvitation.objects.filter(
        accepted_at__isnull=True, expires_at__lt=cutoff
    ).delete()
    AccessRequest.objects.filter(created_at__lt=cutoff).delete()
    return {
        "emails_removed": emails_removed,
        "role_invitations_deleted": role_invitations_deleted,
        "rounds_answers_deleted": rounds_retention.delete_answers(now),
        "returns_files_deleted": forget_old_files(now),
        # Not retention, but daily and for the whole service: the benchmark's twice-yearly
        # snapshot, taken on the first run of each half-year.
        "benchmark_snapshots_taken": take_if_due(now),
    }
