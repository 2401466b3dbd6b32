from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from sixways.actions import reminders
from sixways.design.text import plural


class Command(BaseCommand):
    help = (
        "Queue today's reminders to the owners of actions that are due soon or overdue. "
        "Schedule it once a day, beside close_rounds: a second run the same day sends nothing."
    )

    def handle(self, *args, **options):
        with transaction.atomic():
            recorded = reminders.due_reminders(timezone.localdate())
            transaction.on_commit(lambda: reminders.queue(recorded))
        self.stdout.write(f"Queued {plural(len(recorded), 'reminder')}.")
