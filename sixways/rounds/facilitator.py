"""The facilitator's pages for a round: set it up, open it, invite people, follow progress,
remind, close and reopen, and record a partnership's agreed answers.

Rounds are fetched through `Round.objects.for_user`: another partnership's facilitator gets 404,
and every page that changes something asks for `roles=CHANGERS`, so observers get 404 there.
Every change is a POST; opening a page never changes anything, and every change is written
to the partnership's activity log (sixways/core/audit.py): counts and names of
organisations, never participants' email addresses, answers or comments.
"""

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from sixways.core import audit
from sixways.design.forms import form_page
from sixways.design.text import plural
from sixways.instruments.loading import current
from sixways.instruments.models import Option, Question, Section
from sixways.partnerships.models import Organisation, Partnership
from sixways.partnerships.roles import CHANGERS, Viewer, viewer_for

from . import tasks
from .agreed import Conflict, agreed_response, save_agreed
from .answering import RoundClosed
from .forms import (
    AgreedForm,
    CloseForm,
    InviteForm,
    ReopenForm,
    RoundForm,
    comment_field_name,
    question_field_name,
)
from .invitations import (
    EMAILED_KINDS,
    awaiting_reminder,
    email_summary,
    failed_deliveries,
    invite,
    organisation_link,
    queue_reminders,
)
from .models import Delivery, Invitation, Mode, Response, Round, Status, StatusChanged

DEFAULT_LENGTH = datetime.timedelta(days=28)


def _round(request: HttpRequest, round_id: int, *, change: bool) -> Round:
    roles = CHANGERS if change else None
    round_ = get_object_or_404(
        Round.objects.for_user(request.user, roles).select_related("partnership", "instrument"),
        pk=round_id,
    )
    if request.method == "POST":
        # Record a closing date that has passed before changing anything, so the change starts
        # from the status the pages showed (current_status). Reading a page writes nothing.
        round_.close_if_due()
    return round_


def _wrong_status(request: HttpRequest, round_: Round, message: str) -> HttpResponse:
    messages.info(request, message)
    return redirect("rounds:detail", round_.pk)


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
    round_ = _round(request, round_id, change=True)
    if round_.current_status != Status.DRAFT:
        return _wrong_status(request, round_, "A round can only be changed before it opens.")
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
        for row in Response.objects.filter(round=round_)
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


@login_required
def detail(request: HttpRequest, round_id: int) -> HttpResponse:
    round_ = _round(request, round_id, change=False)
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
            "events": round_.events.select_related("user"),
            "organisations": round_.organisations.all(),
            "today": timezone.localdate(),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def open_round(request: HttpRequest, round_id: int) -> HttpResponse:
    round_ = _round(request, round_id, change=True)
    if round_.current_status != Status.DRAFT:
        return _wrong_status(request, round_, "This round has already been opened.")
    problem = ""
    if round_.closes_on < timezone.localdate():
        problem = "The closing date has passed. Change the round's dates before opening it."
    elif round_.mode != Mode.COLLECTIVE and not round_.organisations.exists():
        problem = "Choose the partner organisations taking part before opening the round."
    if request.method == "POST" and not problem:
        try:
            round_.open(request.user)
        except StatusChanged:
            return _wrong_status(request, round_, "This round has already been opened.")
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
    round_ = _round(request, round_id, change=True)
    if round_.current_status != Status.OPEN:
        return _wrong_status(request, round_, "This round is not open.")
    form = CloseForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            round_.close(request.user, form.cleaned_data["reason"])
        except StatusChanged:
            return _wrong_status(request, round_, "Someone else closed this round already.")
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
    round_ = _round(request, round_id, change=True)
    if round_.current_status != Status.CLOSED:
        return _wrong_status(request, round_, "This round is not closed.")
    form = ReopenForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            round_.reopen(request.user, form.cleaned_data["closes_on"], form.cleaned_data["reason"])
        except StatusChanged:
            return _wrong_status(request, round_, "Someone else reopened this round already.")
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


@login_required
@require_http_methods(["GET", "POST"])
def invite_people(request: HttpRequest, round_id: int) -> HttpResponse:
    round_ = _round(request, round_id, change=True)
    if round_.mode == Mode.COLLECTIVE:
        return _wrong_status(
            request, round_, "In a collective round, you record the agreed answers yourself."
        )
    if round_.current_status == Status.DRAFT:
        return _wrong_status(request, round_, "Open the round before inviting people.")
    if round_.current_status == Status.CLOSED:
        return _wrong_status(request, round_, "This round has closed. Reopen it to invite people.")
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
        {"round": round_, "form": form, "organisational": organisational},
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
    round_ = _round(request, round_id, change=True)
    if round_.mode == Mode.COLLECTIVE:
        return _wrong_status(
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


@login_required
@require_http_methods(["GET", "POST"])
def reminders(request: HttpRequest, round_id: int) -> HttpResponse:
    round_ = _round(request, round_id, change=True)
    if round_.current_status != Status.OPEN:
        return _wrong_status(request, round_, "Reminders can only be sent while a round is open.")
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
                request,
                f"{count} reminder{'s are' if count != 1 else ' is'} being sent.",
            )
        else:
            messages.info(request, "Nobody needed a reminder.")
        return redirect("rounds:detail", round_.pk)
    return render(
        request,
        "rounds/manage/reminders.jinja",
        {"round": round_, "count": awaiting_reminder(round_).count()},
    )


