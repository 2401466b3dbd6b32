from django.core.management.base import BaseCommand

from sixways.design.text import plural
from sixways.rounds.models import Round


class Command(BaseCommand):
    help = (
        "Record the closing of every open round whose closing date has passed. Schedule it "
        "shortly after midnight: pages treat such rounds as closed but never write."
    )

    def handle(self, *args, **options):
        closed = Round.objects.close_due()
        self.stdout.write(f"Closed {plural(closed, 'round')}.")
