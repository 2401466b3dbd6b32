"""The action plan pages: a round's actions behaviour by behaviour, adding one, and updating
where one stands. Facilitators do everything; a partner lead proposes actions for their own
organisation; observers read. Everything is reached through `for_user`, so anyone else gets
404, and every change is written to the activity log."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import formats, timezone
from django.views.decorators.http import require_http_methods

from sixways.core import audit
from sixways.design.forms import form_page
from sixways.instruments.shape import shapes
from sixways.partnerships.models import Organisation, Partnership
from sixways.partnerships.roles import viewer_for
from sixways.results.cache import next_round
from sixways.results.queries import round_results
from sixways.rounds.models import Round

from .forms import ActionForm, ReviewForm, UpdateForm
from .models import COMMITTED, Action, ActionUpdate, Reminder, Status
from .review import open_actions

# Soft limits, explained rather than enforced: a plan with many actions tends to deliver none.
MOST_FOR_A_BEHAVIOUR = 3
MOST_FOR_A_ROUND = 8


def _round(request: HttpRequest, round_id: int) -> Round:
    return get_object_or_404(
        Round.objects.for_user(request.user).select_related("partnership", "instrument"),
        pk=round_id,
    )


def _people(partnership_id: int):
    """Who may own an action with their account: the partnership's people, and only them."""
    return (
        get_user_model()
        .objects.filter(memberships__partnership_id=partnership_id, is_active=True)
        .order_by("first_name", "last_name", "email")
    )