@login_required
@require_http_methods(["GET", "POST"])
def emails(request: HttpRequest, round_id: int) -> HttpResponse:
    """Emails that could not be sent, and a button to try them again."""
    round_ = _round(request, round_id, change=True)
    failed = list(failed_deliveries(round_))
    if request.method == "POST":
        if round_.current_status != Status.OPEN:
            return _wrong_status(request, round_, "Emails can only be sent while a round is open.")
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


@login_required
@require_http_methods(["GET", "POST"])
def agreed(request: HttpRequest, round_id: int) -> HttpResponse:
    """A collective round's agreed answers, entered by a facilitator. If another facilitator
    saved since this page was shown, nothing is saved and the differences are listed."""
    round_ = _round(request, round_id, change=True)
    if round_.mode != Mode.COLLECTIVE:
        return _wrong_status(request, round_, "Only a collective round has agreed answers.")
    if round_.current_status != Status.OPEN:
        return _wrong_status(
            request, round_, "Agreed answers can only be recorded while the round is open."
        )
    sections = list(Section.objects.filter(instrument_id=round_.instrument_id))
    questions = list(Question.objects.filter(instrument_id=round_.instrument_id))
    options = list(Option.objects.filter(instrument_id=round_.instrument_id))
    # Made on the first save, so that opening the page changes nothing.
    response = (
        agreed_response(round_)
        if request.method == "POST"
        else Response.objects.filter(
            round=round_, invitation__kind=Invitation.Kind.COLLECTIVE
        ).first()
    )
    initial = _saved_values(response, sections, questions)
    errors: list[dict] = []
    status = 200
    data = request.POST.copy() if request.method == "POST" else None
    form = AgreedForm(sections, questions, options, data, initial=initial)
    if request.method == "POST" and form.is_valid():
        agree = request.POST.get("action") == "agree"
        was_agreed = response.submitted
        try:
            missing = save_agreed(
                response, form.cleaned_data["version"], form.answers(), form.comments(), agree=agree
            )
        except RoundClosed:
            return render(request, "rounds/closed.jinja", {"round": round_}, status=409)
        except Conflict as conflict:
            errors = _conflicts(form, _saved_values(conflict.current, sections, questions))
            # The next save is a deliberate choice made with the differences in view.
            data["version"] = conflict.current.version
            form = AgreedForm(sections, questions, options, data, initial=initial)
            form.is_valid()
            status = 409
        else:
            # Saved, even when some answers are missing: what was sent is kept as a draft.
            audit.record(
                request,
                "agreed.agreed" if response.submitted and not was_agreed else "agreed.saved",
                round_.partnership,
                round_,
            )
            if not missing:
                messages.success(
                    request,
                    "The agreed answers have been saved."
                    + (" They count in the results." if response.submitted else ""),
                )
                return redirect("rounds:detail", round_.pk)
            errors = [
                {
                    "text": f"Answer question {q.key} before marking the answers as agreed",
                    "href": f"#{question_field_name(q)}",
                }
                for q in missing
            ]
            data["version"] = response.version
            form = AgreedForm(sections, questions, options, data, initial=initial)
            form.is_valid()
            status = 400
    elif request.method == "POST":
        status = 400
    return form_page(
        request,
        "rounds/manage/agreed.jinja",
        {"round": round_, "form": form, "response": response, "errors": errors},
        form,
        status=status,
    )


def _saved_values(response: Response | None, sections, questions) -> dict:
    values = {"version": response.version if response else 0}
    if response is None:
        return values
    answers = {a.question_id: a.option.key for a in response.answers.select_related("option")}
    comments = {c.section_id: c.text for c in response.comments.all()}
    for question in questions:
        values[question_field_name(question)] = answers.get(question.pk)
    for section in sections:
        values[comment_field_name(section)] = comments.get(section.pk, "")
    return values


def _conflicts(form: AgreedForm, saved: dict) -> list[dict]:
    """What someone else saved that differs from what this facilitator sent."""
    labels = {key: option.label for key, option in form.options_by_key.items()}
    entries = [
        {
            "text": "Someone else saved these answers while you were editing them, so yours "
            "have not been saved. Check the differences, then save again to keep your answers",
            "href": "#maincontent",
        }
    ]
    for question in form.questions:
        name = question_field_name(question)
        theirs, yours = saved.get(name), form.cleaned_data.get(name) or None
        if theirs != yours:
            entries.append(
                {
                    "text": f"Question {question.key}: the saved answer is now "
                    f"‘{labels.get(theirs, 'no answer')}’; you chose "
                    f"‘{labels.get(yours, 'no answer')}’",
                    "href": f"#{name}",
                }
            )
    for section in form.sections:
        name = comment_field_name(section)
        if (saved.get(name) or "").strip() != (form.cleaned_data.get(name) or "").strip():
            entries.append(
                {
                    "text": f"The comments on ‘{section.short_title}’ were changed by someone else",
                    "href": f"#{name}",
                }
            )
    return entries
