from django.core.management.base import BaseCommand

from sixways.accounts.retention import apply_retention


class Command(BaseCommand):
    help = "Remove invitation email addresses and old answers as the retention settings say."

    def handle(self, *args, **options):
        done = apply_retention()
        self.stdout.write(
            f"Removed {done['emails_removed']} invitation email addresses, deleted "
            f"{done['role_invitations_deleted']} expired role invitations and the answers "
            f"of {done['rounds_answers_deleted']} rounds (their totals are kept)."
        )
