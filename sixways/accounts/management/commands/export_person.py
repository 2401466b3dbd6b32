import json

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from sixways.accounts import privacy


class Command(BaseCommand):
    help = "Print everything held about an account holder, as JSON."

    def add_arguments(self, parser):
        parser.add_argument("email")

    def handle(self, *args, email, **options):
        user = get_user_model().objects.filter(email__iexact=email).first()
        if user is None:
            raise CommandError(f"There is no account with the email address {email}")
        self.stdout.write(json.dumps(privacy.export(user), indent=2, ensure_ascii=False))
