"""Background work of the results app, run by the worker (`manage.py db_worker`)."""

from django.tasks import task


@task()
def build_result_downloads(round_id: int) -> str:
    """Build a closed round's board report and workbook once and keep them, so downloading
    them takes no time (sixways/results/downloads.py). Safe to run twice: a kept file is not
    built again."""
    # Imported when the task runs: downloads loads WeasyPrint (see apps.py).
    from .downloads import build_for_round

    return build_for_round(round_id)
