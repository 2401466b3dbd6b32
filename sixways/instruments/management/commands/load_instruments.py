from django.core.management.base import BaseCommand, CommandError

from sixways.instruments.loading import InstrumentError, load_all


class Command(BaseCommand):
    help = "Check and load every instrument file in sixways/instruments/data (safe to run again)."

    def handle(self, *args, **options):
        try:
            results = load_all()
        except InstrumentError as error:
            raise CommandError(f"Instrument refused: {error}") from None
        for instrument, created in results:
            state = "loaded" if created else "already loaded"
            self.stdout.write(f"{instrument}: {state}")
