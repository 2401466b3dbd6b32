"""The public way in: asking for an account for a partnership (the start page, at the
service's home address when nobody is signed in, links here).

Accounts are by invitation only (ADR 0006), so a new partnership's lead asks the service
administrators, who set the partnership up and invite them as its first facilitator. The
request is emailed to them in the background and written to the activity log. An address can
ask a few times an hour: the form is open to anyone, and must not become a way to flood the
administrators' inboxes.
"""

import logging

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_safe

from sixways.core import audit
from sixways.design.forms import form_page
from sixways.design.text import TypedText

from .emails import send_later
from .middleware import over_limit
from .models import AccessRequest

REQUESTS_AN_HOUR = 5
logger = logging.getLogger(__name__)


class AccessRequestForm(forms.ModelForm):
    class Meta:
        model = AccessRequest
        fields = ["name", "email", "organisation", "partnership", "message"]
        labels = {
            "name": "Your name",
            "email": "Your work email address",
            "organisation": "Your organisation",
            "partnership": "The partnership that would use Six Ways",
            "message": "Anything else we should know (optional)",
        }
        help_texts = {
            "email": "We reply to this address.",
            "partnership": "For example, Westmoor Place Partnership or Westmoor and Dale "
            "Integrated Care System",
        }
        widgets = {"message": forms.Textarea(attrs={"rows": 4})}
        error_messages = {
            "name": {"required": "Enter your name"},
            "email": {
                "required": "Enter your work email address",
                "invalid": "Enter an email address in the correct format, like name@example.org",
            },
            "organisation": {"required": "Enter your organisation"},
            "partnership": {"required": "Enter the partnership that would use Six Ways"},
        }

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "%s")
        super().__init__(*args, **kwargs)
        for name, what in [
            ("name", "Your name"),
            ("organisation", "Your organisation"),
            ("partnership", "The partnership's name"),
        ]:
            self.fields[name].validators.append(TypedText(what, line_breaks=False))
        self.fields["message"].validators.append(TypedText("The message"))
        self.fields["message"].max_length = 2000


def administrators() -> list[str]:
    """Where requests go: the service administrators' addresses."""
    users = get_user_model().objects.filter(is_superuser=True, is_active=True).exclude(email="")
    return sorted({u.email for u in users} | {email for _, email in settings.ADMINS})


@require_http_methods(["GET", "POST"])
def request_access(request: HttpRequest) -> HttpResponse:
    form = AccessRequestForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        if over_limit(request, "access-requests", REQUESTS_AN_HOUR, 3600):
            return render(request, "accounts/too_many_requests.jinja", status=429)
        asked = form.save()
        audit.record(None, "access.requested", target=asked, detail=asked.partnership)
        recipients = administrators()
        if not recipients:
            # Kept in the admin all the same; without an address nobody is told of it.
            logger.warning("An account request has no administrator to go to: set ADMINS")
        else:
            send_later(
                EmailMessage(
                    " ".join(f"Six Ways: {asked.partnership} would like an account".split()),
                    (
                        f"{asked.name} of {asked.organisation} ({asked.email}) asks for "
                        f"{asked.partnership} to use Six Ways.\n\n"
                        + (f"They wrote:\n{asked.message}\n\n" if asked.message else "")
                        + "To set the partnership up, sign in, create it, and invite them to "
                        "be its facilitator from its people page. Reply to them at the address "
                        "above either way.\n"
                    ),
                    settings.DEFAULT_FROM_EMAIL,
                    recipients,
                )
            )
        return redirect("accounts:access-requested")
    return form_page(
        request,
        "accounts/request_access.jinja",
        {"form": form, "invitation_email_days": settings.INVITATION_EMAIL_RETENTION_DAYS},
        form,
    )


@require_safe
def access_requested(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/access_requested.jinja")
