from django.apps import AppConfig


def _forget_round(sender, **kwargs):
    # Imported here, not at start-up: downloads loads WeasyPrint, which every process, the
    # management commands included, would otherwise pay for when it starts.
    from . import downloads

    downloads.forget_round(sender, **kwargs)


class ResultsConfig(AppConfig):
    name = "sixways.results"

    def ready(self):
        from sixways.accounts.retention import answers_deleted

        answers_deleted.connect(_forget_round, dispatch_uid="results-forget-round")
