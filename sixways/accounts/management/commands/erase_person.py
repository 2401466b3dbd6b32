from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from sixways.accounts import privacy


class Command(BaseCommand):
    help = "Erase an account holder: their account, roles and sessions; audit entries anonymised."

    def add_arguments(self, parser):
        parser.add_argument("email")
        parser.add_argument("--yes", action="store_true", help="do it without asking")

    def handle(self, *args, email, yes, **options):
        user = get_user_model().objects.filter(email__iexact=email).first()
        if user is None:
            raise CommandError(f"There is no account with the email address {email}")
        if not yes:
            answer = input(f"Erase {user.email} for good? Type 'erase' to go on: ")
            if answer.strip() != "erase":
                raise CommandError("Nothing erased")
        privacy.erase(user)
        self.stdout.write(f"Erased {email}")
