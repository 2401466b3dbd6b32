"""Partnership pages: the list, one partnership and its partner organisations.

Every object is fetched through `Partnership.objects.for_user`: someone from another partnership
gets 404, and pages that change anything ask for `roles=CHANGERS`, so observers get 404 too.
Every change is written to the partnership's activity log (sixways/core/audit.py).
People get a role only by an invitation to their email address (sixways/accounts/views.py).
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from sixways.core import audit
from sixways.design.forms import form_page
from sixways.design.text import plural
from sixways.rounds.models import Invitation, Response, Round

from .forms import BenchmarkForm, ImportForm, OrganisationForm, PartnershipForm, SharingForm
from .models import Membership, Organisation, Partner, Partnership, Role
from .roles import CHANGERS


def _partnership(request: HttpRequest, partnership_id: int, *, change: bool) -> Partnership:
    roles = CHANGERS if change else None
    return get_object_or_404(
        Partnership.objects.for_user(request.user, roles).select_related("parent"),
        pk=partnership_id,
    )


def home(request: HttpRequest) -> HttpResponse:
    """The partnerships this person works on, each with its rounds, newest first. Someone not
    signed in gets the public start page: what the service is, and how to get an account."""
    if not request.user.is_authenticated:
        return render(request, "pages/start.jinja")
    partnerships = list(Partnership.objects.for_user(request.user).select_related("parent"))
    rounds = (
        Round.objects.for_user(request.user)
        .annotate(submitted=Count("responses", filter=Q(responses__state=Response.State.SUBMITTED)))
        .order_by("-opens_on", "-id")
    )
    by_partnership: dict[int, list[Round]] = {p.pk: [] for p in partnerships}
    for round_ in rounds:
        by_partnership[round_.partnership_id].append(round_)
    return render(
        request,
        "partnerships/home.jinja",
        {"partnerships": [(p, by_partnership[p.pk]) for p in partnerships]},
    )


@login_required
@require_http_methods(["GET", "POST"])
def create(request: HttpRequest) -> HttpResponse:
    """Anyone signed in can set up a partnership; they become its first facilitator."""
    form = PartnershipForm(
        request.POST if request.method == "POST" else None,
        parents=Partnership.objects.for_user(request.user, CHANGERS),
    )
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            partnership = form.save()
            Membership.objects.create(
                user=request.user, partnership=partnership, role=Role.FACILITATOR
            )
            audit.record(request, "partnership.created", partnership, partnership)
        messages.success(request, f"{partnership.name} has been set up. Now add its partners.")
        return redirect("partnerships:detail", partnership.pk)
    return form_page(request, "partnerships/form.jinja", {"form": form}, form)


def setup_tasks(partnership: Partnership, rounds: list, partners: int, facilitators: int) -> list:
    """The steps to a partnership's first results, for the NHS task list on its page: each
    done or not, with where to do it. Shown until a round has closed."""
    newest = rounds[0] if rounds else None
    started = [r for r in rounds if r.current_status != "draft"]
    invited = Invitation.objects.filter(round__partnership=partnership).exclude(email="").exists()

    def task(title, href, done, hint="", optional=False):
        status = (
            {"text": "Completed"}
            if done
            else {
                "tag": {
                    "text": "Optional" if optional else "Not started",
                    "classes": "nhsuk-tag--grey" if optional else "nhsuk-tag--blue",
                }
            }
        )
        return {"title": {"text": title}, "href": href, "hint": hint, "status": status}

    return [
        task(
            "Add the partner organisations",
            reverse("partnerships:import-partners", args=[partnership.pk]),
            partners > 0,
            f"{plural(partners, 'organisation')} added"
            if partners
            else "Add them one by one, or import them from a spreadsheet",
        ),
        task(
            "Invite another facilitator",
            reverse("accounts:people", args=[partnership.pk]),
            facilitators > 1,
            "So the work carries on if you are away",
            optional=True,
        ),
        task(
            "Set up the first round",
            reverse("rounds:detail", args=[newest.pk])
            if newest
            else reverse("rounds:create", args=[partnership.pk]),
            newest is not None,
            "Its name, dates and how people will answer",
        ),
        task(
            "Open the round",
            reverse("rounds:detail", args=[newest.pk]) if newest else None,
            bool(started),
        ),
        task(
            "Invite people to answer",
            reverse("rounds:invite", args=[started[0].pk]) if started else None,
            invited or any(r.mode == "collective" for r in started),
            "By email, or with a link for each organisation",
        ),
    ]


@login_required
def detail(request: HttpRequest, partnership_id: int) -> HttpResponse:
    partnership = _partnership(request, partnership_id, change=False)
    can_change = (
        Partnership.objects.for_user(request.user, CHANGERS).filter(pk=partnership.pk).exists()
    )
    rounds = list(
        partnership.rounds.annotate(
            submitted=Count("responses", filter=Q(responses__state=Response.State.SUBMITTED))
        ).order_by("-created_at", "-id")
    )
    partners = partnership.partners.select_related("organisation")
    facilitators = partnership.facilitators().order_by("user__email")
    has_closed_rounds = any(r.is_closed for r in rounds)
    # Facilitators and observers read across partnerships: the children, the benchmark.
    reads_results = (
        Partnership.objects.for_user(request.user, (Role.FACILITATOR, Role.OBSERVER))
        .filter(pk=partnership.pk)
        .exists()
    )
    tasks = []
    if can_change and not has_closed_rounds:
        tasks = setup_tasks(partnership, rounds, len(partners), len(facilitators))
    return render(
        request,
        "partnerships/detail.jinja",
        {
            "partnership": partnership,
            "can_change": can_change,
            "partners": partners,
            "rounds": rounds,
            "tasks": tasks,
            "due": partnership.next_round_due(),
            "facilitators": facilitators,
            "has_closed_rounds": has_closed_rounds,
            "reads_children": reads_results and partnership.children.exists(),
            "reads_results": reads_results,
            "today": timezone.localdate(),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def edit(request: HttpRequest, partnership_id: int) -> HttpResponse:
    partnership = _partnership(request, partnership_id, change=True)
    form = PartnershipForm(
        request.POST if request.method == "POST" else None,
        instance=partnership,
        parents=Partnership.objects.for_user(request.user, CHANGERS),
    )
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            form.save()
            audit.record(request, "partnership.changed", partnership, partnership)
        messages.success(request, "The partnership's details have been saved.")
        return redirect("partnerships:detail", partnership.pk)
    return form_page(
        request, "partnerships/form.jinja", {"form": form, "partnership": partnership}, form
    )


@login_required
@require_http_methods(["GET", "POST"])
def sharing(request: HttpRequest, partnership_id: int) -> HttpResponse:
    """What this partnership's parent may read of its results: its facilitators decide."""
    partnership = _partnership(request, partnership_id, change=True)
    if partnership.parent_id is None:
        raise Http404("This partnership is not part of another")
    form = SharingForm(request.POST if request.method == "POST" else None, instance=partnership)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            form.save()
            shared = ", ".join(
                what
                for what, on in [
                    ("figures", partnership.figures_to_parent),
                    ("comments", partnership.comments_to_parent),
                ]
                if on
            )
            audit.record(
                request,
                "partnership.sharing-changed",
                partnership,
                partnership.parent,
                detail=f"Shares {shared or 'nothing'} with {partnership.parent.name}",
            )
        messages.success(request, f"What {partnership.parent.name} can see has been saved.")
        return redirect("partnerships:detail", partnership.pk)
    return form_page(
        request, "partnerships/sharing.jinja", {"form": form, "partnership": partnership}, form
    )


