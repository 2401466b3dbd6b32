from django import forms

from sixways.rounds.forms import answer_field, comment_field, question_field_name

from .models import Workshop, normalise_code


class StartForm(forms.Form):
    pace = forms.ChoiceField(
        label="How will the room answer?",
        choices=[
            (
                Workshop.Pace.QUESTION,
                "Question by question: everyone votes on one question, you show the answers, "
                "the room agrees, then the next",
            ),
            (
                Workshop.Pace.SECTION,
                "A behaviour at a time: everyone answers a behaviour's questions, then the "
                "room discusses them, the most divided first",
            ),
        ],
        widget=forms.RadioSelect,
        error_messages={"required": "Select how the room will answer"},
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "%s")
        super().__init__(*args, **kwargs)


class CodeForm(forms.Form):
    code = forms.CharField(
        label="Workshop code",
        help_text="The 6 letters and numbers on the screen in the room.",
        max_length=20,
        error_messages={"required": "Enter the workshop code"},
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "%s")
        super().__init__(*args, **kwargs)

    def clean_code(self):
        return normalise_code(self.cleaned_data["code"])


class SeatForm(forms.Form):
    organisation = forms.ModelChoiceField(
        label="Which organisation are you from? (optional)",
        help_text="Only to show how each organisation sees things, where enough people from "
        "it take part. Nobody sees how you voted.",
        queryset=None,
        required=False,
        empty_label="I would rather not say",
        blank=True,
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": "Select an organisation from the list"},
    )

    def __init__(self, *args, organisations, **kwargs):
        kwargs.setdefault("auto_id", "%s")
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = organisations


class VoteForm(forms.Form):
    """The open questions, word for word, with the four answers as radios: the participant
    journey's own question fields, each needing an answer here."""

    def __init__(self, *args, questions, options, partnership, current: dict[int, str], **kwargs):
        kwargs.setdefault("auto_id", "%s")
        super().__init__(*args, **kwargs)
        self.questions = {question_field_name(q): q for q in questions}
        self.options = {o.key: o for o in options}
        for name, question in self.questions.items():
            field = answer_field(question, options, partnership)
            field.required = True
            field.initial = current.get(question.pk)
            field.error_messages["required"] = f"Select an answer for question {question.key}"
            self.fields[name] = field

    def answers(self) -> dict:
        return {q: self.options[self.cleaned_data[name]] for name, q in self.questions.items()}


class CommentForm(forms.Form):
    """The room's comment on a behaviour, saved into the agreed answers."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)

    def __init__(self, *args, section, **kwargs):
        kwargs.setdefault("auto_id", "%s")
        super().__init__(*args, **kwargs)
        self.fields["text"] = comment_field(
            section, rows=3, help_text="What the room said, in a few words, for the results."
        )
