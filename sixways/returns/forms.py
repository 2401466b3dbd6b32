from django import forms

from sixways.instruments.shape import Shape
from sixways.rounds.forms import answer_field, comment_field
from sixways.rounds.models import Round

from .batch import same_code
from .checking import REFERENCE_MAX, Row


class UploadForm(forms.Form):
    file = forms.FileField(
        label="Upload a file of returns",
        help_text="An Excel workbook (.xlsx) or a CSV file, laid out as this round's template.",
        error_messages={
            "required": "Choose a file to upload",
            "empty": "The file is empty",
            "invalid": "Choose a file to upload",
        },
    )


def question_name(key: str) -> str:
    return "q" + key.replace(".", "_")


class PaperReturnForm(forms.Form):
    """One paper return: every question, its organisation, comments, reference and batch."""

    def __init__(self, round_: Round, structure: Shape, *args, **kwargs):
        kwargs.setdefault("auto_id", "%s")
        super().__init__(*args, **kwargs)
        self.round = round_
        self.structure = structure
        organisations = list(round_.organisations.order_by("name").values_list("pk", "name"))
        self.one_each = round_.mode == "organisational"
        self.fields["organisation"] = forms.TypedChoiceField(
            label="Which organisation is it from?",
            choices=[
                ("", "Choose the organisation" if self.one_each else "Not given"),
                *organisations,
            ],
            coerce=int,
            empty_value=None,
            required=self.one_each,
            error_messages={
                "required": "Choose the organisation the return is from",
                "invalid_choice": "Choose one of the round's organisations",
            },
        )
        for question in structure.questions:
            answer = answer_field(question, structure.options, round_.partnership)
            answer.required = True
            answer.error_messages["required"] = f"Select an answer for question {question.key}"
            answer.widget.attrs["class"] = "nhsuk-radios--inline"
            self.fields[question_name(question.key)] = answer
        for section in structure.sections:
            self.fields[f"comment_{section.key}"] = comment_field(section, rows=3)
        self.fields["reference"] = forms.CharField(
            label="Return reference (optional)",
            help_text="If the form has a number or code written on it. A reference can be used "
            "once in a round, so the same return is never entered twice.",
            required=False,
            max_length=REFERENCE_MAX,
            error_messages={
                "max_length": f"The reference must be {REFERENCE_MAX} characters or fewer"
            },
        )
        self.fields["batch"] = forms.CharField(
            label="Batch code on the form (optional)",
            help_text="Printed at the top of every page of the paper form.",
            required=False,
            max_length=20,
            error_messages={"max_length": "The batch code must be 20 characters or fewer"},
        )

    def clean_batch(self) -> str:
        batch = self.cleaned_data["batch"].strip()
        if batch and not same_code(batch, self.round):
            raise forms.ValidationError(
                "That batch code is not this round's: check the form is for this round"
            )
        return batch

    def clean_reference(self) -> str:
        reference = self.cleaned_data["reference"].strip()
        if any(not c.isprintable() for c in reference):
            raise forms.ValidationError("The reference must be one line of text")
        return reference

    def row(self) -> Row:
        data = self.cleaned_data
        options = {o.key: o.pk for o in self.structure.options}
        return Row(
            number=1,
            organisation=data["organisation"],
            answers={q.pk: options[data[question_name(q.key)]] for q in self.structure.questions},
            comments={
                s.pk: data[f"comment_{s.key}"].strip()
                for s in self.structure.sections
                if data[f"comment_{s.key}"].strip()
            },
            reference=data["reference"],
            batch=data["batch"],
        )
