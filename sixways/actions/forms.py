from django import forms
from django.utils import timezone

from sixways.design.forms import date_field
from sixways.design.text import TypedText

from .models import ENDED, Action, Status


class ActionForm(forms.ModelForm):
    """A new action on one behaviour. A facilitator may agree it at once; a partner lead only
    proposes one, for their own organisation (the view fixes both)."""

    due_on = date_field("Due date", "due date", help_text="When it should be done by.")

    class Meta:
        model = Action
        fields = [
            "title",
            "done_looks_like",
            "owner_name",
            "owner",
            "organisation",
            "due_on",
            "questions",
        ]
        labels = {
            "title": "What will be done",
            "done_looks_like": "What done looks like",
            "owner_name": "Who will see it through",
            "owner": "Their account in Six Ways (optional)",
            "organisation": "Partner organisation leading it (optional)",
            "questions": "Which questions it answers (optional)",
        }
        help_texts = {
            "title": "For example, ‘Give the voluntary sector the first item on every agenda’",
            "done_looks_like": "One line that anyone could check, for example ‘Every agenda "
            "since March starts with a voluntary sector item’",
            "owner_name": "A name or a role, for example ‘Chair of the place board’",
            "owner": "If they work on this partnership in Six Ways, they get an email a week "
            "before the due date, and one if it passes.",
        }
        widgets = {"questions": forms.CheckboxSelectMultiple}
        error_messages = {
            "title": {"required": "Enter what will be done"},
            "done_looks_like": {"required": "Enter what done looks like"},
            "owner_name": {"required": "Enter who will see it through"},
            "organisation": {"invalid_choice": "Select a partner organisation from the list"},
            "owner": {"invalid_choice": "Select a person from the list"},
            "questions": {"invalid_choice": "Select questions from the list"},
        }

    status = forms.ChoiceField(
        label="Is it agreed?",
        choices=[
            (Status.AGREED, "Agreed: the partnership has decided to do it"),
            (Status.PROPOSED, "Proposed: for the partnership to decide"),
        ],
        widget=forms.RadioSelect,
        initial=Status.AGREED,
        error_messages={"required": "Select whether the action is agreed"},
    )

    def __init__(
        self,
        *args,
        organisations,
        people,
        questions,
        may_agree: bool,
        editing: bool = False,
        **kwargs,
    ):
        kwargs.setdefault("auto_id", "%s")
        super().__init__(*args, **kwargs)
        for name, what in [
            ("title", "What will be done"),
            ("done_looks_like", "What done looks like"),
            ("owner_name", "Who will see it through"),
        ]:
            self.fields[name].validators.append(TypedText(what, line_breaks=False))
        self.fields["organisation"].queryset = organisations
        self.fields["organisation"].empty_label = "None"
        self.fields["owner"].queryset = people
        self.fields["owner"].empty_label = "None"
        self.fields["owner"].label_from_instance = lambda user: user.get_full_name() or user.email
        self.fields["questions"].queryset = questions
        if not may_agree:
            del self.fields["status"]
            del self.fields["organisation"]
        elif editing:
            del self.fields["status"]  # where it stands changes through an update, with a note

    def clean_due_on(self):
        due_on = self.cleaned_data["due_on"]
        unchanged = self.instance.pk is not None and due_on == self.instance.due_on
        if due_on < timezone.localdate() and not unchanged:
            raise forms.ValidationError("The due date must be today or in the future")
        return due_on


class UpdateForm(forms.Form):
    """A change to an action: its status, a note, and a new date if it slips."""

    status = forms.ChoiceField(
        label="Where it stands",
        choices=Status.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Select where the action stands"},
    )
    due_on = date_field(
        "New due date (optional)",
        "new due date",
        required=False,
        help_text="If it is still going but needs longer.",
    )
    note = forms.CharField(
        label="Note",
        help_text="What happened. Needed when the action is done or dropped: what came of it, "
        "or why it stopped.",
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=1000,
        validators=[TypedText("The note")],
        error_messages={"max_length": "The note must be 1,000 characters or fewer"},
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "%s")
        super().__init__(*args, **kwargs)

    def clean(self):
        data = super().clean()
        status, note = data.get("status"), (data.get("note") or "").strip()
        if status in ENDED and not note:
            what = "done" if status == Status.DONE else "dropped"
            self.add_error("note", f"Enter a note on why the action is {what}")
        due_on = data.get("due_on")
        if due_on and due_on < timezone.localdate():
            self.add_error("due_on", "The new due date must be today or in the future")
        return data


class ReviewForm(UpdateForm):
    """An open action looked back on at the start of a new round: done, still going (perhaps
    with a new date) or dropped."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [
            (Status.DONE, "Done"),
            (Status.IN_PROGRESS, "Still going"),
            (Status.DROPPED, "Dropped"),
        ]
        self.fields["status"].label = "What came of it?"
