"""What the results app keeps: built board reports and workbooks (sixways/results/downloads.py)."""

from django.db import models
from django.db.models.signals import post_delete
from django.dispatch import receiver
from django.utils import timezone

from sixways.rounds.models import Round


def _file_name(instance: "KeptDownload", filename: str) -> str:
    return f"round-{instance.round_id}/{filename}"


class KeptDownload(models.Model):
    """A round's board report or workbook for one view, as a file in default_storage, with
    what it was built from (a hash of cache.figures_key): served only while that is unchanged."""

    class Kind(models.TextChoices):
        PDF = "pdf", "Board report"
        XLSX = "xlsx", "Workbook"

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="kept_downloads")
    kind = models.CharField(max_length=4, choices=Kind.choices)
    # Whose view it shows: a partner lead's organisation or everyone else's, and whether the
    # responses are in it. Nobody is served a file made for someone who may see more.
    view = models.CharField(max_length=60)
    figures_key = models.CharField(max_length=64)
    file = models.FileField(upload_to=_file_name, max_length=200)  # in default_storage
    built_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["round", "kind", "view"], name="one_kept_download")
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} of {self.round_id} ({self.view})"


@receiver(post_delete, sender=KeptDownload, dispatch_uid="results-delete-kept-file")
def _delete_file(sender, instance: KeptDownload, **kwargs) -> None:
    # At once, not on commit: the file may hold comments the retention rules are deleting. If
    # the deletion is rolled back, the row outlives its file and the next request builds it again.
    if instance.file:
        instance.file.storage.delete(instance.file.name)


class BenchmarkSnapshot(models.Model):
    """One cohort's benchmark as it was taken (benchmark.py): kept, so that the benchmark
    people see changes twice a year, not with each round that closes, and nobody can work a
    contributor out by comparing it from day to day."""

    taken_at = models.DateTimeField(default=timezone.now)
    instrument_key = models.SlugField(max_length=50)
    instrument_version = models.PositiveIntegerField()
    level = models.CharField(max_length=20, blank=True)  # "": every level together
    # Who contributed, to compare with the next snapshot (cohorts.withheld_because). Never
    # shown to anyone, nor in any file.
    contributors = models.JSONField(default=list)
    partnerships = models.PositiveIntegerField()
    # Per behaviour and question: the quartiles across the partnerships; and the movement.
    figures = models.JSONField(default=dict)
    shown = models.BooleanField()
    withheld_because = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-taken_at", "-id"]
        indexes = [
            models.Index(
                fields=["instrument_key", "instrument_version", "level", "taken_at"],
                name="benchmark_cohort",
            )
        ]

    def __str__(self) -> str:
        return f"Benchmark of {self.level or 'every level'}, {self.taken_at:%Y-%m-%d}"
