"""An instrument is a versioned questionnaire, loaded from a data file and never edited in place.

Rounds point at one version, so old rounds keep the wording they were run with.
"""

from django.db import models


class Instrument(models.Model):
    key = models.SlugField(max_length=50)
    version = models.PositiveIntegerField()
    title = models.CharField(max_length=200)
    credit = models.TextField()
    source_url = models.URLField(blank=True)
    # SHA-256 of the file's parsed content: loading the same version with other content is refused.
    content_hash = models.CharField(max_length=64)
    loaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["key", "version"], name="instrument_key_version")
        ]
        ordering = ["key", "-version"]

    def __str__(self) -> str:
        return f"{self.title} (version {self.version})"

    @property
    def max_score(self) -> int:
        return max(option.score for option in self.options.all())


class Option(models.Model):
    """One point of the answer scale: its stored key, the label people read, and its score."""

    instrument = models.ForeignKey(Instrument, on_delete=models.CASCADE, related_name="options")
    key = models.SlugField(max_length=30)
    label = models.CharField(max_length=50)
    score = models.PositiveSmallIntegerField()
    position = models.PositiveSmallIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["instrument", "key"], name="option_instrument_key")
        ]
        ordering = ["position"]

    def __str__(self) -> str:
        return self.label


class Section(models.Model):
    """One of the six ways: a behaviour, scored by the mean of its questions."""

    instrument = models.ForeignKey(Instrument, on_delete=models.CASCADE, related_name="sections")
    key = models.CharField(max_length=10)
    position = models.PositiveSmallIntegerField()
    short_title = models.CharField(max_length=200)
    title = models.CharField(max_length=200)
    guidance = models.TextField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["instrument", "key"], name="section_instrument_key")
        ]
        ordering = ["position"]

    def __str__(self) -> str:
        return f"{self.key} {self.title}"


class Question(models.Model):
    instrument = models.ForeignKey(Instrument, on_delete=models.CASCADE, related_name="questions")
    section = models.ForeignKey(Section, on_delete=models.CASCADE, related_name="questions")
    key = models.CharField(max_length=10)
    position = models.PositiveSmallIntegerField()
    text = models.TextField()
    hint = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["instrument", "key"], name="question_instrument_key")
        ]
        ordering = ["section__position", "position"]

    def __str__(self) -> str:
        return f"{self.key} {self.text}"


class Resource(models.Model):
    """Further reading offered where partners answered No."""

    instrument = models.ForeignKey(Instrument, on_delete=models.CASCADE, related_name="resources")
    position = models.PositiveSmallIntegerField()
    title = models.CharField(max_length=300)
    url = models.URLField(blank=True)
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["position"]

    def __str__(self) -> str:
        return self.title
