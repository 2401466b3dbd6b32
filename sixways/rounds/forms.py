import re

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils import timezone

from sixways.design.forms import date_field
from sixways.design.text import TypedText
from sixways.instruments.models import Instrument, Option, Question, Section
from sixways.partnerships.models import Level, Partnership

from .models import Mode, Round

COMMENT_MAX = 2000


def question_field_name(question: Question) -> str:
    return "q" + question.key.replace(".", "_")


def ics_hint(question: Question, partnership: Partnership | None) -> str:
    """Some questions say "your ICS". A partnership below the system reads them as itself:
    the hint says so, and the question stays word for word."""
    if partnership is None or partnership.level == Level.SYSTEM or "ICS" not in question.text:
        return ""
    return (
        f"{partnership.name} works at {partnership.get_level_display().lower()} level: "
        "read ‘ICS’ as your partnership."
    )


def answer_field(
    question: Question, options: list[Option], partnership: Partnership | None = None
) -> forms.ChoiceField:
    """One question as a radio group. Optional, so a draft can be saved part-way."""
    labels = ", ".join(o.label for o in options[:-1]) + f" or {options[-1].label}"
    return forms.ChoiceField(
        label=f"{question.key} {question.text}",
        help_text=" ".join(filter(None, [question.hint, ics_hint(question, partnership)])),
        choices=[(o.key, o.label) for o in options],
        widget=forms.RadioSelect,
        required=False,
        error_messages={"invalid_choice": f"Select {labels} for question {question.key}"},
    )


def comment_field(section: Section, rows: int = 5, help_text: str = "") -> forms.CharField:
    return forms.CharField(
        label=f"Comments on ‘{section.title}’ (optional)",
        help_text=help_text,
        widget=forms.Textarea(attrs={"rows": rows}),
        required=False,
        max_length=COMMENT_MAX,
        validators=[TypedText("Comments")],
        error_messages={
            "max_length": f"Comments must be {COMMENT_MAX:,} characters or fewer "
            "(you have %(show_value)d)",
        },
    )


class SectionForm(forms.Form):
    """One behaviour's questions as radio groups, and its optional comments box.

    Every question is optional here so a draft can be saved part-way; `missing()` says which are
    still unanswered when the person wants to move on.
    """

    def __init__(
        self,
        section: Section,
        questions: list[Question],
        options: list[Option],
        *args,
        partnership: Partnership | None = None,
        **kwargs,
    ):
        kwargs.setdefault("auto_id", "%s")
        super().__init__(*args, **kwargs)
        self.section = section
        self.questions = questions
        self.options_by_key = {option.key: option for option in options}
        for question in questions:
            self.fields[question_field_name(question)] = answer_field(
                question, options, partnership
            )
        self.fields["comment"] = comment_field(
            section, help_text="Explain your answers if you want to. Do not name individual people."
        )

    def answers(self) -> dict[Question, Option]:
        """The valid answers given on this page, by question."""
        return {
            question: self.options_by_key[self.cleaned_data[question_field_name(question)]]
            for question in self.questions
            if self.cleaned_data.get(question_field_name(question))
        }

    def missing(self, already: set[int]) -> list[Question]:
        """Questions with no answer on this page nor saved before."""
        given = self.answers()
        return [q for q in self.questions if q not in given and q.pk not in already]

    def require(self, questions: list[Question]) -> None:
        for question in questions:
            self.add_error(
                question_field_name(question), f"Select an answer for question {question.key}"
            )


def reason_field(label: str, required_message: str) -> forms.CharField:
    return forms.CharField(
        label=label,
        help_text="This is kept with the round, so others can see why.",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=500,
        validators=[TypedText("The reason")],
        error_messages={
            "required": required_message,
            "max_length": "The reason must be 500 characters or fewer",
        },
    )


class RoundForm(forms.ModelForm):
    organisations = forms.ModelMultipleChoiceField(
        queryset=None,
        label="Partner organisations taking part",
        help_text="Those in the last round are selected, and any partner added since.",
        widget=forms.CheckboxSelectMultiple,
        required=False,
        error_messages={"invalid_choice": "Select partner organisations from the list"},
    )

    class Meta:
        model = Round
        fields = ["title", "instrument", "mode", "opens_on", "closes_on", "organisations"]
        labels = {
            "title": "Name of the round",
            "instrument": "Questions",
            "mode": "How will people answer?",
        }
        help_texts = {"title": "For example, Spring 2027"}
        widgets = {"mode": forms.RadioSelect}
        error_messages = {
            "title": {
                "required": "Enter a name for the round",
                "max_length": "The name must be 200 characters or fewer",
            },
            "instrument": {"required": "Select the questions to use"},
            "mode": {"required": "Select how people will answer"},
        }

    opens_on = date_field("Opening date", "opening date")
    closes_on = date_field("Closing date", "closing date", help_text="The last day to answer.")

    def __init__(self, *args, organisations, **kwargs):
        kwargs.setdefault("auto_id", "%s")
        super().__init__(*args, **kwargs)
        self.fields["title"].validators.append(TypedText("The name", line_breaks=False))
        self.fields["instrument"].queryset = Instrument.objects.all()
        self.fields["instrument"].empty_label = None
        self.fields["mode"].choices = Mode.choices
        k = settings.MIN_GROUP_SIZE
        self.fields["mode"].item_hints = {
            Mode.COLLECTIVE: "For a workshop or meeting: you record the answers the partners "
            "agree together. Results show once you have recorded them.",
            Mode.ORGANISATIONAL: "Each organisation agrees one set of answers, through its own "
            "link. Best when partners are small: every organisation is shown.",
            Mode.INDIVIDUAL: f"Anyone at each partner answers on their own, anonymously. "
            f"Results show only when the round closes with at least {k} responses, and an "
            f"organisation is shown on its own only with {k} or more of its people; smaller "
            "ones are counted together.",
        }
        self.fields["organisations"].queryset = organisations

    def clean(self):
        data = super().clean()
        opens_on, closes_on = data.get("opens_on"), data.get("closes_on")
        if opens_on and closes_on and closes_on < opens_on:
            self.add_error("closes_on", "The closing date must be on or after the opening date")
        elif closes_on and closes_on < timezone.localdate():
            self.add_error("closes_on", "The closing date must be today or in the future")
        mode = data.get("mode")
        if mode and mode != Mode.COLLECTIVE and not data.get("organisations"):
            self.add_error("organisations", "Select the partner organisations that will take part")
        return data


