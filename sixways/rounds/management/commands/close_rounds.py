from django.core.management.base import BaseCommand

from sixways.rounds.models import Round


class Command(BaseCommand):
    help = (
        "Close every open round whose closing date has passed. Schedule it shortly after "
        "midnight; pages also close such rounds when they are next opened."
    )

    def handle(self, *args, **options):
        closed = Round.objects.close_due()
        self.stdout.write(f"Closed {closed} round{'s' if closed != 1 else ''}.")
