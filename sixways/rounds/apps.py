from django.apps import AppConfig
from django.db.models.signals import pre_delete


class RoundsConfig(AppConfig):
    name = "sixways.rounds"

    def ready(self) -> None:
        from .models import Response
        from .tally import _take_out_of_tally

        # Connected here rather than by a decorator in the tally module, so it runs however
        # that module is (or is not) imported: a deleted sent response must always leave the
        # tally.
        pre_delete.connect(_take_out_of_tally, sender=Response, dispatch_uid="rounds-tally-out")