@login_required
@require_http_methods(["GET", "POST"])
def benchmark(request: HttpRequest, partnership_id: int) -> HttpResponse:
    """Whether this partnership takes part in the benchmark: its facilitators decide, having
    read exactly what is shared."""
    partnership = _partnership(request, partnership_id, change=True)
    joined = partnership.benchmark_joined_at is not None
    form = BenchmarkForm(
        request.POST if request.method == "POST" else None,
        initial={"take_part": "yes" if joined else "no"},
        auto_id="%s",
    )
    if request.method == "POST" and form.is_valid():
        take_part = form.cleaned_data["take_part"]
        if take_part != joined:
            with transaction.atomic():
                partnership.benchmark_joined_at = timezone.now() if take_part else None
                partnership.save(update_fields=["benchmark_joined_at"])
                action = (
                    "partnership.benchmark-joined" if take_part else "partnership.benchmark-left"
                )
                audit.record(request, action, partnership, partnership)
        messages.success(
            request,
            "The partnership takes part in the benchmark."
            if take_part
            else "The partnership does not take part in the benchmark.",
        )
        return redirect("partnerships:detail", partnership.pk)
    return form_page(
        request,
        "partnerships/benchmark.jinja",
        {"form": form, "partnership": partnership, "joined": joined},
        form,
    )


