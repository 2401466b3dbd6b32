from django.tasks import task

from .retention import apply_retention


@task
def apply_retention_task() -> dict[str, int]:
    """The daily retention run, for the background worker (`manage.py db_worker`)."""
    return apply_retention()
