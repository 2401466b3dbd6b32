import unicodedata

from django import forms
from django.core.exceptions import ValidationError

from sixways.instruments.models import Option, Question, Section

COMMENT_MAX = 2000


def no_control_characters(value: str) -> None:
    """Typed text may hold line breaks and tabs, but no other control characters: they break
    exports and can hide text from the people reading it."""
    if any(unicodedata.category(c) == "Cc" and c not in "\n\r\t" for c in value):
        raise ValidationError("Comments must not contain hidden control characters")


def question_field_name(question: Question) -> str:
    return "q" + question.key.replace(".", "_")


class SectionForm(forms.Form):
    """One behaviour's questions as radio groups, and its optional comments box.

    Every question is optional here so a draft can be saved part-way; `missing()` says which are
    still unanswered when the person wants to move on.
    """

    def __init__(
        self, section: Section, questions: list[Question], options: list[Option], *args, **kwargs
    ):
        kwargs.setdefault("auto_id", "%s")
        super().__init__(*args, **kwargs)
        self.section = section
        self.questions = questions
        self.options_by_key = {option.key: option for option in options}
        labels = ", ".join(o.label for o in options[:-1]) + f" or {options[-1].label}"
        for question in questions:
            self.fields[question_field_name(question)] = forms.ChoiceField(
                label=f"{question.key} {question.text}",
                help_text=question.hint,
                choices=[(o.key, o.label) for o in options],
                widget=forms.RadioSelect,
                required=False,
                error_messages={
                    "invalid_choice": f"Select {labels} for question {question.key}",
                },
            )
        self.fields["comment"] = forms.CharField(
            label=f"Comments on ‘{section.title}’ (optional)",
            help_text="Explain your answers if you want to. Do not name individual people.",
            widget=forms.Textarea(attrs={"rows": 5}),
            required=False,
            max_length=COMMENT_MAX,
            validators=[no_control_characters],
            error_messages={
                "max_length": f"Comments must be {COMMENT_MAX:,} characters or fewer "
                "(you have %(show_value)d)",
            },
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