class CloseForm(forms.Form):
    reason = reason_field(
        "Why are you closing the round early?", "Enter why you are closing the round early"
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "%s")
        super().__init__(*args, **kwargs)


class ReopenForm(forms.Form):
    closes_on = date_field(
        "New closing date", "new closing date", help_text="The last day to answer."
    )
    reason = reason_field(
        "Why are you reopening the round?", "Enter why you are reopening the round"
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "%s")
        super().__init__(*args, **kwargs)

    def clean_closes_on(self):
        closes_on = self.cleaned_data["closes_on"]
        if closes_on < timezone.localdate():
            raise ValidationError("The new closing date must be today or in the future")
        return closes_on


INVITE_MAX = 500


class InviteForm(forms.Form):
    organisation = forms.ModelChoiceField(
        queryset=None,
        label="Organisation",
        empty_label="Select an organisation",
        error_messages={
            "required": "Select the organisation these people are from",
            "invalid_choice": "Select an organisation from the list",
        },
    )
    emails = forms.CharField(
        label="Email addresses",
        help_text="One on each line, or separated by commas. Each person gets their own link.",
        widget=forms.Textarea(attrs={"rows": 8}),
        max_length=60_000,
        error_messages={
            "required": "Enter at least one email address",
            "max_length": f"Enter {INVITE_MAX} email addresses or fewer at a time",
        },
    )

    def __init__(self, *args, organisations, single: bool = False, **kwargs):
        kwargs.setdefault("auto_id", "%s")
        super().__init__(*args, **kwargs)
        self.single = single
        self.fields["organisation"].queryset = organisations
        if single:
            self.fields["emails"].label = "Email address"
            self.fields[
                "emails"
            ].help_text = "The person who will answer on behalf of the organisation."
            self.fields["emails"].widget = forms.EmailInput()

    def clean_emails(self):
        text = self.cleaned_data["emails"]
        emails, bad = [], []
        for item in re.split(r"[\s,;]+", text):
            if not item:
                continue
            # Addresses copied from Outlook come as "Name <name@example.com>".
            item = item.strip("<>\"'")
            try:
                validate_email(item)
            except ValidationError:
                bad.append(item)
                continue
            if item.lower() not in emails:
                emails.append(item.lower())
        if bad:
            shown = ", ".join(f"‘{b[:60]}’" for b in bad[:5])
            more = f" and {len(bad) - 5} more" if len(bad) > 5 else ""
            raise ValidationError(
                f"These are not email addresses: {shown}{more}. Check them and try again"
            )
        if not emails:
            raise ValidationError("Enter at least one email address")
        if self.single and len(emails) > 1:
            raise ValidationError(
                "Enter one email address: one person answers for each organisation"
            )
        if len(emails) > INVITE_MAX:
            raise ValidationError(f"Enter {INVITE_MAX} email addresses or fewer at a time")
        return emails


class AgreedForm(forms.Form):
    """Every question of the instrument and a comments box for each behaviour, on one page, for
    a facilitator recording what the partnership agreed. `version` catches two people saving
    at once."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)

    def __init__(self, sections, questions, options, *args, partnership=None, **kwargs):
        kwargs.setdefault("auto_id", "%s")
        super().__init__(*args, **kwargs)
        self.sections = sections
        self.questions = questions
        self.options_by_key = {option.key: option for option in options}
        for question in questions:
            self.fields[question_field_name(question)] = answer_field(
                question, options, partnership
            )
        for section in sections:
            self.fields[comment_field_name(section)] = comment_field(section, rows=4)

    def groups(self):
        """Each behaviour with its bound question fields and comment field, for the page."""
        return [
            {
                "section": section,
                "questions": [
                    self[question_field_name(q)]
                    for q in self.questions
                    if q.section_id == section.pk
                ],
                "comment": self[comment_field_name(section)],
            }
            for section in self.sections
        ]

    def answers(self) -> dict:
        return {
            question: self.options_by_key[self.cleaned_data[question_field_name(question)]]
            for question in self.questions
            if self.cleaned_data.get(question_field_name(question))
        }

    def comments(self) -> dict:
        return {
            section: self.cleaned_data[comment_field_name(section)] for section in self.sections
        }


def comment_field_name(section: Section) -> str:
    return f"comment_{section.key}"
