"""Reaching people: email invitations, organisations' links, reminders and emails that
could not be sent."""

import segno
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_safe

from sixways.core import audit
from sixways.design.forms import form_page
from sixways.design.text import plural

from .. import tasks
from ..forms import (
    InviteForm,
)
from ..invitations import (
    failed_deliveries,
    invite,
    organisation_link,
    queue_reminders,
    reminder_summary,
)
from ..models import Delivery, Invitation, Mode, Round, Status
from . import round_for, wrong_status


@login_required
@require_http_methods(["GET", "POST"])
def invite_people(request: HttpRequest, round_id: int) -> HttpResponse:
    round_ = round_for(request, round_id, change=True)
    if round_.mode == Mode.COLLECTIVE:
        return wrong_status(
            request, round_, "In a collective round, you record the agreed answers yourself."
        )
    if round_.current_status == Status.DRAFT:
        return wrong_status(request, round_, "Open the round before inviting people.")
    if round_.current_status == Status.CLOSED:
        return wrong_status(request, round_, "This round has closed. Reopen it to invite people.")
    organisational = round_.mode == Mode.ORGANISATIONAL
    form = InviteForm(
        request.POST if request.method == "POST" else None,
        organisations=round_.organisations.all(),
        single=organisational,
        initial={"organisation": request.GET.get("organisation")}
        if str(request.GET.get("organisation", "")).isdigit()
        else None,
    )
    if request.method == "POST" and form.is_valid():
        organisation = form.cleaned_data["organisation"]
        deliveries, already = invite(round_, organisation, form.cleaned_data["emails"])
        # The addresses stay out of the log: they are deleted after the round closes.
        audit.record(
            request,
            "round.invited",
            round_.partnership,
            round_,
            detail=f"{len(deliveries)} invited from {organisation.name}"
            + (f", {len(already)} invited already" if already else ""),
        )
        tasks.queue(deliveries)
        if deliveries:
            count = len(deliveries)
            messages.success(
                request,
                f"{count} invitation{'s are' if count != 1 else ' is'} being sent to people "
                f"from {organisation.name}.",
            )
        if already:
            messages.info(
                request,
                f"{len(already)} of the addresses had been invited to this round already, "
                "so they were not sent another invitation.",
            )
        return redirect("rounds:detail", round_.pk)
    return form_page(
        request,
        "rounds/manage/invite.jinja",
        {
            "round": round_,
            "form": form,
            "organisational": organisational,
            "preview": tasks.invitation_preview(round_),
        },
        form,
    )


def _link_kind(round_: Round) -> str:
    if round_.mode == Mode.ORGANISATIONAL:
        return Invitation.Kind.ORGANISATIONAL
    return Invitation.Kind.SHARED


@login_required
@require_http_methods(["GET", "POST"])
def links(request: HttpRequest, round_id: int) -> HttpResponse:
    """Each organisation's link: shareable in individual mode, its one link in organisational
    mode. Made, or replaced when shared too widely, only by pressing a button."""
    round_ = round_for(request, round_id, change=True)
    if round_.mode == Mode.COLLECTIVE:
        return wrong_status(
            request, round_, "In a collective round, you record the agreed answers yourself."
        )
    organisations = list(round_.organisations.all())
    if request.method == "POST":
        organisation = next(
            (o for o in organisations if str(o.pk) == request.POST.get("organisation")), None
        )
        if organisation is None or round_.current_status != Status.OPEN:
            return redirect("rounds:links", round_.pk)
        existed = Invitation.objects.filter(
            round=round_, organisation=organisation, kind=_link_kind(round_)
        ).exists()
        invitation = organisation_link(round_, organisation)
        if not existed:
            audit.record(
                request, "link.created", round_.partnership, round_, detail=organisation.name
            )
        if request.POST.get("action") == "replace":
            invitation.replace_token()
            audit.record(
                request, "link.replaced", round_.partnership, round_, detail=organisation.name
            )
            messages.success(
                request,
                f"{organisation.name} has a new link. The old one no longer works.",
            )
        return redirect(reverse("rounds:links", args=[round_.pk]) + f"#org-{organisation.pk}")
    existing = {
        i.organisation_id: i
        for i in Invitation.objects.filter(round=round_, kind=_link_kind(round_))
    }
    return render(
        request,
        "rounds/manage/links.jinja",
        {
            "round": round_,
            "rows": [(o, existing.get(o.pk)) for o in organisations],
        },
    )


@require_safe
@login_required
def link_qr(request: HttpRequest, round_id: int, organisation_id: int) -> HttpResponse:
    """An organisation's link as a QR code, to print or show on a screen. Only a link that
    was made already: reading a page makes nothing."""
    round_ = round_for(request, round_id, change=True)
    invitation = get_object_or_404(
        Invitation.objects.select_related("organisation"),
        round=round_,
        organisation_id=organisation_id,
        kind=_link_kind(round_),
    )
    if round_.current_status != Status.OPEN:
        return wrong_status(request, round_, "Links work only while the round is open.")
    link = invitation.link()
    code = segno.make(link, error="m")
    return render(
        request,
        "rounds/manage/link_qr.jinja",
        {
            "round": round_,
            "organisation": invitation.organisation,
            "link": link,
            "qr": code.svg_data_uri(scale=8, border=4),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def reminders(request: HttpRequest, round_id: int) -> HttpResponse:
    round_ = round_for(request, round_id, change=True)
    if round_.current_status != Status.OPEN:
        return wrong_status(request, round_, "Reminders can only be sent while a round is open.")
    if request.method == "POST":
        deliveries = queue_reminders(round_)
        audit.record(
            request,
            "round.reminded",
            round_.partnership,
            round_,
            detail=plural(len(deliveries), "reminder"),
        )
        tasks.queue(deliveries)
        if deliveries:
            count = len(deliveries)
            messages.success(
                request, f"{plural(count, 'reminder')} {'is' if count == 1 else 'are'} being sent."
            )
        else:
            messages.info(request, "Nobody needed a reminder.")
        return redirect("rounds:detail", round_.pk)
    return render(
        request,
        "rounds/manage/reminders.jinja",
        {"round": round_, "reminders": reminder_summary(round_)},
    )


@login_required
@require_http_methods(["GET", "POST"])
def emails(request: HttpRequest, round_id: int) -> HttpResponse:
    """Emails that could not be sent, and a button to try them again."""
    round_ = round_for(request, round_id, change=True)
    failed = list(failed_deliveries(round_))
    if request.method == "POST":
        if round_.current_status != Status.OPEN:
            return wrong_status(request, round_, "Emails can only be sent while a round is open.")
        with transaction.atomic():
            retries = [
                Delivery.objects.create(invitation=d.invitation, kind=d.kind) for d in failed
            ]
            audit.record(
                request,
                "round.emails-retried",
                round_.partnership,
                round_,
                detail=plural(len(retries), "email"),
            )
        tasks.queue(retries)
        messages.success(request, f"Trying again to send {len(retries)} emails.")
        return redirect("rounds:emails", round_.pk)
    return render(request, "rounds/manage/emails.jinja", {"round": round_, "failed": failed})
