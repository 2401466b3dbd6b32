import csv
import io
import re

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q

from sixways.design.text import TypedText, hidden_characters

from .models import PARENT_LEVELS, Level, Partnership, Sector

NAME_MAX = 200
CODE_MAX = 20
# ODS codes (RXX, A81001), GSS codes (E06000001) and CQC IDs (1-101234567) are letters,
# digits and hyphens.
CODE_PATTERN = re.compile(r"^[A-Za-z0-9-]+$")
IMPORT_MAX_BYTES = 1024 * 1024
IMPORT_MAX_ROWS = 1000
IMPORT_COLUMNS = ("name", "sector", "code")


# Names are one line: no line breaks or tabs either.
valid_name = TypedText("The name", line_breaks=False)


def sector_from_text(text: str) -> str | None:
    """A sector from its key (`nhs-trust`) or its name (`NHS trust`), in any case."""
    wanted = " ".join(text.split()).casefold()
    for sector in Sector:
        if wanted in (sector.value, sector.label.casefold()):
            return sector.value
    return None


def clean_code(code: str) -> str:
    """Codes are compared without case; ODS and GSS codes are written in capitals."""
    return code.strip().upper()


class PartnershipForm(forms.ModelForm):
    class Meta:
        model = Partnership
        fields = ["name", "level", "parent"]
        labels = {
            "name": "Name of the partnership",
            "level": "Level",
            "parent": "Part of (optional)",
        }
        help_texts = {
            "name": "For example, Northdale Place Partnership",
            "parent": "A place can be part of a system, and a neighbourhood part of a place. "
            "Only partnerships you facilitate are listed.",
        }
        widgets = {"level": forms.RadioSelect}
        error_messages = {
            "name": {
                "required": "Enter the name of the partnership",
                "max_length": f"The name must be {NAME_MAX} characters or fewer",
            },
            "level": {"required": "Select the level of the partnership"},
            "parent": {
                "invalid_choice": "Select a partnership you facilitate from the list, or "
                "‘Not part of another partnership’"
            },
        }

    def __init__(self, *args, parents, **kwargs):
        """`parents`: the partnerships this person facilitates. Putting a partnership inside
        another changes the other's family, so reading it is not enough. A parent set before
        stays on offer, so the details can be changed without leaving it."""
        kwargs.setdefault("auto_id", "%s")
        super().__init__(*args, **kwargs)
        self.fields["name"].validators.append(valid_name)
        self.fields["level"].choices = Level.choices
        # Never this one or one inside it. The parent already set is part of this
        # partnership's own details, which its facilitator reads on its page.
        if self.instance.pk:
            parents = Partnership.objects.filter(
                Q(pk__in=parents.values("pk")) | Q(pk=self.instance.parent_id)
            ).exclude(pk__in=self.instance_and_descendants())
        self.fields["parent"].queryset = parents
        self.fields["parent"].empty_label = "Not part of another partnership"

    def instance_and_descendants(self) -> set[int]:
        found, frontier = {self.instance.pk}, [self.instance.pk]
        while frontier:
            frontier = list(
                Partnership.objects.filter(parent__in=frontier).values_list("pk", flat=True)
            )
            found.update(frontier)
        return found

    def clean(self):
        data = super().clean()
        level, parent = data.get("level"), data.get("parent")
        if level and parent and parent.level not in PARENT_LEVELS[level]:
            allowed = PARENT_LEVELS[level]
            if allowed:
                names = " or ".join(Level(a).label.lower() for a in allowed)
                message = f"A {Level(level).label.lower()} can only be part of a {names}"
            else:
                message = f"An {Level(level).label.lower()} is not part of another partnership"
            self.add_error("parent", message)
        return data


class OrganisationForm(forms.Form):
    name = forms.CharField(
        label="Name of the organisation",
        max_length=NAME_MAX,
        validators=[valid_name],
        error_messages={
            "required": "Enter the name of the organisation",
            "max_length": f"The name must be {NAME_MAX} characters or fewer",
        },
    )
    sector = forms.ChoiceField(
        label="Sector",
        choices=Sector.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": "Select the organisation's sector",
            "invalid_choice": "Select the organisation's sector",
        },
    )
    code = forms.CharField(
        label="Code (optional)",
        help_text="An Organisation Data Service (ODS) code, a local authority Government "
        "Statistical Service (GSS) code or a Care Quality Commission (CQC) ID. An organisation "
        "that is already in the service with this code is added as it is.",
        required=False,
        max_length=CODE_MAX,
        error_messages={"max_length": f"The code must be {CODE_MAX} characters or fewer"},
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "%s")
        super().__init__(*args, **kwargs)

    def clean_code(self):
        code = clean_code(self.cleaned_data["code"])
        if code and not CODE_PATTERN.match(code):
            raise ValidationError("The code can only contain letters, numbers and hyphens")
        return code


class ImportForm(forms.Form):
    """A CSV file of partner organisations: columns name, sector and code (optional)."""

    file = forms.FileField(
        label="Upload a CSV file",
        help_text="The first row must be the headings name, sector and code.",
        error_messages={
            "required": "Select a CSV file",
            "empty": "The selected file is empty",
            "invalid": "Select a CSV file",
        },
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "%s")
        super().__init__(*args, **kwargs)
        self.rows: list[dict] = []
        self.problems: list[str] = []

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > IMPORT_MAX_BYTES:
            raise ValidationError("The selected file must be smaller than 1 MB")
        raw = upload.read()
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ValidationError(
                "The selected file is not UTF-8 text. In Excel, save it as ‘CSV UTF-8’"
            ) from None
        self.rows, self.problems = parse_partners(text)
        return upload


