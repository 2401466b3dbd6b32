"""Setting up a round, opening, closing and reopening it, and following its progress."""

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import formats, timezone
from django.views.decorators.http import require_http_methods

from sixways.core import audit
from sixways.design.forms import form_page
from sixways.instruments.loading import current
from sixways.partnerships.models import Organisation, Partnership
from sixways.partnerships.roles import CHANGERS, Viewer, viewer_for

from ..forms import (
    CloseForm,
    ReopenForm,
    RoundForm,
)
from ..invitations import (
    EMAILED_KINDS,
    email_summary,
    failed_deliveries,
)
from ..models import Invitation, Mode, Response, Round, Status, StatusChanged
from . import round_for, wrong_status

DEFAULT_LENGTH = datetime.timedelta(days=28)


def _partner_organisations(partnership: Partnership):
    return Organisation.objects.filter(partnerships__partnership=partnership).order_by("name")


@login_required
@require_http_methods(["GET", "POST"])
def create(request: HttpRequest, partnership_id: int) -> HttpResponse:
    partnership = get_object_or_404(
        Partnership.objects.for_user(request.user, CHANGERS), pk=partnership_id
    )
    partners = partnership.partners.select_related("organisation")
    previous = partnership.rounds.order_by("-created_at", "-id").first()
    in_previous = set(previous.organisations.values_list("pk", flat=True)) if previous else set()
    if in_previous:
        # A new round starts from the last round's list, plus any partner added since.
        chosen = [
            p.organisation_id
            for p in partners
            if p.organisation_id in in_previous or p.added_at > previous.created_at
        ]
    else:
        chosen = [p.organisation_id for p in partners]
    today = timezone.localdate()
    form = RoundForm(
        request.POST if request.method == "POST" else None,
        organisations=_partner_organisations(partnership),
        initial={
            "instrument": current(),
            "mode": previous.mode if previous else Mode.INDIVIDUAL,
            "opens_on": today,
            "closes_on": today + DEFAULT_LENGTH,
            "organisations": chosen,
        },
    )
    if request.method == "POST" and form.is_valid():
        form.instance.partnership = partnership
        with transaction.atomic():
            round_ = form.save()
            audit.record(request, "round.created", partnership, round_)
        messages.success(request, f"‘{round_.title}’ has been set up. Open it when you are ready.")
        return redirect("rounds:detail", round_.pk)
    return form_page(
        request,
        "rounds/manage/form.jinja",
        {"form": form, "partnership": partnership, "previous": previous},
        form,
    )


@login_required
@require_http_methods(["GET", "POST"])
def edit(request: HttpRequest, round_id: int) -> HttpResponse:
    round_ = round_for(request, round_id, change=True)
    if round_.current_status != Status.DRAFT:
        return wrong_status(request, round_, "A round can only be changed before it opens.")
    form = RoundForm(
        request.POST if request.method == "POST" else None,
        instance=round_,
        organisations=Organisation.objects.filter(
            Q(partnerships__partnership=round_.partnership) | Q(rounds=round_)
        )
        .distinct()
        .order_by("name"),
    )
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            form.save()
            audit.record(request, "round.changed", round_.partnership, round_)
        messages.success(request, "The round has been saved.")
        return redirect("rounds:detail", round_.pk)
    return form_page(
        request,
        "rounds/manage/form.jinja",
        {"form": form, "partnership": round_.partnership, "round": round_},
        form,
    )


def progress(round_: Round, viewer: Viewer) -> dict:
    """Per organisation: how many were invited, started and sent answers. Counts only:
    never who answered what. A partner lead sees their own organisation's row and the
    partnership's totals; the template shows small counts as "Fewer than K"."""
    invited = dict(
        Invitation.objects.filter(round=round_, kind__in=EMAILED_KINDS)
        .exclude(email="")
        .values_list("organisation")
        .annotate(n=Count("id"))
    )
    responses = {
        row["organisation"]: row
        # The round's own answers: not the other layer kept alongside them.
        for row in Response.objects.filter(round=round_)
        .exclude(state=Response.State.ALONGSIDE)
        .values("organisation")
        .annotate(started=Count("id"), sent=Count("id", filter=Q(state=Response.State.SUBMITTED)))
    }
    organisations = list(round_.organisations.all())
    known = {o.pk for o in organisations}
    extra = (set(invited) | set(responses)) - known - {None}
    organisations += list(Organisation.objects.filter(pk__in=extra))
    organisations.sort(key=lambda o: o.name.casefold())
    rows = [
        {
            "organisation": o.pk,
            "name": o.name,
            "invited": invited.get(o.pk, 0),
            "started": responses.get(o.pk, {}).get("started", 0),
            "sent": responses.get(o.pk, {}).get("sent", 0),
        }
        for o in organisations
    ]
    if None in responses:
        rows.insert(
            0,
            {
                "name": "The partnership's agreed answers",
                "invited": 0,
                "started": responses[None]["started"],
                "sent": responses[None]["sent"],
            },
        )
    totals = {key: sum(r[key] for r in rows) for key in ("invited", "started", "sent")}
    rows = [r for r in rows if viewer.sees_organisation(r.get("organisation"))]
    return {"rows": rows, "totals": totals}


