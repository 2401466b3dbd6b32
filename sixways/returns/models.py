"""Returns answered on paper or in a spreadsheet: the files brought in, and where each
response that came that way came from.

A return is an ordinary sent response (rounds.Response, through an invitation of kind PAPER
whose token is never shown), so every page, download and privacy rule treats it as any
other; a `Return` beside it says how it came: keyed in from paper by whom, or imported in
which file, with the batch code printed on the form and the return's own reference.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone

from sixways.rounds.models import Response, Round


class Upload(models.Model):
    """A file of returns: checked, previewed, imported in one transaction, perhaps undone."""

    class State(models.TextChoices):
        CHECKING = "checking", "Being checked"
        PROBLEMS = "problems", "Has problems"
        READY = "ready", "Checked: ready to import"
        IMPORTING = "importing", "Being imported"
        IMPORTED = "imported", "Imported"
        UNDONE = "undone", "Undone"

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="+")
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(default=timezone.now)
    # The file's name as it came, for people to recognise it; shown escaped, never used as a
    # path. The file itself is kept under `stored` only until it is imported, or for a day.
    name = models.CharField(max_length=200)
    size = models.PositiveBigIntegerField()
    digest = models.CharField(max_length=64)  # SHA-256 of the file, to spot the same file again
    stored = models.CharField(max_length=200, blank=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.CHECKING)
    # How far the checking or importing has got, for the progress bar.
    total = models.PositiveIntegerField(null=True, blank=True)
    checked = models.PositiveIntegerField(default=0)
    saved = models.PositiveIntegerField(default=0)
    # Every problem found, by row and column (the first few hundred are kept: a file with more
    # needs fixing as a whole), and how many there were in all.
    problems = models.JSONField(default=list, blank=True)
    problem_count = models.PositiveIntegerField(default=0)
    # What importing it would do, worked out when it was checked (preview.py).
    preview = models.JSONField(default=dict, blank=True)
    imported_at = models.DateTimeField(null=True, blank=True)
    undone_at = models.DateTimeField(null=True, blank=True)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["-uploaded_at", "-id"]
        indexes = [models.Index(fields=["round", "digest"], name="upload_digest")]

    def __str__(self) -> str:
        return f"{self.name} for {self.round}"


class Return(models.Model):
    """How one sent response came in: keyed in from a paper form, or in an imported file."""

    response = models.OneToOneField(Response, on_delete=models.CASCADE, related_name="paper")
    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="+")
    # None: keyed in from paper by `entered_by`.
    upload = models.ForeignKey(
        Upload, null=True, blank=True, on_delete=models.CASCADE, related_name="returns"
    )
    # The return's own reference, as written on it or in the file (optional; unique in a
    # round, so the same return is never counted twice), and the form's batch code.
    reference = models.CharField(max_length=50, blank=True)
    batch = models.CharField(max_length=20, blank=True)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    entered_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["round", "reference"],
                condition=~models.Q(reference=""),
                name="return_reference_once",
            )
        ]

    def __str__(self) -> str:
        return f"Return {self.reference or self.pk} in {self.round}"