def parse_partners(text: str) -> tuple[list[dict], list[str]]:
    """Rows ready to import, and every problem found, each naming its row and column.

    Row numbers are as a spreadsheet shows them: the headings are row 1.
    """
    problems: list[str] = []
    try:
        lines = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as error:
        return [], [f"The file could not be read as CSV: {error}"]
    lines = [line for line in lines if any(cell.strip() for cell in line)]
    if not lines:
        return [], ["The file has no rows"]
    headings = [h.strip().casefold() for h in lines[0]]
    for column in ("name", "sector"):
        if column not in headings:
            problems.append(f"Row 1: the file needs a column headed ‘{column}’")
    for heading in headings:
        if heading not in IMPORT_COLUMNS:
            problems.append(
                f"Row 1: ‘{heading}’ is not a column we know. Use name, sector and code"
            )
    if len(set(headings)) != len(headings):
        problems.append("Row 1: each heading must appear only once")
    if problems:
        return [], problems
    if len(lines) == 1:
        return [], ["The file has headings but no organisations"]
    if len(lines) - 1 > IMPORT_MAX_ROWS:
        return [], [f"The file has more than {IMPORT_MAX_ROWS:,} organisations"]

    rows, seen_names, seen_codes = [], {}, {}
    for number, line in enumerate(lines[1:], start=2):
        if len(line) > len(headings):
            problems.append(f"Row {number}: there are more values than headings")
            continue
        cells = dict(zip(headings, [c.strip() for c in line], strict=False))
        name = " ".join(cells.get("name", "").split())
        sector_text = cells.get("sector", "")
        code = clean_code(cells.get("code", ""))
        if not name:
            problems.append(f"Row {number}, column name: enter the organisation's name")
        elif len(name) > NAME_MAX:
            problems.append(
                f"Row {number}, column name: the name must be {NAME_MAX} characters or fewer"
            )
        elif hidden := hidden_characters(name, line_breaks=False):
            problems.append(f"Row {number}, column name: remove the {hidden}")
        elif name.casefold() in seen_names:
            problems.append(
                f"Row {number}, column name: ‘{name}’ is already on row {seen_names[name.casefold()]}"
            )
        else:
            seen_names[name.casefold()] = number
        sector = sector_from_text(sector_text)
        if not sector_text:
            problems.append(f"Row {number}, column sector: enter the organisation's sector")
        elif sector is None:
            problems.append(
                f"Row {number}, column sector: ‘{sector_text[:50]}’ is not a sector. Use one of: "
                + ", ".join(s.label for s in Sector)
            )
        if code:
            if len(code) > CODE_MAX:
                problems.append(
                    f"Row {number}, column code: the code must be {CODE_MAX} characters or fewer"
                )
            elif not CODE_PATTERN.match(code):
                problems.append(
                    f"Row {number}, column code: the code can only contain letters, numbers "
                    "and hyphens"
                )
            elif code in seen_codes:
                problems.append(
                    f"Row {number}, column code: {code} is already on row {seen_codes[code]}"
                )
            else:
                seen_codes[code] = number
        rows.append({"row": number, "name": name, "sector": sector, "code": code})
    return ([] if problems else rows), problems


def _yes_no(label: str, yes: str, no: str, hint: str) -> forms.TypedChoiceField:
    # Radios rather than a checkbox: each answer says what it means.
    return forms.TypedChoiceField(
        label=label,
        help_text=hint,
        choices=[("yes", yes), ("no", no)],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
        error_messages={"required": f"Select whether to {label[0].lower()}{label[1:]}"},
    )


class SharingForm(forms.ModelForm):
    """What the parent partnership may read of this one's closed rounds."""

    figures_to_parent = _yes_no(
        "Share our figures",
        "Yes, share our figures",
        "No, keep them to ourselves",
        "Each closed round's score for each behaviour, its number of responses and how it was "
        "answered, exactly as our own results show them.",
    )
    comments_to_parent = _yes_no(
        "Share our comments",
        "Yes, share our comments too",
        "No, keep our comments to ourselves",
        "The comments people wrote in our latest closed round, as our own results show them: "
        "never with a person's name, and with an organisation's only where our results name it.",
    )

    class Meta:
        model = Partnership
        fields = ["figures_to_parent", "comments_to_parent"]

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "%s")
        super().__init__(*args, **kwargs)
        for name in self.fields:
            self.initial[name] = "yes" if getattr(self.instance, name) else "no"

    def clean(self):
        data = super().clean()
        if data.get("comments_to_parent") and not data.get("figures_to_parent"):
            self.add_error(
                "comments_to_parent", "Comments can only be shared with the figures they go with"
            )
        return data


class BenchmarkForm(forms.Form):
    take_part = _yes_no(
        "Take part in the benchmark",
        "Yes, take part",
        "No, do not take part",
        "You can stop at any time: what was shared before stays in the snapshots already "
        "taken, and nothing more is shared.",
    )