# What the round's history lists from the activity log, beside its openings and closings.
HISTORY_ACTIONS = {
    "round.invited": "Invited people by email",
    "round.reminded": "Sent reminders",
    "round.emails-retried": "Tried again to send emails",
}


def history(round_: Round, viewer: Viewer) -> list[dict]:
    """The round's history, oldest first: opening, closing and reopening with their reasons
    and, for those who see every organisation, the invitations and reminders sent."""
    items = [
        {
            "at": event.at,
            "text": event.get_action_display()
            + (
                f" until {formats.date_format(event.closes_on, 'j F Y')}" if event.closes_on else ""
            ),
            "user": event.user,
            "reason": event.reason,
        }
        for event in round_.events.select_related("user")
    ]
    if viewer.sees_every_organisation:
        items += [
            {
                "at": entry.at,
                "text": HISTORY_ACTIONS[entry.action]
                + (f": {entry.detail}" if entry.detail else ""),
                "user": entry.actor,
                "reason": "",
            }
            for entry in audit.for_target(round_, list(HISTORY_ACTIONS))
        ]
    return sorted(items, key=lambda item: item["at"])


@login_required
def detail(request: HttpRequest, round_id: int) -> HttpResponse:
    round_ = round_for(request, round_id, change=False)
    viewer = viewer_for(request.user, round_.partnership_id)
    can_change = viewer.may_change
    return render(
        request,
        "rounds/manage/detail.jinja",
        {
            "round": round_,
            "can_change": can_change,
            "progress": progress(round_, viewer),
            "emails": email_summary(round_),
            "failed": failed_deliveries(round_).count() if can_change else 0,
            "history": history(round_, viewer),
            "organisations": round_.organisations.all(),
            "today": timezone.localdate(),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def open_round(request: HttpRequest, round_id: int) -> HttpResponse:
    round_ = round_for(request, round_id, change=True)
    if round_.current_status != Status.DRAFT:
        return wrong_status(request, round_, "This round has already been opened.")
    problem = ""
    if round_.closes_on < timezone.localdate():
        problem = "The closing date has passed. Change the round's dates before opening it."
    elif round_.mode != Mode.COLLECTIVE and not round_.organisations.exists():
        problem = "Choose the partner organisations taking part before opening the round."
    if request.method == "POST" and not problem:
        try:
            round_.open(request.user)
        except StatusChanged:
            return wrong_status(request, round_, "This round has already been opened.")
        audit.record(request, "round.opened", round_.partnership, round_)
        messages.success(request, f"‘{round_.title}’ is open.")
        return redirect("rounds:detail", round_.pk)
    return render(
        request,
        "rounds/manage/open.jinja",
        {"round": round_, "problem": problem, "today": timezone.localdate()},
        status=409 if problem and request.method == "POST" else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def close(request: HttpRequest, round_id: int) -> HttpResponse:
    round_ = round_for(request, round_id, change=True)
    if round_.current_status != Status.OPEN:
        return wrong_status(request, round_, "This round is not open.")
    form = CloseForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            round_.close(request.user, form.cleaned_data["reason"])
        except StatusChanged:
            return wrong_status(request, round_, "Someone else closed this round already.")
        audit.record(request, "round.closed", round_.partnership, round_)
        messages.success(
            request,
            f"‘{round_.title}’ is closed. Answers not sent by now are kept but not counted.",
        )
        return redirect("rounds:detail", round_.pk)
    return form_page(request, "rounds/manage/close.jinja", {"round": round_, "form": form}, form)


@login_required
@require_http_methods(["GET", "POST"])
def reopen(request: HttpRequest, round_id: int) -> HttpResponse:
    round_ = round_for(request, round_id, change=True)
    if round_.current_status != Status.CLOSED:
        return wrong_status(request, round_, "This round is not closed.")
    form = ReopenForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            round_.reopen(request.user, form.cleaned_data["closes_on"], form.cleaned_data["reason"])
        except StatusChanged:
            return wrong_status(request, round_, "Someone else reopened this round already.")
        audit.record(
            request,
            "round.reopened",
            round_.partnership,
            round_,
            detail=f"Open until {round_.closes_on:%-d %B %Y}",
        )
        messages.success(
            request, f"‘{round_.title}’ is open again until {round_.closes_on:%-d %B %Y}."
        )
        return redirect("rounds:detail", round_.pk)
    return form_page(request, "rounds/manage/reopen.jinja", {"round": round_, "form": form}, form)
