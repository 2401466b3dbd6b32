"""The action plan pages: a round's actions behaviour by behaviour, adding one, and updating
where one stands. Facilitators do everything; a partner lead proposes actions for their own
organisation; observers read. Everything is reached through `for_user`, so anyone else gets
404, and every change is written to the activity log."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import formats
from django.views.decorators.http import require_http_methods

from sixways.core import audit
from sixways.design.forms import form_page
from sixways.instruments.shape import shapes
from sixways.partnerships.models import Organisation
from sixways.partnerships.roles import viewer_for
from sixways.results.downloads import forget_kept
from sixways.results.queries import round_results
from sixways.rounds.models import Round

from .forms import ActionForm, UpdateForm
from .models import COMMITTED, Action, ActionUpdate, Status

# Soft limits, explained rather than enforced: a plan with many actions tends to deliver none.
MOST_FOR_A_BEHAVIOUR = 3
MOST_FOR_A_ROUND = 8


def _round(request: HttpRequest, round_id: int) -> Round:
    return get_object_or_404(
        Round.objects.for_user(request.user).select_related("partnership", "instrument"),
        pk=round_id,
    )


@login_required
def plan(request: HttpRequest, round_id: int) -> HttpResponse:
    round_ = _round(request, round_id)
    viewer = viewer_for(request.user, round_.partnership_id)
    shape = shapes({round_.instrument_id})[round_.instrument_id]
    results = round_results(round_, viewer)
    priorities = [b.section.key for b in results.priorities[:3]] if results.shows_figures else []
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
                "many": sum(a.status in COMMITTED for a in mine) > MOST_FOR_A_BEHAVIOUR,
            }
        )
    behaviours.sort(key=lambda b: (not b["priority"], b["section"].position))
    return render(
        request,
        "actions/plan.jinja",
        {
            "round": round_,
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
            # The round's board report has an action plan page: build it again when asked.
            forget_kept(round_.pk)
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
        Action.objects.for_user(request.user).select_related("round", "section", "organisation"),
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
            forget_kept(action.round_id)
        messages.success(request, f"‘{action.title}’ is updated.")
        return redirect("actions:detail", action.pk)
    return form_page(
        request,
        "actions/detail.jinja",
        {
            "action": action,
            "round": action.round,
            "form": form,
            "updates": action.updates.select_related("user"),
        },
        *([form] if form else []),
    )


# What an edit says it changed, in the action's history.
FIELD_NAMES = {
    "title": "what will be done",
    "done_looks_like": "what done looks like",
    "owner_name": "who will see it through",
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
                forget_kept(action.round_id)
        messages.success(request, f"‘{action.title}’ is saved.")
        return redirect("actions:detail", action.pk)
    return form_page(
        request,
        "actions/edit.jinja",
        {"action": action, "round": action.round, "section": action.section, "form": form},
        form,
    )
