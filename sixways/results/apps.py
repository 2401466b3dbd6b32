from django.apps import AppConfig

# The receivers import what they need when they run, not at start-up: downloads loads
# WeasyPrint, which every process, the management commands included, would otherwise pay for
# when it starts.


def _forget_round(sender, **kwargs):
    from . import downloads

    downloads.forget_round(sender, **kwargs)


def _build_downloads(sender, round_, **kwargs):
    # A closed round's results cannot change: have its board report and workbook built in the
    # background, ready before anyone asks for them.
    from .tasks import build_result_downloads

    build_result_downloads.enqueue(round_.pk)


class ResultsConfig(AppConfig):
    name = "sixways.results"

    def ready(self):
        from sixways.rounds.signals import answers_deleted, round_closed

        answers_deleted.connect(_forget_round, dispatch_uid="results-forget-round")
        round_closed.connect(_build_downloads, dispatch_uid="results-build-downloads")
