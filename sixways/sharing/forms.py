import datetime

from django import forms
from django.conf import settings
from django.utils import timezone

from sixways.design.forms import date_field

from .models import SECTIONS

YES_NO = [("yes", "Yes"), ("no", "No")]


class BoardLinkForm(forms.Form):
    """What a new board link shows, and for how long."""

    label = forms.CharField(
        label="Label",
        help_text="Who the link is for, so you can tell your links apart. For example, Board, "
        "12 March. It is shown at the top of the page the link opens.",
        max_length=100,
        error_messages={
            "required": "Enter a label for the link",
            "max_length": "The label must be 100 characters or fewer",
        },
    )
    sections = forms.MultipleChoiceField(
        label="What it shows",
        choices=list(SECTIONS.items()),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one thing for the link to show"},
    )
    comments = forms.ChoiceField(
        label="Show comments?",
        help_text="The first few comments on each behaviour, as the board report shows them. "
        "Partners often write candidly: think about who will read them.",
        choices=YES_NO,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose whether the link shows comments"},
    )
    kind = forms.ChoiceField(
        label="Live, or as it is now?",
        choices=[
            ("snapshot", "As it is now: the figures of today, kept, so it never changes"),
            ("live", "Live: the figures as they stand whenever it is opened"),
        ],
        widget=forms.RadioSelect,
        error_messages={"required": "Choose whether the link is live or kept as it is now"},
    )
    downloads = forms.ChoiceField(
        label="Can people download it as a PDF?",
        choices=YES_NO,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose whether people can download a PDF"},
    )
    expires_on = date_field(
        "Stops working on",
        "date the link stops working",
        help_text=f"At most a year from today. Most links are for one meeting: "
        f"{settings.BOARD_LINK_DAYS} days is usually plenty.",
    )

    def __init__(self, *args, shows_figures: bool = True, **kwargs):
        kwargs.setdefault("auto_id", "%s")
        super().__init__(*args, **kwargs)
        self.shows_figures = shows_figures

    @staticmethod
    def initial_values() -> dict:
        today = timezone.localdate()
        return {
            "sections": list(SECTIONS),
            "comments": "no",
            "kind": "snapshot",
            "downloads": "yes",
            "expires_on": today + datetime.timedelta(days=settings.BOARD_LINK_DAYS),
        }

    def clean_label(self) -> str:
        label = self.cleaned_data["label"].strip()
        if not label:
            raise forms.ValidationError("Enter a label for the link")
        return label

    def clean_expires_on(self) -> datetime.date:
        day = self.cleaned_data["expires_on"]
        today = timezone.localdate()
        if day <= today:
            raise forms.ValidationError("The date the link stops working must be in the future")
        if day > today + datetime.timedelta(days=settings.BOARD_LINK_MAX_DAYS - 1):
            raise forms.ValidationError(
                "The date the link stops working must be within a year of today"
            )
        return day

    def clean_kind(self) -> str:
        kind = self.cleaned_data["kind"]
        if kind == "snapshot" and not self.shows_figures:
            raise forms.ValidationError(
                "The round shows no figures yet, so a link kept as it is now would never show "
                "any. Choose live, or make the link when the round has results."
            )
        return kind

    def expires_at(self) -> datetime.datetime:
        """The end of the chosen day, in the service's time zone."""
        day = self.cleaned_data["expires_on"] + datetime.timedelta(days=1)
        return timezone.make_aware(datetime.datetime.combine(day, datetime.time()))
