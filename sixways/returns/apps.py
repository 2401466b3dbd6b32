from django.apps import AppConfig
from django.db.models.signals import post_delete


class ReturnsConfig(AppConfig):
    name = "sixways.returns"

    def ready(self) -> None:
        from .importing import delete_file
        from .models import Upload

        # An upload deleted with its round (or partnership) takes its kept file with it.
        post_delete.connect(delete_file, sender=Upload, dispatch_uid="returns-delete-file")