@login_required
def plan(request: HttpRequest, round_id: int) -> HttpResponse:
    round_ = _round(request, round_id)
    viewer = viewer_for(request.user, round_.partnership_id)
    shape = shapes({round_.instrument_id})[round_.instrument_id]
    results = round_results(round_, viewer)
    priorities = [b.section.key for b in results.priorities[:3]] if results.shows_figures else []
    # What came of the plan: each behaviour's score here and at the round that measures its
    # change from this one, beside the actions done.
    later = next_round(round_) if results.shows_figures else None
    later_results = round_results(later, viewer) if later else None
    if later_results is not None and not later_results.shows_figures:
        later, later_results = None, None
    before = {b.section.key: b for b in results.behaviours} if results.shows_figures else {}
    after = {b.section.key: b for b in later_results.behaviours} if later_results else {}
    actions = list(round_.actions.select_related("section", "organisation"))
    agreed = [a for a in actions if a.status in COMMITTED]
    behaviours = []
    for section in shape.sections:
        mine = [a for a in actions if a.section_id == section.pk]
        behaviours.append(
            {
                "section": section,
                "priority": section.key in priorities,
                "actions": mine,
                "done": [a for a in mine if a.status == Status.DONE],
                "before": before.get(section.key),
                "after": after.get(section.key),
                "many": sum(a.status in COMMITTED for a in mine) > MOST_FOR_A_BEHAVIOUR,
            }
        )
    behaviours.sort(key=lambda b: (not b["priority"], b["section"].position))
    return render(
        request,
        "actions/plan.jinja",
        {
            "round": round_,
            "later": later,
            "behaviours": behaviours,
            "may_add": viewer.may_add_actions,
            "too_many": len(agreed) > MOST_FOR_A_ROUND,
            "most_for_a_behaviour": MOST_FOR_A_BEHAVIOUR,
            "most_for_a_round": MOST_FOR_A_ROUND,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def new(request: HttpRequest, round_id: int, behaviour: str) -> HttpResponse:
    round_ = _round(request, round_id)
    viewer = viewer_for(request.user, round_.partnership_id)
    if not viewer.may_add_actions:
        raise Http404("Only facilitators and partner leads add actions")
    shape = shapes({round_.instrument_id})[round_.instrument_id]
    section = next((s for s in shape.sections if s.key == behaviour), None)
    if section is None:
        raise Http404("No such behaviour")
    form = ActionForm(
        request.POST if request.method == "POST" else None,
        organisations=Organisation.objects.filter(partnerships__partnership=round_.partnership),
        people=_people(round_.partnership_id),
        questions=section.questions.all(),
        may_agree=viewer.may_change,
    )
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            action = form.save(commit=False)
            action.partnership, action.round, action.section = round_.partnership, round_, section
            action.created_by = request.user
            if viewer.may_change:
                action.status = form.cleaned_data["status"]
            else:
                action.status = Status.PROPOSED
                action.organisation_id = viewer.organisation_id
            action.save()
            form.save_m2m()
            ActionUpdate.objects.create(
                action=action, status=action.status, user=request.user, note="Added"
            )
            audit.record(
                request, "action.created", round_.partnership, action, detail=section.title
            )
        messages.success(request, f"‘{action.title}’ is added to the plan.")
        return redirect("actions:plan", round_.pk)
    return form_page(
        request,
        "actions/new.jinja",
        {"round": round_, "section": section, "form": form},
        form,
    )


@login_required
@require_http_methods(["GET", "POST"])
def detail(request: HttpRequest, action_id: int) -> HttpResponse:
    action = get_object_or_404(
        Action.objects.for_user(request.user).select_related(
            "round", "section", "organisation", "owner"
        ),
        pk=action_id,
    )
    viewer = viewer_for(request.user, action.partnership_id)
    form = None
    if viewer.may_change:
        form = UpdateForm(
            request.POST if request.method == "POST" else None, initial={"status": action.status}
        )
    elif request.method == "POST":
        raise Http404("Only facilitators change an action")
    if form is not None and request.method == "POST" and form.is_valid():
        _update(request, action, form)
        return redirect("actions:detail", action.pk)
    return form_page(
        request,
        "actions/detail.jinja",
        {
            "action": action,
            "round": action.round,
            "form": form,
            "updates": action.updates.select_related("user"),
            "reminder_days": settings.ACTION_REMINDER_DAYS,
            "last_reminder": action.reminders.filter(state=Reminder.State.SENT)
            .order_by("-sent_at")
            .first(),
        },
        *([form] if form else []),
    )


def _update(request: HttpRequest, action: Action, form: UpdateForm) -> None:
    """Record where an action stands, as a new update in its history."""
    with transaction.atomic():
        locked = Action.objects.select_for_update().get(pk=action.pk)
        locked.status = form.cleaned_data["status"]
        new_date = form.cleaned_data["due_on"]
        if new_date:
            locked.due_on = new_date
        locked.save(update_fields=["status", "due_on"])
        ActionUpdate.objects.create(
            action=locked,
            status=locked.status,
            note=form.cleaned_data["note"].strip(),
            due_on=new_date,
            user=request.user,
        )
        audit.record(
            request,
            "action.updated",
            action.partnership,
            action,
            detail=locked.get_status_display(),
        )
    messages.success(request, f"‘{action.title}’ is updated.")


@login_required
@require_http_methods(["GET", "POST"])
def review(request: HttpRequest, partnership_id: int) -> HttpResponse:
    """The open actions of every earlier round on one page, each with its own small form, for
    the look back that starts a new round. Observers and partner leads read it."""
    partnership = get_object_or_404(Partnership.objects.for_user(request.user), pk=partnership_id)
    viewer = viewer_for(request.user, partnership.pk)
    actions = list(open_actions(partnership.pk))
    if request.method == "POST" and not viewer.may_change:
        raise Http404("Only facilitators change an action")
    posted = request.POST.get("action") if request.method == "POST" else None
    if posted is not None and not any(str(a.pk) == posted for a in actions):
        raise Http404("No such open action")
    forms_ = []
    for action in actions:
        bound = str(action.pk) == posted
        action.form = (
            ReviewForm(request.POST if bound else None, prefix=f"action-{action.pk}")
            if viewer.may_change
            else None
        )
        if bound:
            forms_.append(action.form)
            if action.form.is_valid():
                _update(request, action, action.form)
                return redirect("actions:review", partnership.pk)
    return form_page(
        request,
        "actions/review.jinja",
        {
            "partnership": partnership,
            "actions": actions,
            "may_change": viewer.may_change,
            "today": timezone.localdate(),
        },
        *forms_,
    )


# What an edit says it changed, in the action's history.
FIELD_NAMES = {
    "title": "what will be done",
    "done_looks_like": "what done looks like",
    "owner_name": "who will see it through",
    "owner": "their account",
    "organisation": "the partner organisation",
    "due_on": "the due date",
    "questions": "the questions",
}


def _was(name: str, before) -> str:
    """One change for the history, with what it said before where that is one value."""
    if name == "due_on" and before:
        return f"{FIELD_NAMES[name]} (was {formats.date_format(before, 'j F Y')})"
    if name in ("title", "done_looks_like", "owner_name"):
        return f"{FIELD_NAMES[name]} (was ‘{before}’)"
    return FIELD_NAMES[name]


@login_required
@require_http_methods(["GET", "POST"])
def edit(request: HttpRequest, action_id: int) -> HttpResponse:
    """A facilitator corrects an action. Its history says what changed; where it stands
    changes only through an update."""
    action = get_object_or_404(
        Action.objects.for_user(request.user).select_related("round", "section"), pk=action_id
    )
    if not viewer_for(request.user, action.partnership_id).may_change:
        raise Http404("Only facilitators change an action")
    form = ActionForm(
        request.POST if request.method == "POST" else None,
        instance=action,
        organisations=Organisation.objects.filter(partnerships__partnership=action.partnership),
        people=_people(action.partnership_id),
        questions=action.section.questions.all(),
        may_agree=True,
        editing=True,
    )
    if request.method == "POST" and form.is_valid():
        changed = [_was(name, form.initial.get(name)) for name in form.changed_data]
        with transaction.atomic():
            form.save()
            if changed:
                ActionUpdate.objects.create(
                    action=action,
                    status=action.status,
                    note="Changed " + ", ".join(changed),
                    user=request.user,
                )
                # The log names the fields; the action's own history keeps the old wording.
                audit.record(
                    request,
                    "action.changed",
                    action.partnership,
                    action,
                    detail=", ".join(
                        FIELD_NAMES[name] for name in form.changed_data if name in FIELD_NAMES
                    ),
                )
            messages.success(request, f"‘{action.title}’ is saved.")
        return redirect("actions:detail", action.pk)
    return form_page(
        request,
        "actions/edit.jinja",
        {"action": action, "round": action.round, "section": action.section, "form": form},
        form,
    )
