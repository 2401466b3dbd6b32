from django.core.management.base import BaseCommand

from sixways.results.benchmark import take


class Command(BaseCommand):
    help = (
        "Take a snapshot of the benchmark across partnerships now. The daily run "
        "(apply_retention) takes one in each half-year by itself."
    )

    def handle(self, *args, **options):
        taken = take()
        shown = [s for s in taken if s.shown]
        self.stdout.write(
            f"Took {len(taken)} snapshots of the benchmark; {len(shown)} shown"
            + "".join(
                f"\n  {s.level or 'every level'}, version {s.instrument_version}: "
                f"{s.partnerships} partnerships, "
                + ("shown" if s.shown else f"not shown ({s.withheld_because})")
                for s in taken
            )
        )