@login_required
@require_http_methods(["GET", "POST"])
def add_partner(request: HttpRequest, partnership_id: int) -> HttpResponse:
    partnership = _partnership(request, partnership_id, change=True)
    form = OrganisationForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            organisation, _ = Organisation.find_or_create(**form.cleaned_data)
            _, added = Partner.objects.get_or_create(
                partnership=partnership, organisation=organisation
            )
            if added:
                audit.record(request, "partner.added", partnership, organisation)
        if added:
            messages.success(request, f"{organisation.name} is now a partner.")
        else:
            messages.info(request, f"{organisation.name} was already a partner.")
        return redirect("partnerships:detail", partnership.pk)
    return form_page(
        request,
        "partnerships/organisation_form.jinja",
        {"form": form, "partnership": partnership, "title": "Add a partner organisation"},
        form,
    )


def _partner(partnership: Partnership, partner_id: int) -> Partner:
    return get_object_or_404(
        Partner.objects.filter(partnership=partnership).select_related("organisation"),
        pk=partner_id,
    )


@login_required
@require_http_methods(["GET", "POST"])
def edit_partner(request: HttpRequest, partnership_id: int, partner_id: int) -> HttpResponse:
    partnership = _partnership(request, partnership_id, change=True)
    partner = _partner(partnership, partner_id)
    organisation = partner.organisation
    # An organisation's details are shared by every partnership it belongs to, so one
    # partnership's facilitator must not rename it for the others.
    if Partner.objects.filter(organisation=organisation).exclude(partnership=partnership).exists():
        return render(
            request,
            "partnerships/organisation_shared.jinja",
            {"partnership": partnership, "organisation": organisation},
        )
    form = OrganisationForm(
        request.POST if request.method == "POST" else None,
        initial={
            "name": organisation.name,
            "sector": organisation.sector,
            "code": organisation.code,
        },
    )
    if request.method == "POST" and form.is_valid():
        code = form.cleaned_data["code"]
        if (
            code
            and Organisation.objects.filter(code__iexact=code).exclude(pk=organisation.pk).exists()
        ):
            form.add_error("code", "Another organisation in the service already has this code")
        else:
            for name, value in form.cleaned_data.items():
                setattr(organisation, name, value)
            with transaction.atomic():
                organisation.save()
                audit.record(request, "organisation.changed", partnership, organisation)
            messages.success(request, f"{organisation.name} has been saved.")
            return redirect("partnerships:detail", partnership.pk)
    return form_page(
        request,
        "partnerships/organisation_form.jinja",
        {"form": form, "partnership": partnership, "title": f"Change {organisation.name}"},
        form,
    )


@login_required
@require_http_methods(["GET", "POST"])
def remove_partner(request: HttpRequest, partnership_id: int, partner_id: int) -> HttpResponse:
    partnership = _partnership(request, partnership_id, change=True)
    partner = _partner(partnership, partner_id)
    if request.method == "POST":
        # Past rounds keep their own list of organisations and their responses: only the
        # partnership's list for future rounds changes.
        with transaction.atomic():
            audit.record(request, "partner.removed", partnership, partner.organisation)
            partner.delete()
        messages.success(
            request,
            f"{partner.organisation.name} is no longer a partner. Past rounds keep its answers.",
        )
        return redirect("partnerships:detail", partnership.pk)
    return render(
        request,
        "partnerships/confirm_remove.jinja",
        {
            "partnership": partnership,
            "title": f"Remove {partner.organisation.name} from {partnership.name}?",
            "explanation": "It will not be included in new rounds. Rounds that have already "
            "started keep it, and past results are not changed.",
            "button_text": "Remove partner",
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def import_partners(request: HttpRequest, partnership_id: int) -> HttpResponse:
    partnership = _partnership(request, partnership_id, change=True)
    form = ImportForm(
        request.POST if request.method == "POST" else None,
        request.FILES if request.method == "POST" else None,
    )
    errors = []
    if request.method == "POST" and form.is_valid():
        if form.problems:
            errors = [{"text": problem, "href": "#file"} for problem in form.problems]
        else:
            added = already = 0
            with transaction.atomic():
                for row in form.rows:
                    organisation, _ = Organisation.find_or_create(
                        row["name"], row["sector"], row["code"]
                    )
                    _, created = Partner.objects.get_or_create(
                        partnership=partnership, organisation=organisation
                    )
                    added += created
                    already += not created
                audit.record(
                    request,
                    "partners.imported",
                    partnership,
                    detail=f"{added} added, {already} already partners",
                )
            message = f"{plural(added, 'partner organisation')} added."
            if already:
                message += f" {already} {'were' if already != 1 else 'was'} already partners."
            messages.success(request, message)
            return redirect("partnerships:detail", partnership.pk)
    return form_page(
        request,
        "partnerships/import.jinja",
        {"form": form, "partnership": partnership, "errors": errors},
        form,
    )
