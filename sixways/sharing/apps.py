from django.apps import AppConfig
from django.db.models.signals import post_delete


def _forget_comments(sender, **kwargs):
    from .links import forget_comments

    forget_comments(sender, **kwargs)


class SharingConfig(AppConfig):
    name = "sixways.sharing"

    def ready(self) -> None:
        from sixways.rounds.signals import answers_deleted

        from .models import BoardLink, delete_pdf

        # A board link deleted with its round takes its kept PDF with it.
        post_delete.connect(delete_pdf, sender=BoardLink, dispatch_uid="sharing-delete-pdf")
        # Comments deleted under the retention rules go from kept pages and PDFs too.
        answers_deleted.connect(_forget_comments, dispatch_uid="sharing-forget-comments")
