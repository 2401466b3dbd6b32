"""The bridge from Django forms to NHS.UK frontend macros.

Templates call `{{ field(form["name"]) }}` (templates/design/fields.jinja) and never map markup
by hand. The question, hint and error a macro needs come from the form field itself. Views
render a page of forms with `form_page`, which fills in the error summary and the status.
"""

import datetime

from django import forms
from django.forms import BoundField
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


class DateParts(forms.Widget):
    """A date as the NHS date input asks for it: day, month and year in three boxes, named
    `<field>-day`, `<field>-month` and `<field>-year`. It gives the form "YYYY-M-D", which a
    DateField with the "%Y-%m-%d" format reads, so a date that does not exist (31 2 2027) or a
    box left empty is the field's own "invalid" error."""

    PARTS = ("day", "month", "year")

    def value_from_datadict(self, data, files, name):
        day, month, year = (str(data.get(f"{name}-{part}", "")).strip() for part in self.PARTS)
        if not (day or month or year):
            return None
        return f"{year}-{month}-{day}"

    def value_omitted_from_data(self, data, files, name):
        return not any(f"{name}-{part}" in data for part in self.PARTS)

    def parts(self, bound: BoundField) -> tuple[str, str, str]:
        """What each box shows: what was typed, or the saved date."""
        if bound.form.is_bound:
            return tuple(
                str(bound.form.data.get(f"{bound.html_name}-{part}", "")) for part in self.PARTS
            )
        value = bound.value()
        if isinstance(value, str):
            try:
                value = datetime.date.fromisoformat(value)
            except ValueError:
                return ("", "", "")
        if not isinstance(value, datetime.date):
            return ("", "", "")
        return (str(value.day), str(value.month), str(value.year))


def date_field(label: str, what: str, **kwargs) -> forms.DateField:
    """A date in the NHS date input, with the NHS wording for its errors. `what` names it in
    them: "Enter the closing date"."""
    return forms.DateField(
        label=label,
        widget=DateParts,
        input_formats=["%Y-%m-%d"],
        error_messages={
            "required": f"Enter the {what}",
            "invalid": f"The {what} must be a real date, for example 27 3 2027",
        },
        **kwargs,
    )


def field_params(bound: BoundField, *, legend_size: str = "s") -> dict:
    """Parameters for the NHS macro that renders this field's widget."""
    widget = bound.field.widget
    params: dict = {"name": bound.html_name}
    if bound.help_text:
        params["hint"] = {"text": str(bound.help_text)}
    if bound.errors:
        params["errorMessage"] = {"text": " ".join(bound.errors)}
    value = bound.value()
    label = str(bound.label)

    if isinstance(widget, DateParts):
        params.pop("name")
        params["id"] = bound.auto_id
        params["fieldset"] = {"legend": {"text": label, "size": legend_size}}
        params["items"] = [
            {
                "id": f"{bound.auto_id}-{part}",
                "name": f"{bound.html_name}-{part}",
                "label": part.capitalize(),
                "value": typed,
                "width": 4 if part == "year" else 2,
            }
            for part, typed in zip(DateParts.PARTS, widget.parts(bound), strict=True)
        ]
        return {"macro": "dateInput", "params": params}
    if isinstance(widget, forms.RadioSelect):
        # Checkboxes too: Django's CheckboxSelectMultiple is a RadioSelect that takes a list.
        several = isinstance(widget, forms.CheckboxSelectMultiple)
        chosen = {str(v) for v in (value or [])} if several else {str(value or "")}
        # The first item takes the id itself, so the error summary can link straight to it.
        params["idPrefix"] = bound.auto_id
        params["fieldset"] = {"legend": {"text": label, "size": legend_size}}
        if widget.attrs.get("class"):  # nhsuk-radios--inline, say
            params["classes"] = widget.attrs["class"]
        # A field may carry a hint for each choice: {value: hint}.
        hints = getattr(bound.field, "item_hints", {})
        params["items"] = [
            {"value": str(v), "text": str(text), "checked": str(v) in chosen}
            | ({"hint": {"text": str(hints[v])}} if v in hints else {})
            for v, text in bound.field.choices
        ]
        return {"macro": "checkboxes" if several else "radios", "params": params}
    params["id"] = bound.auto_id
    if isinstance(widget, forms.Textarea):
        params.update(label={"text": label}, value=value or "", rows=widget.attrs.get("rows", 5))
        return {"macro": "textarea", "params": params}
    if isinstance(widget, forms.Select):
        params.update(
            label={"text": label},
            items=[
                {"value": str(v), "text": str(text), "selected": str(v) == str(value or "")}
                for v, text in bound.field.choices
            ],
        )
        return {"macro": "select", "params": params}
    params.update(
        label={"text": label},
        value=value or "",
        type=getattr(widget, "input_type", "text"),
        autocomplete=widget.attrs.get("autocomplete"),
    )
    return {"macro": "input", "params": params}


def error_list(*forms_: forms.Form) -> list[dict]:
    """The error summary's entries, each linking to the field it is about."""
    entries = []
    for form in forms_:
        for error in form.non_field_errors():
            entries.append({"text": str(error), "href": "#maincontent"})
        for name, errors in form.errors.items():
            if name == forms.forms.NON_FIELD_ERRORS:
                continue
            # A date's error links to its first box, the day.
            day = "-day" if isinstance(form.fields[name].widget, DateParts) else ""
            entries.append({"text": " ".join(errors), "href": f"#{form[name].auto_id}{day}"})
    return entries


def form_page(
    request: HttpRequest,
    template: str,
    context: dict,
    *forms_: forms.Form,
    status: int | None = None,
) -> HttpResponse:
    """Render a page of forms with its error summary: 400 when there are errors, else 200.

    Errors a view has already put in `context["errors"]` (a failed save, say) are shown as they
    are; otherwise the summary lists the forms' own errors. `status` overrides the code, for a
    page whose problem is not the input (someone else saved first).
    """
    if not context.get("errors"):
        context["errors"] = error_list(*forms_) if any(f.errors for f in forms_) else []
    if status is None:
        status = 400 if context["errors"] else 200
    return render(request, template, context, status=status)
