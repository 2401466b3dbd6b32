"""API tokens for a partnership: its facilitators list, make and revoke them; and the API's help
page (docs/api.md).

The partnership is fetched through `Partnership.objects.for_user(user, CHANGERS)`, so anyone
else, observers included, gets 404 as on the partnership's other pages that change things. A
token is shown once, on the page that answers the form that made it: only its hash is kept
(docs/adr/0017), so nobody can show it again, and nothing holds it after that page.
"""

import datetime

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_safe

from sixways.core import audit
from sixways.design.forms import date_field, form_page
from sixways.design.text import TypedText
from sixways.partnerships.models import Partnership
from sixways.partnerships.roles import CHANGERS

from . import tables
from .api import rate_words
from .models import ApiToken

MAX_DAYS = 731  # two years: a token is renewed at least that often


class TokenForm(forms.Form):
    name = forms.CharField(
        label="Name",
        help_text="What it is for, so you can tell your tokens apart. For example, ‘Board "
        "dashboard in Power BI’.",
        max_length=100,
        validators=[TypedText("The name", line_breaks=False)],
        error_messages={
            "required": "Enter a name for the token",
            "max_length": "The name must be 100 characters or fewer",
        },
    )
    include_children = forms.TypedChoiceField(
        label="Include the partnerships within this one",
        help_text="Their closed rounds' figures for each partnership as a whole, where they "
        "share their figures with this partnership: never their organisations, action plans "
        "or comments.",
        choices=[
            ("no", "No, only this partnership"),
            ("yes", "Yes, include the partnerships within it"),
        ],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
        error_messages={"required": "Select whether to include the partnerships within this one"},
    )
    expires_on = date_field(
        "Expiry date",
        "expiry date",
        help_text="The token stops working at the end of this day: at most two years from "
        "today. For example, 27 3 2027.",
    )

    def __init__(self, *args, has_children: bool, **kwargs):
        super().__init__(*args, **kwargs)
        if not has_children:
            del self.fields["include_children"]

    def clean_expires_on(self) -> datetime.date:
        day = self.cleaned_data["expires_on"]
        today = timezone.localdate()
        if day <= today:
            raise forms.ValidationError("The expiry date must be in the future")
        if day > today + datetime.timedelta(days=MAX_DAYS):
            latest = today + datetime.timedelta(days=MAX_DAYS)
            raise forms.ValidationError(
                f"The expiry date must be no later than {latest:%-d %B %Y}: two years from today"
            )
        return day


def _partnership(request: HttpRequest, partnership_id: int) -> Partnership:
    return get_object_or_404(
        Partnership.objects.for_user(request.user, CHANGERS), pk=partnership_id
    )


@require_safe
@login_required
def token_list(request: HttpRequest, partnership_id: int) -> HttpResponse:
    partnership = _partnership(request, partnership_id)
    tokens = ApiToken.objects.filter(partnership=partnership).select_related("created_by")
    return render(
        request,
        "sharing/api_tokens.jinja",
        {"partnership": partnership, "tokens": tokens},
    )


@login_required
@require_http_methods(["GET", "POST"])
def create(request: HttpRequest, partnership_id: int) -> HttpResponse:
    partnership = _partnership(request, partnership_id)
    has_children = partnership.children.exists()
    default = timezone.localdate() + datetime.timedelta(days=min(settings.API_TOKEN_DAYS, MAX_DAYS))
    form = TokenForm(
        request.POST if request.method == "POST" else None,
        initial={"expires_on": default, "include_children": "no"},
        has_children=has_children,
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        end = datetime.datetime.combine(data["expires_on"], datetime.time(23, 59, 59))
        with transaction.atomic():
            token, secret = ApiToken.issue(
                partnership,
                name=data["name"],
                include_children=data.get("include_children", False),
                created_by=request.user,
                expires_at=timezone.make_aware(end),
            )
            audit.record(
                request,
                "api-token.created",
                partnership,
                token,
                detail="With the partnerships within it" if token.include_children else "",
            )
        # Shown here once, never again: the page answering the form is the only place it is.
        return render(
            request,
            "sharing/api_token_made.jinja",
            {"partnership": partnership, "token": token, "secret": secret},
        )
    return form_page(
        request,
        "sharing/api_token_new.jinja",
        {"partnership": partnership, "form": form},
        form,
    )


@login_required
@require_http_methods(["GET", "POST"])
def revoke(request: HttpRequest, partnership_id: int, api_token_id: int) -> HttpResponse:
    partnership = _partnership(request, partnership_id)
    token = get_object_or_404(ApiToken.objects.filter(partnership=partnership), pk=api_token_id)
    if request.method == "POST":
        if token.revoked_at is None:
            with transaction.atomic():
                # Only if nobody revoked it meanwhile, so the log has one entry.
                if ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
                    revoked_at=timezone.now()
                ):
                    audit.record(request, "api-token.revoked", partnership, token)
        messages.success(request, f"‘{token.name}’ has been revoked: it no longer works.")
        return redirect("api:tokens", partnership.pk)
    return render(
        request, "sharing/api_token_revoke.jinja", {"partnership": partnership, "token": token}
    )


@require_safe
def help_page(request: HttpRequest) -> HttpResponse:
    """How to use the API from Excel, Power BI and scripts: open to anyone, as it holds no
    partnership's data."""
    base = settings.SITE_URL
    listed = [
        {
            "table": t,
            "csv": base + reverse(f"api:{t.key}-csv"),
            "json": base + reverse(f"api:{t.key}-json"),
            "power_query": power_query(base + reverse(f"api:{t.key}-csv")),
        }
        for t in tables.TABLES.values()
    ]
    return render(
        request,
        "pages/api.jinja",
        {
            "tables": listed,
            "index": base + reverse("api:index"),
            "openapi": base + reverse("api:openapi"),
            "rate": rate_words(settings.API_RATE),
            "failures": settings.PARTICIPANT_LINK_FAILURES,
            "token_days": settings.API_TOKEN_DAYS,
        },
    )


def power_query(url: str) -> str:
    """The Power Query (M) that reads one table's CSV: Excel and Power BI ask for the token
    themselves, the first time, and keep it in their own credential store."""
    return (
        "let\n"
        f'    Source = Csv.Document(Web.Contents("{url}"), [Delimiter = ",", Encoding = 65001, '
        "QuoteStyle = QuoteStyle.Csv]),\n"
        "    Table = Table.PromoteHeaders(Source, [PromoteAllScalars = true])\n"
        "in\n"
        "    Table"
    )
