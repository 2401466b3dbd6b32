from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.urls import reverse

from sixways.results import demo as results_demo
from sixways.rounds import demo
from sixways.sharing.demo import create_demo_link
from sixways.workshops import demo as workshops_demo


class Command(BaseCommand):
    help = (
        "Create demo data on first run, then print the address, a sign-in and a participant link."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--allow-production",
            action="store_true",
            help="Create demo data even though DEBUG is off (never on a live service).",
        )

    def handle(self, *args, allow_production=False, **options):
        if not settings.DEBUG and not allow_production:
            raise CommandError("Demo data is for development: set DEBUG=1, or --allow-production")
        workshops_demo.create_demo()
        results_demo.create_system()
        board = create_demo_link()
        link = settings.SITE_URL + reverse("rounds:start", args=[demo.participant_token()])
        self.stdout.write(
            "\n"
            f"  Six Ways is running at {settings.SITE_URL}/\n"
            f"  Facilitator sign-in:  {demo.FACILITATOR_EMAIL} / {demo.FACILITATOR_PASSWORD}\n"
            f"  Admin sign-in:        {demo.ADMIN_EMAIL} / {demo.FACILITATOR_PASSWORD}"
            f"  ({settings.SITE_URL}/admin/)\n"
            f"  Participant link:     {link}\n"
            f"  Board link:           {board}\n"
        )
