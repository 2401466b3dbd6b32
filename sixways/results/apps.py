from django.apps import AppConfig


class ResultsConfig(AppConfig):
    name = "sixways.results"

    def ready(self):
        from sixways.accounts.retention import answers_deleted

        from . import downloads

        answers_deleted.connect(downloads.forget_round, dispatch_uid="results-forget-round")
